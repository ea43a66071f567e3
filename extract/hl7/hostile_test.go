package hl7_test

import (
	"slices"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/hl7"
)

const hostileDir = "../../testdata/hostile/hl7"

func TestHostileCorpus(t *testing.T) {
	ms := func(messages, landed, patients int64, reasons map[string]int64) extracttest.Want {
		return extracttest.Want{Read: map[string]int64{"messages": messages, "patients": patients}, Landed: map[string]int64{"messages": landed, "patients": patients}, Reasons: reasons}
	}
	extracttest.RunHostileCorpus(t, hostileDir, map[string]extracttest.Want{
		"empty.hl7":            ms(0, 0, 0, nil),
		"no_msh.hl7":           ms(2, 1, 1, map[string]int64{extract.ReasonParse: 1}),
		"broken_msh.hl7":       ms(5, 1, 1, map[string]int64{extract.ReasonParse: 2, extract.ReasonMissingField: 2}),
		"wrong_delimiters.hl7": ms(6, 2, 2, map[string]int64{extract.ReasonParse: 3, extract.ReasonMissingField: 1}),
		"truncated.hl7":        ms(2, 2, 2, nil),
		"binary.hl7":           {AnyCounts: true},
		"binary_after_msh.hl7": {AnyCounts: true},
		"utf16_bom.hl7":        ms(1, 0, 0, map[string]int64{extract.ReasonParse: 1}),
		"latin1.hl7": {Read: map[string]int64{"messages": 2, "patients": 2}, Landed: map[string]int64{"messages": 2, "patients": 2}, Check: func(t *testing.T, o extracttest.Outcome) {
			if got := o.Strings(t, "patients", "family_name"); !slices.Equal(got, []string{"MÜLLER", "MÜLLER"}) {
				t.Errorf("family names %q: ISO 8859-1 and UTF-8 should both read as MÜLLER", got)
			}
		}},
		// MSH-7 of 31 February and "not-a-time" reject their message; an
		// impossible PID-7 lands as no date of birth; 9999, 1800 and the
		// future land.
		"dates.hl7": {Read: map[string]int64{"messages": 7, "patients": 5}, Landed: map[string]int64{"messages": 5, "patients": 5}, Reasons: map[string]int64{extract.ReasonBadValue: 2}, Check: func(t *testing.T, o extracttest.Outcome) {
			want := []string{"", "9999-12-31", "1800-01-01", "2090-01-01", "1980-01-02"}
			if got := o.Dates(t, "patients", "date_of_birth"); !slices.Equal(got, want) {
				t.Errorf("dates of birth %q, want %q", got, want)
			}
		}},
		"names.hl7": {Read: map[string]int64{"messages": 7, "patients": 7}, Landed: map[string]int64{"messages": 7, "patients": 7}, Check: func(t *testing.T, o extracttest.Outcome) {
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
		"mllp_garbage.hl7": ms(4, 3, 2, map[string]int64{extract.ReasonParse: 1}),
	}, newSource)
}

func newSource(root, name string) (extract.Source, error) { return hl7.New(root, []string{name}) }
