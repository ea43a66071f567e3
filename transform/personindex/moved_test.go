package personindex

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestMovedSince writes an index, reads it back as the previous one, and
// checks that the next index lists exactly the records whose person
// differs, by a map of both indexes' records: ids changed, records new,
// records gone (one of a source still there, and every record of a source
// gone), and none of the records that kept their person.
func TestMovedSince(t *testing.T) {
	for _, c := range []struct {
		name                    string
		read                    func(ctx context.Context, lake string, links *Links) (*Previous, error)
		sortedPrev, sortedLinks bool
	}{
		{"ReadPrevious", func(ctx context.Context, lake string, _ *Links) (*Previous, error) {
			return ReadPrevious(ctx, lake, nil)
		}, false, false},
		// Matched with the links as it is read when both are in order;
		// read whole otherwise.
		{"ReadPreviousFor", readPreviousFor, true, true},
		{"ReadPreviousFor, links out of order", readPreviousFor, true, false},
		{"ReadPreviousFor, previous index out of order", readPreviousFor, false, true},
	} {
		t.Run(c.name, func(t *testing.T) { testMovedSince(t, c.read, c.sortedPrev, c.sortedLinks) })
	}
}

func readPreviousFor(ctx context.Context, lake string, links *Links) (*Previous, error) {
	return ReadPreviousFor(ctx, lake, nil, links)
}

