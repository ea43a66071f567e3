package hl7_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/hl7"
)

const hostileDir = "../../testdata/hostile/hl7"

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
	src, err := hl7.New(root, []string{name})
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
	ms := func(messages, landed, patients int64, reasons map[string]int64) want {
		return want{read: map[string]int64{"messages": messages, "patients": patients}, landed: map[string]int64{"messages": landed, "patients": patients}, reasons: reasons}
	}
	runHostileCorpus(t, map[string]want{
		"empty.hl7":            ms(0, 0, 0, nil),
		"no_msh.hl7":           ms(2, 1, 1, map[string]int64{extract.ReasonParse: 1}),
		"broken_msh.hl7":       ms(5, 1, 1, map[string]int64{extract.ReasonParse: 2, extract.ReasonMissingField: 2}),
		"wrong_delimiters.hl7": ms(6, 2, 2, map[string]int64{extract.ReasonParse: 3, extract.ReasonMissingField: 1}),
		"truncated.hl7":        ms(2, 2, 2, nil),
		"binary.hl7":           {anyCounts: true},
		"binary_after_msh.hl7": {anyCounts: true},
		"utf16_bom.hl7":        ms(1, 0, 0, map[string]int64{extract.ReasonParse: 1}),
		"latin1.hl7": {read: map[string]int64{"messages": 2, "patients": 2}, landed: map[string]int64{"messages": 2, "patients": 2}, check: func(t *testing.T, o extracttest.Outcome) {
			if got := o.Strings(t, "patients", "family_name"); !slices.Equal(got, []string{"MÜLLER", "MÜLLER"}) {
				t.Errorf("family names %q: ISO 8859-1 and UTF-8 should both read as MÜLLER", got)
			}
		}},
		// MSH-7 of 31 February and "not-a-time" reject their message; an
		// impossible PID-7 lands as no date of birth; 9999, 1800 and the
		// future land.
		"dates.hl7": {read: map[string]int64{"messages": 7, "patients": 5}, landed: map[string]int64{"messages": 5, "patients": 5}, reasons: map[string]int64{extract.ReasonBadValue: 2}, check: func(t *testing.T, o extracttest.Outcome) {
			want := []string{"", "9999-12-31", "1800-01-01", "2090-01-01", "1980-01-02"}
			if got := o.Dates(t, "patients", "date_of_birth"); !slices.Equal(got, want) {
				t.Errorf("dates of birth %q, want %q", got, want)
			}
		}},
		"names.hl7": {read: map[string]int64{"messages": 7, "patients": 7}, landed: map[string]int64{"messages": 7, "patients": 7}, check: func(t *testing.T, o extracttest.Outcome) {
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
		"mllp_garbage.hl7": ms(4, 3, 2, map[string]int64{extract.ReasonParse: 1}),
	})
}
