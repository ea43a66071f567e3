package audit_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/audit"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

const hostileDir = "../../testdata/hostile/audit"

// hostileNames are planted in the corpus's names file (see
// cmd/sharedcare/hostile_test.go, which generates the corpus).
var hostileNames = []string{
	"O'Brien", "Robert'); DROP TABLE person;--", "Zoë 😀", "محمد الأحمد",
	"\u202Eevil\u202C", `"; DROP SCHEMA core CASCADE; --`, "' OR '1'='1",
}

// patientValues must never appear in a reject message.
var patientValues = append([]string{"9434765919", "943 476-591X", "Smith", "SMITH", "Ann", "Renée", "Ren\xe9e", "LS1 4AP", "MÜLLER"}, hostileNames...)

// want is the expected outcome for one corpus file.
type want struct {
	err       bool             // an error naming the file
	anyCounts bool             // garbage: only the invariants are checked
	read      map[string]int64 // entity → records read
	landed    map[string]int64 // entity → records landed
	reasons   map[string]int64 // reject reason → count, over every entity
	check     func(t *testing.T, o extracttest.Outcome)
}

func landOne(t *testing.T, path string) extracttest.Outcome {
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
	src, err := audit.New(root, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	return extracttest.LandHostile(t, root, src)
}

// runHostileCorpus lands every corpus file on its own and checks it against
// wants: no panic, every entity reconciles with a reason for each reject,
// the file's hash recorded, hostile values never quoted in a reject
// message, and a clear error naming the file when it cannot be read at all.
func runHostileCorpus(t *testing.T, wants map[string]want) {
	files, err := os.ReadDir(hostileDir)
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
			o := landOne(t, filepath.Join(hostileDir, f.Name()))
			if w.err {
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
				if w.anyCounts {
					continue
				}
				if e.Read != w.read[e.Entity] || e.Landed != w.landed[e.Entity] {
					t.Errorf("%s: read %d landed %d, want %d and %d (%v)", e.Entity, e.Read, e.Landed, w.read[e.Entity], w.landed[e.Entity], e.RejectsByReason)
				}
			}
			if !w.anyCounts {
				for r, n := range w.reasons {
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
			extracttest.CheckMessagesQuoteNothing(t, rejects, patientValues...)
			if w.check != nil {
				w.check(t, o)
			}
		})
	}
	for name := range wants {
		t.Errorf("%s is missing from the corpus", name)
	}
}

func TestHostileCorpus(t *testing.T) {
	ev := func(read, landed int64, reasons map[string]int64) want {
		return want{read: map[string]int64{"access_events": read}, landed: map[string]int64{"access_events": landed}, reasons: reasons}
	}
	runHostileCorpus(t, map[string]want{
		"empty.jsonl":            ev(0, 0, nil),
		"truncated.jsonl":        ev(2, 1, map[string]int64{extract.ReasonParse: 1}),
		"trailing_garbage.jsonl": ev(4, 1, map[string]int64{extract.ReasonParse: 3}),
		"deep_nesting.jsonl":     ev(3, 1, map[string]int64{extract.ReasonParse: 2}),
		"binary.jsonl":           {anyCounts: true},
		"utf16_bom.jsonl":        ev(3, 0, map[string]int64{extract.ReasonParse: 2, extract.ReasonBadEncoding: 1}),
		// encoding/json would land U+FFFD for the Latin-1 byte: rejected.
		"latin1.jsonl":      ev(2, 1, map[string]int64{extract.ReasonBadEncoding: 1}),
		"wrong_types.jsonl": ev(8, 0, map[string]int64{extract.ReasonParse: 5, extract.ReasonMissingField: 3}),
		// 31 February, a space for T and hour 25 are rejected; 9999, 1800
		// and a future time with a +14:00 offset land.
		"dates.jsonl": ev(6, 3, map[string]int64{extract.ReasonBadValue: 3}),
		"names.jsonl": {read: map[string]int64{"access_events": 7}, landed: map[string]int64{"access_events": 7}, check: func(t *testing.T, o extracttest.Outcome) {
			for _, col := range []string{"user_id", "role", "reason"} {
				if got := o.Strings(t, "access_events", col); !slices.Equal(got, hostileNames) {
					t.Errorf("%s landed %q, want %q verbatim", col, got, hostileNames)
				}
			}
			for _, n := range o.Strings(t, "access_events", "nhs_number") {
				if n != "943 476-591X" {
					t.Errorf("NHS number landed as %q, want it as written", n)
				}
			}
		}},
	})
}
