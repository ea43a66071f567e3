package audit_test

import (
	"slices"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/audit"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

const hostileDir = "../../testdata/hostile/audit"

func TestHostileCorpus(t *testing.T) {
	ev := func(read, landed int64, reasons map[string]int64) extracttest.Want {
		return extracttest.Want{Read: map[string]int64{"access_events": read}, Landed: map[string]int64{"access_events": landed}, Reasons: reasons}
	}
	extracttest.RunHostileCorpus(t, hostileDir, map[string]extracttest.Want{
		"empty.jsonl":            ev(0, 0, nil),
		"truncated.jsonl":        ev(2, 1, map[string]int64{extract.ReasonParse: 1}),
		"trailing_garbage.jsonl": ev(4, 1, map[string]int64{extract.ReasonParse: 3}),
		"deep_nesting.jsonl":     ev(3, 1, map[string]int64{extract.ReasonParse: 2}),
		"binary.jsonl":           {AnyCounts: true},
		"utf16_bom.jsonl":        ev(3, 0, map[string]int64{extract.ReasonParse: 2, extract.ReasonBadEncoding: 1}),
		// encoding/json would land U+FFFD for the Latin-1 byte: rejected.
		"latin1.jsonl":      ev(2, 1, map[string]int64{extract.ReasonBadEncoding: 1}),
		"wrong_types.jsonl": ev(8, 0, map[string]int64{extract.ReasonParse: 5, extract.ReasonMissingField: 3}),
		// 31 February, a space for T and hour 25 are rejected; 9999, 1800
		// and a future time with a +14:00 offset land.
		"dates.jsonl": ev(6, 3, map[string]int64{extract.ReasonBadValue: 3}),
		"names.jsonl": {Read: map[string]int64{"access_events": 7}, Landed: map[string]int64{"access_events": 7}, Check: func(t *testing.T, o extracttest.Outcome) {
			for _, col := range []string{"user_id", "role", "reason"} {
				if got := o.Strings(t, "access_events", col); !slices.Equal(got, extracttest.HostileNames) {
					t.Errorf("%s landed %q, want %q verbatim", col, got, extracttest.HostileNames)
				}
			}
			for _, n := range o.Strings(t, "access_events", "nhs_number") {
				if n != "943 476-591X" {
					t.Errorf("NHS number landed as %q, want it as written", n)
				}
			}
		}},
	}, newSource)
}

func newSource(root, name string) (extract.Source, error) { return audit.New(root, []string{name}) }
