package fhir_test

import (
	"slices"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/fhir"
)

const hostileDir = "../../testdata/hostile/fhir"

func TestHostileCorpus(t *testing.T) {
	fw := func(patients, landed, unrouted int64, reasons map[string]int64) extracttest.Want {
		return extracttest.Want{Read: map[string]int64{"patients": patients, "unrouted": unrouted}, Landed: map[string]int64{"patients": landed}, Reasons: reasons}
	}
	extracttest.RunHostileCorpus(t, hostileDir, map[string]extracttest.Want{
		"empty.ndjson":            fw(0, 0, 0, nil),
		"truncated.ndjson":        fw(1, 1, 1, map[string]int64{extract.ReasonParse: 1}),
		"trailing_garbage.ndjson": fw(1, 1, 3, map[string]int64{extract.ReasonParse: 3}),
		// Go's decoder stops at 10,000 levels: each deep line is one reject.
		"deep_nesting.ndjson": fw(1, 1, 3, map[string]int64{extract.ReasonParse: 2, extract.ReasonMissingField: 1}),
		"deep_bundle.json":    fw(0, 0, 1, map[string]int64{extract.ReasonBadValue: 1}),
		"binary.ndjson":       {AnyCounts: true},
		"utf16_bom.ndjson":    fw(0, 0, 2, map[string]int64{extract.ReasonBadEncoding: 1, extract.ReasonParse: 1}),
		// encoding/json would land U+FFFD for the Latin-1 byte: rejected.
		"latin1.ndjson":      fw(1, 1, 1, map[string]int64{extract.ReasonBadEncoding: 1}),
		"not_objects.ndjson": fw(1, 0, 6, map[string]int64{extract.ReasonParse: 3, extract.ReasonMissingField: 2, extract.ReasonBadValue: 2}),
		"dates.ndjson":       fw(7, 4, 0, map[string]int64{extract.ReasonBadValue: 3}),
		"names.ndjson": {Read: map[string]int64{"patients": 7}, Landed: map[string]int64{"patients": 7}, Check: func(t *testing.T, o extracttest.Outcome) {
			for _, col := range []string{"given_name", "family_name"} {
				if got := o.Strings(t, "patients", col); !slices.Equal(got, extracttest.HostileNames) {
					t.Errorf("%s landed %q, want %q verbatim", col, got, extracttest.HostileNames)
				}
			}
			for _, n := range o.Strings(t, "patients", "nhs_number") {
				if n != "943 476-591X" {
					t.Errorf("NHS number landed as %q, want it as written", n)
				}
			}
		}},
	}, newSource)
}

func newSource(root, name string) (extract.Source, error) { return fhir.New(root, []string{name}) }
