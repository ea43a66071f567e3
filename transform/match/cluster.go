package match

import (
	"slices"
)

// clusters is a union–find over records that keeps, per cluster, the
// values of the model's distinct fields and the records it must not join.
type clusters struct {
	parent []int32
	size   []int32
	// per distinct field, per root: the sorted distinct values (value ids)
	vals     []distinctVals
	names    []string
	cannot   map[int32][]int32 // root → records it must not join
	distinct []int
}

func newClusters(n int, m *Model, p *prepared) *clusters {
	c := &clusters{parent: make([]int32, n), size: make([]int32, n), cannot: map[int32][]int32{}}
	for i := range c.parent {
		c.parent[i] = int32(i)
		c.size[i] = 1
	}
	for _, fi := range m.distinct {
		c.vals = append(c.vals, distinctVals{one: slices.Clone(p.cols[fi].id), more: map[int32][]int32{}})
		c.names = append(c.names, m.Fields[fi].Name)
	}
	return c
}

// distinctVals holds one distinct field's sorted value ids per root: a
// cluster holds at most one value unless a clerk accepted more, so one is
// held inline (−1: none) and only those few clusters' sets in more. A
// slice a record was 32 bytes a record (143 MB at 3,000,000 persons).
type distinctVals struct {
	one  []int32
	more map[int32][]int32
}

// get returns root r's values; the slice must not be changed.
func (d *distinctVals) get(r int32) []int32 {
	if s, ok := d.more[r]; ok {
		return s
	}
	if d.one[r] < 0 {
		return nil
	}
	return d.one[r : r+1 : r+1]
}

func (d *distinctVals) set(r int32, s []int32) {
	delete(d.more, r)
	switch len(s) {
	case 0:
		d.one[r] = -1
	case 1:
		d.one[r] = s[0]
	default:
		d.more[r] = s
	}
}

func (c *clusters) find(x int32) int32 {
	for c.parent[x] != x {
		c.parent[x] = c.parent[c.parent[x]]
		x = c.parent[x]
	}
	return x
}

func (c *clusters) cannotLink(a, b int32) {
	ra, rb := c.find(a), c.find(b)
	c.cannot[ra] = append(c.cannot[ra], b)
	c.cannot[rb] = append(c.cannot[rb], a)
}

func subset(a, b []int32) bool { // a ⊆ b, both sorted
	i := 0
	for _, x := range a {
		for i < len(b) && b[i] < x {
			i++
		}
		if i == len(b) || b[i] != x {
			return false
		}
	}
	return true
}

func union(a, b []int32) []int32 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// merge joins the clusters of a and b. An automatic merge (manual false)
// is refused, with the reason returned, when it would put two different
// values of a distinct field in one cluster, or join a record to one it was
// rejected against. A manual merge (a clerical accept) is refused only for
// a rejection.
func (c *clusters) merge(a, b int32, manual bool) string {
	ra, rb := c.find(a), c.find(b)
	if ra == rb {
		return ""
	}
	for _, x := range c.cannot[ra] {
		if c.find(x) == rb {
			return "would join records a clerical decision rejected"
		}
	}
	if !manual {
		for f := range c.vals {
			va, vb := c.vals[f].get(ra), c.vals[f].get(rb)
			if len(va) > 0 && len(vb) > 0 && !subset(va, vb) && !subset(vb, va) {
				return "would merge two different " + c.names[f] + " values"
			}
		}
	}
	if c.size[ra] < c.size[rb] {
		ra, rb = rb, ra
	}
	c.parent[rb] = ra
	c.size[ra] += c.size[rb]
	for f := range c.vals {
		d := &c.vals[f]
		if vb := d.get(rb); len(vb) > 0 {
			d.set(ra, union(d.get(ra), vb))
			d.set(rb, nil)
		}
	}
	if x := c.cannot[rb]; len(x) > 0 {
		c.cannot[ra] = append(c.cannot[ra], x...)
		delete(c.cannot, rb)
	}
	return ""
}

// number numbers the clusters in order of first record: each record's
// cluster, and how many there are.
func (c *clusters) number() ([]int32, int) {
	n := len(c.parent)
	out := make([]int32, n)
	num := make([]int32, n) // root → its cluster's number + 1
	nc := int32(0)
	for i := range n {
		r := c.find(int32(i))
		if num[r] == 0 {
			nc++
			num[r] = nc
		}
		out[i] = num[r] - 1
	}
	return out, int(nc)
}

// clusterNames names each of nc clusters by the smallest id of its records.
func clusterNames(cluster []int32, nc int, id func(i int) string) []string {
	names := make([]string, nc)
	seen := make([]bool, nc)
	for i, k := range cluster {
		if s := id(i); !seen[k] || s < names[k] {
			names[k], seen[k] = s, true
		}
	}
	return names
}