func testMovedSince(t *testing.T, read func(ctx context.Context, lake string, links *Links) (*Previous, error), sortedPrev, sortedLinks bool) {
	ctx := context.Background()
	lake := t.TempDir()
	link := func(source, key string, id int64) Link {
		return Link{Source: source, Entity: "patients", System: "gp", RecordKey: key, PersonID: id}
	}
	// NHS numbers: some shared by two records (the smaller id counts),
	// some missing, some changed, lost or gained by the night.
	nhs := func(i int) string {
		if i%9 == 0 {
			return ""
		}
		return fmt.Sprintf("9%09d", i%450)
	}
	withNHS := func(l Link, n string) Link { l.NHSNumber = n; return l }
	var before, after []Link
	for i := range 500 {
		before = append(before, withNHS(link("gp", fmt.Sprintf("%04d", i), int64(i+1)), nhs(i)))
		n := nhs(i)
		switch {
		case i%13 == 5:
			n = fmt.Sprintf("8%09d", i) // changed
		case i%17 == 2:
			n = "" // lost
		case i%18 == 9:
			n = fmt.Sprintf("7%09d", i) // gained
		}
		switch {
		case i%50 == 7: // gone
		case i%20 == 3: // moved to another person
			after = append(after, withNHS(link("gp", fmt.Sprintf("%04d", i), int64(1000+i)), n))
		default:
			after = append(after, withNHS(link("gp", fmt.Sprintf("%04d", i), int64(i+1)), n))
		}
	}
	for i := range 30 {
		before = append(before, link("old", fmt.Sprintf("o%d", i), int64(600+i))) // a source gone
	}
	for i := range 40 {
		after = append(after, link("acute", fmt.Sprintf("a%d", i), int64(i%10+1))) // new
	}
	byRecord := func(a, b Link) int {
		return compareRecord(a.Source, a.Entity, a.RecordKey, b.Source, b.Entity, b.RecordKey)
	}
	if sortedPrev {
		slices.SortFunc(before, byRecord) // as an index writes them ("o10" before "o2")
	}
	if err := Write(lake, "R1", before, nil); err != nil {
		t.Fatal(err)
	}
	if sortedLinks {
		slices.SortFunc(after, byRecord)
	}
	out := &Output{Links: LinksOf(after)}
	prev, err := read(ctx, lake, out.Links)
	if err != nil {
		t.Fatal(err)
	}
	if prev.Run != "R1" {
		t.Fatalf("previous run %q, want R1", prev.Run)
	}
	if matched := prev.MatchedWithLinks(); matched != (sortedPrev && sortedLinks) {
		t.Fatalf("previous index matched with the links as read: %v, want %v", matched, sortedPrev && sortedLinks)
	}
	// The same previous ids as the whole index read gives, looked up.
	whole, err := ReadPrevious(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prev.records(out.Links), whole.records(out.Links)) || prev.MaxID != whole.MaxID {
		t.Fatalf("previous ids %v (max %d), want %v (max %d)", prev.records(out.Links), prev.MaxID, whole.records(out.Links), whole.MaxID)
	}
	// The same ids for the NHS numbers, one by one and all at once.
	var nums []uint64
	for _, l := range slices.Concat(before, after, []Link{{NHSNumber: "6000000000"}}) {
		if v, ok := nhsValue(l.NHSNumber); ok {
			nums = append(nums, v)
		}
	}
	all := prev.nhsIDs(nums)
	found := 0
	for _, v := range nums {
		n := tenDigits(v)
		id, ok := prev.NHS(n)
		wid, wok := whole.NHS(n)
		if id != wid || ok != wok || all[v] != wid {
			t.Fatalf("NHS number %s: id %d (%v), all at once %d, want %d (%v)", n, id, ok, all[v], wid, wok)
		}
		if ok {
			found++
		}
	}
	if found < 300 || found == len(nums) {
		t.Fatalf("%d of %d NHS numbers found: the test does not cover both", found, len(nums))
	}
	out.CompareWith(prev)
	if err := WriteOutput(lake, "R2", out, nil); err != nil {
		t.Fatal(err)
	}

	type rec struct{ source, key string }
	was, now := map[rec]int64{}, map[rec]int64{}
	for _, l := range before {
		was[rec{l.Source, l.RecordKey}] = l.PersonID
	}
	for _, l := range after {
		now[rec{l.Source, l.RecordKey}] = l.PersonID
	}
	want := map[rec][2]int64{} // previous, now
	for r, id := range was {
		if now[r] != id {
			want[r] = [2]int64{id, now[r]}
		}
	}
	for r, id := range now {
		if _, ok := was[r]; !ok {
			want[r] = [2]int64{0, id}
		}
	}
	if len(want) != 25+10+30+40 {
		t.Fatalf("the test's own count of moved records is %d", len(want))
	}

	got := map[rec][2]int64{}
	null0 := func(a arrow.Array, i int) int64 {
		if a.IsNull(i) {
			return 0
		}
		return a.(*array.Int64).Value(i)
	}
	err = ReadParquet(ctx, filepath.Join(lake, MovedFile("R2")), []string{"source", "entity", "record_key", "person_id", "previous_person_id"}, nil,
		func(cols []arrow.Array, i int) error {
			r := rec{str(cols[0], i), str(cols[2], i)}
			if _, dup := got[r]; dup {
				return fmt.Errorf("%v listed twice", r)
			}
			if e := str(cols[1], i); e != "patients" {
				return fmt.Errorf("%v has entity %q", r, e)
			}
			got[r] = [2]int64{null0(cols[4], i), null0(cols[3], i)}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("%d records listed as moved, want %d", len(got), len(want))
	}
	for r, w := range want {
		if g, ok := got[r]; !ok || g != w {
			t.Errorf("%v: listed %v (%v), want previous and new person %v", r, g, ok, w)
		}
	}
	if n := out.Moved.Len(); n != len(want) {
		t.Errorf("Moved.Len() = %d, want %d", n, len(want))
	}
	if from, listed, err := MovedFrom(lake, "R2"); err != nil || !listed || from != "R1" {
		t.Errorf("MovedFrom(R2) = %q, %v, %v; want R1, true", from, listed, err)
	}
	// The first index was compared with nothing and lists nothing.
	if from, listed, err := MovedFrom(lake, "R1"); err != nil || listed {
		t.Errorf("MovedFrom(R1) = %q, %v, %v; want not listed", from, listed, err)
	}
}
