package extracttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
)

// HostileNames are planted in each connector's names file of the hostile
// corpus (cmd/sharedcare/hostile_test.go generates it).
var HostileNames = []string{
	"O'Brien", "Robert'); DROP TABLE person;--", "Zoë 😀", "محمد الأحمد",
	"\u202Eevil\u202C", `"; DROP SCHEMA core CASCADE; --`, "' OR '1'='1",
}

// PatientValues must never appear in a reject message.
var PatientValues = append([]string{"9434765919", "943 476-591X", "Smith", "SMITH", "Ann", "Renée", "Ren\xe9e", "LS1 4AP", "MÜLLER"}, HostileNames...)

// Want is the expected outcome for one corpus file.
type Want struct {
	Err       bool             // an error naming the file
	AnyCounts bool             // garbage: only the invariants are checked
	Read      map[string]int64 // entity → records read
	Landed    map[string]int64 // entity → records landed
	Reasons   map[string]int64 // reject reason → count, over every entity
	Check     func(t *testing.T, o Outcome)
}

// RunHostileCorpus lands every file of dir on its own, through the source
// newSource makes for one file under root, and checks it against wants: no
// panic, every entity reconciles with a reason for each reject, the file's
// hash recorded, hostile values never quoted in a reject message, and a
// clear error naming the file when it cannot be read at all. Every file must
// have a Want and every Want a file.
func RunHostileCorpus(t *testing.T, dir string, wants map[string]Want, newSource func(root, name string) (extract.Source, error)) {
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			w, ok := wants[f.Name()]
			if !ok {
				t.Fatalf("no expectation for %s: add one", f.Name())
			}
			delete(wants, f.Name())
			o := landCopy(t, filepath.Join(dir, f.Name()), newSource)
			if w.Err {
				if o.Err == nil {
					t.Fatalf("landed (%v), want an error naming the file", o)
				}
				if !strings.Contains(o.Err.Error(), f.Name()) {
					t.Errorf("error %q does not name the file", o.Err)
				}
				return
			}
			if o.Err != nil {
				t.Fatalf("failed: %v", o.Err)
			}
			if os.Getenv("HOSTILE_SHOW") != "" {
				t.Logf("%s", o)
			}
			reasons := map[string]int64{}
			var rejected int64
			for _, e := range o.Manifest.Entities {
				for r, n := range e.RejectsByReason {
					reasons[r] += n
				}
				rejected += e.Rejected
				if w.AnyCounts {
					continue
				}
				if e.Read != w.Read[e.Entity] || e.Landed != w.Landed[e.Entity] {
					t.Errorf("%s: read %d landed %d, want %d and %d (%v)", e.Entity, e.Read, e.Landed, w.Read[e.Entity], w.Landed[e.Entity], e.RejectsByReason)
				}
			}
			if !w.AnyCounts {
				for r, n := range w.Reasons {
					if reasons[r] != n {
						t.Errorf("%s rejects %d, want %d (%v)", r, reasons[r], n, reasons)
					}
				}
			}
			rejects := o.Rejects(t)
			if int64(len(rejects)) != rejected {
				t.Errorf("%d reject rows for %d rejected", len(rejects), rejected)
			}
			for _, r := range rejects {
				if r.Reason == "" || r.Message == "" || r.File != f.Name() || r.Position < 1 {
					t.Errorf("reject without its reason, message or position: %+v", r)
				}
			}
			CheckMessagesQuoteNothing(t, rejects, PatientValues...)
			if w.Check != nil {
				w.Check(t, o)
			}
		})
	}
	for name := range wants {
		t.Errorf("%s is missing from the corpus", name)
	}
}

// landCopy copies one corpus file into a fresh root and lands it.
func landCopy(t *testing.T, path string, newSource func(root, name string) (extract.Source, error)) Outcome {
	t.Helper()
	root := t.TempDir()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	if err := os.WriteFile(filepath.Join(root, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := newSource(root, name)
	if err != nil {
		t.Fatal(err)
	}
	return LandHostile(t, root, src)
}
