package match

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
)

// recordIndex finds a record's position by id. It holds a hash and a
// position per record, sorted (16 bytes a record), where a map of the ids
// took about 70: at two million persons the map was 190 MB of the
// person index's heap, for a few look-ups (decisions, source links).
type recordIndex struct {
	id   func(i int) string
	seed maphash.Seed
	keys []hashPos // by hash, then position
}

type hashPos struct {
	h uint64
	i int32
}

// newRecordIndex indexes the ids of n records, which must be distinct.
func newRecordIndex(n int, id func(i int) string) (*recordIndex, error) {
	x := &recordIndex{id: id, seed: maphash.MakeSeed(), keys: make([]hashPos, n)}
	for i := range n {
		x.keys[i] = hashPos{maphash.String(x.seed, id(i)), int32(i)}
	}
	slices.SortFunc(x.keys, func(a, b hashPos) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	for s := 0; s < len(x.keys); {
		e := s + 1
		for e < len(x.keys) && x.keys[e].h == x.keys[s].h {
			e++
		}
		for j := s; j < e; j++ { // equal hashes: rare, compare the ids
			for k := j + 1; k < e; k++ {
				if a := id(int(x.keys[j].i)); a == id(int(x.keys[k].i)) {
					return nil, fmt.Errorf("matching: record id %q appears twice", a)
				}
			}
		}
		s = e
	}
	return x, nil
}

// find returns the position of the record with id.
func (x *recordIndex) find(id string) (int32, bool) {
	h := maphash.String(x.seed, id)
	j, _ := slices.BinarySearchFunc(x.keys, h, func(k hashPos, h uint64) int { return cmp.Compare(k.h, h) })
	for ; j < len(x.keys) && x.keys[j].h == h; j++ {
		if x.id(int(x.keys[j].i)) == id {
			return x.keys[j].i, true
		}
	}
	return 0, false
}
