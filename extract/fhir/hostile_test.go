package fhir_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/fhir"
)

const hostileDir = "../../testdata/hostile/fhir"

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
	src, err := fhir.New(root, []string{name})
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
	fw := func(patients, landed, unrouted int64, reasons map[string]int64) want {
		return want{read: map[string]int64{"patients": patients, "unrouted": unrouted}, landed: map[string]int64{"patients": landed}, reasons: reasons}
	}
	runHostileCorpus(t, map[string]want{
		"empty.ndjson":            fw(0, 0, 0, nil),
		"truncated.ndjson":        fw(1, 1, 1, map[string]int64{extract.ReasonParse: 1}),
		"trailing_garbage.ndjson": fw(1, 1, 3, map[string]int64{extract.ReasonParse: 3}),
		// Go's decoder stops at 10,000 levels: each deep line is one reject.
		"deep_nesting.ndjson": fw(1, 1, 3, map[string]int64{extract.ReasonParse: 2, extract.ReasonMissingField: 1}),
		"deep_bundle.json":    fw(0, 0, 1, map[string]int64{extract.ReasonBadValue: 1}),
		"binary.ndjson":       {anyCounts: true},
		"utf16_bom.ndjson":    fw(0, 0, 2, map[string]int64{extract.ReasonBadEncoding: 1, extract.ReasonParse: 1}),
		// encoding/json would land U+FFFD for the Latin-1 byte: rejected.
		"latin1.ndjson":      fw(1, 1, 1, map[string]int64{extract.ReasonBadEncoding: 1}),
		"not_objects.ndjson": fw(1, 0, 6, map[string]int64{extract.ReasonParse: 3, extract.ReasonMissingField: 2, extract.ReasonBadValue: 2}),
		"dates.ndjson":       fw(7, 4, 0, map[string]int64{extract.ReasonBadValue: 3}),
		"names.ndjson": {read: map[string]int64{"patients": 7}, landed: map[string]int64{"patients": 7}, check: func(t *testing.T, o extracttest.Outcome) {
			for _, col := range []string{"given_name", "family_name"} {
				if got := o.Strings(t, "patients", col); !slices.Equal(got, hostileNames) {
					t.Errorf("%s landed %q, want %q verbatim", col, got, hostileNames)
				}
			}
			for _, n := range o.Strings(t, "patients", "nhs_number") {
				if n != "943 476-591X" {
					t.Errorf("NHS number landed as %q, want it as written", n)
				}
			}
		}},
	})
}
