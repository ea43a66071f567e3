package reports

import "testing"

func TestDisclosureCount(t *testing.T) {
	on, off := disclosure{on: true}, disclosure{}
	for _, tc := range []struct {
		n         int64
		text, raw string // with disclosure control on
	}{
		{0, "0", "0"},
		{1, "*", "*"},
		{5, "*", "*"},
		{7, "*", "*"},
		{8, "10", "10"},
		{10, "10", "10"},
		{12, "10", "10"},
		{13, "15", "15"},
		{17, "15", "15"},
		{18, "20", "20"},
		{1002, "1,000", "1000"},
		{1003, "1,005", "1005"},
		{123457, "123,455", "123455"},
	} {
		if got := on.count(tc.n); got.Text != tc.text || got.Raw != tc.raw {
			t.Errorf("on: count(%d) = %q/%q, want %q/%q", tc.n, got.Text, got.Raw, tc.text, tc.raw)
		}
		if got := off.count(tc.n); got.Raw != rawInt(tc.n) || got.Text != fmtInt(tc.n) {
			t.Errorf("off: count(%d) = %q/%q, want the figure unchanged", tc.n, got.Text, got.Raw)
		}
	}
}

func TestDisclosureTotalsBeforeRounding(t *testing.T) {
	d := disclosure{on: true}
	// Three parts of 3 are each suppressed, but their total of 9 is shown
	// rounded: 10, not the sum of the published parts.
	parts := []int64{3, 3, 3}
	var total int64
	for _, p := range parts {
		if got := d.count(p).Raw; got != "*" {
			t.Errorf("part %d published as %q", p, got)
		}
		total += p
	}
	if got := d.count(total).Raw; got != "10" {
		t.Errorf("total of %v published as %q, want 10", parts, got)
	}
	// 12 + 12 = 24: parts round to 10 each, the total to 25.
	if a, b, tot := d.count(12).Raw, d.count(12).Raw, d.count(24).Raw; a != "10" || b != "10" || tot != "25" {
		t.Errorf("12, 12, total 24 published as %s, %s, %s; want 10, 10, 25", a, b, tot)
	}
}

func TestDisclosureShareAndMean(t *testing.T) {
	on, off := disclosure{on: true}, disclosure{}
	for _, tc := range []struct {
		name      string
		d         disclosure
		num, base int64
		want      string // Raw
	}{
		{"both large", on, 30, 120, "0.250"},
		{"base suppressed", on, 2, 6, "*"},
		{"numerator suppressed", on, 5, 40, "*"},
		{"numerator zero", on, 0, 40, "0.000"},
		{"base zero", on, 0, 0, ""},
		{"off: small base shown", off, 2, 6, "0.333"},
	} {
		if got := tc.d.share(tc.num, tc.base).Raw; got != tc.want {
			t.Errorf("%s: share(%d, %d) = %q, want %q", tc.name, tc.num, tc.base, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name    string
		d       disclosure
		total   float64
		base    int64
		isCount bool
		want    string
	}{
		{"mean change over 20 people", on, 54, 20, false, "2.7"},
		{"mean over 7 people withheld", on, 21, 7, false, "*"},
		{"negative total is not a count", on, -4, 10, false, "-0.4"},
		{"views per user, views suppressed", on, 6, 10, true, "*"},
		{"views per user", on, 600, 120, true, "5.0"},
		{"off", off, 21, 7, false, "3.0"},
		{"no base", on, 0, 0, false, ""},
	} {
		if got := tc.d.mean(tc.total, tc.base, tc.isCount).Raw; got != tc.want {
			t.Errorf("%s: mean(%v, %d) = %q, want %q", tc.name, tc.total, tc.base, got, tc.want)
		}
	}
}

func TestDisclosureNote(t *testing.T) {
	if got := (disclosure{on: true}).note(); got != disclosureRule {
		t.Errorf("on: note %q", got)
	}
	if got := (disclosure{}).note(); got != disclosureOffNote {
		t.Errorf("off: note %q", got)
	}
}
