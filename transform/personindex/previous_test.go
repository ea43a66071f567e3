package personindex

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPrevious holds the compact previous index to the map it replaced:
// keys written out of order or twice, look-ups in order and out of it,
// records and groups it does not have, and NHS numbers.
func TestPrevious(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]int64{} // source\x00entity\x00key → id, the last written
	p := &Previous{groups: map[string]*prevGroup{}}
	for _, ge := range [][2]string{{"gp", "patients"}, {"acute", "patients"}, {"gp", "registrations"}} {
		g := &prevGroup{}
		p.groups[groupName(ge[0], ge[1])] = g
		keys := rng.Perm(3000)
		if ge[1] == "patients" && ge[0] == "gp" {
			// An index this version wrote: ascending keys.
			keys = keys[:0]
			for i := range 3000 {
				keys = append(keys, i)
			}
		}
		for _, k := range keys {
			if k%3 == 0 {
				continue // records the last index did not have
			}
			key := fmt.Sprintf("%05d", k)
			id := int64(rng.IntN(1000) + 1)
			g.add(key, id)
			want[ge[0]+"\x00"+ge[1]+"\x00"+key] = id
			if k%7 == 0 { // a key written twice: the later id counts
				id = int64(rng.IntN(1000) + 1)
				g.add(key, id)
				want[ge[0]+"\x00"+ge[1]+"\x00"+key] = id
			}
		}
		g.seal()
		g.sort()
	}
	var links []Link
	for _, se := range [][2]string{{"acute", "patients"}, {"gp", "patients"}, {"gp", "registrations"}, {"mh", "patients"}} {
		for k := range 3100 {
			links = append(links, Link{Source: se[0], Entity: se[1], RecordKey: fmt.Sprintf("%05d", k)})
		}
	}
	got := p.records(LinksOf(links))
	for i, l := range links {
		w := want[l.Source+"\x00"+l.Entity+"\x00"+l.RecordKey]
		if got[i] != w {
			t.Fatalf("records: %s/%s/%s = %d, want %d", l.Source, l.Entity, l.RecordKey, got[i], w)
		}
		if r := p.Record(l.Source, l.Entity, l.RecordKey); r != w {
			t.Fatalf("Record(%s/%s/%s) = %d, want %d", l.Source, l.Entity, l.RecordKey, r, w)
		}
	}
	// Out of order: the hint misses and the search still finds.
	rng.Shuffle(len(links), func(i, j int) { links[i], links[j] = links[j], links[i] })
	got = p.records(LinksOf(links))
	for i, l := range links {
		if w := want[l.Source+"\x00"+l.Entity+"\x00"+l.RecordKey]; got[i] != w {
			t.Fatalf("records, shuffled: %s/%s/%s = %d, want %d", l.Source, l.Entity, l.RecordKey, got[i], w)
		}
	}

	p.nhs = []nhsID{{9434765870, 3}, {9434765919, 7}} // ascending, as ReadPrevious leaves them
	if id, ok := p.NHS("9434765870"); !ok || id != 3 {
		t.Errorf("NHS = %d, %v; want 3", id, ok)
	}
	for _, n := range []string{"9434765871", "", "943476587", "94347658700", "abcdefghij"} {
		if id, ok := p.NHS(n); ok {
			t.Errorf("NHS(%q) = %d for a number the index did not have", n, id)
		}
	}
}
