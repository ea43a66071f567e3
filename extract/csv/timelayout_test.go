package csv

import (
	"testing"
	"time"
)

var fastLayouts = []string{"02/01/2006", "2006-01-02", "2006-01-02T15:04:05", "20060102", "2006-01-02 15:04", "02-01-2006 15:04:05"}

func TestCompileLayout(t *testing.T) {
	for _, l := range fastLayouts {
		if compileLayout(l) == nil {
			t.Errorf("%q: no fast reader", l)
		}
	}
	// Layouts with elements of another width, names, zones, fractions or
	// repeated elements are left to the time package.
	for _, l := range []string{"2/1/2006", "02/01/06", "2 Jan 2006", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05.000", "2006-002", "_2/01/2006", "02/01/2006 3:04PM", "01/2006", "02/01/2006 02"} {
		if compileLayout(l) != nil {
			t.Errorf("%q: fast reader, want none", l)
		}
	}
}

// checkFast fails when the fast reader accepts v and the time package
// does not, or reads another instant.
func checkFast(t *testing.T, layout, v string, loc *time.Location) {
	t.Helper()
	fl := compileLayout(layout)
	got, ok := fl.parse(v, loc)
	want, err := time.ParseInLocation(layout, v, loc)
	if ok && (err != nil || !got.Equal(want) || got.Location() != want.Location()) {
		t.Errorf("%q in %q: fast %v, time package %v (%v)", v, layout, got, want, err)
	}
}

func TestFixedLayoutAgreesWithTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	dates := []string{"29/02/2024", "29/02/2023", "29/02/1900", "29/02/2000", "31/04/2020", "30/04/2020", "00/01/2000", "01/00/2000",
		"01/13/2000", "1/1/2000", "01/01/0000", "31/12/9999", "01-01-2000", "01/01/200x", "+1/01/2000", "01/01/-200", " 1/01/2000"}
	for _, v := range dates {
		checkFast(t, "02/01/2006", v, time.UTC)
	}
	stamps := []string{"2026-03-29T01:30:00", "2026-10-25T01:30:00", "2026-01-12T24:00:00", "2026-01-12T23:60:00", "2026-01-12T23:59:60",
		"2026-01-12T3:04:05", "2026-01-12T10:13:59.5", "2026-01-12 10:13:59", "2026-01-12T10:13:5"}
	for _, v := range stamps {
		checkFast(t, "2006-01-02T15:04:05", v, london)
	}
	// The common shapes do take the fast path.
	if _, ok := compileLayout("02/01/2006").parse("17/08/2016", time.UTC); !ok {
		t.Error("17/08/2016 not read by the fast path")
	}
	if _, ok := compileLayout("2006-01-02T15:04:05").parse("2026-01-12T10:13:59", london); !ok {
		t.Error("2026-01-12T10:13:59 not read by the fast path")
	}
}

func FuzzFixedLayout(f *testing.F) {
	f.Add(0, "17/08/2016")
	f.Add(2, "2026-01-12T10:13:59")
	f.Add(0, "29/02/2023")
	f.Fuzz(func(t *testing.T, i int, v string) {
		checkFast(t, fastLayouts[uint(i)%uint(len(fastLayouts))], v, time.UTC)
	})
}
