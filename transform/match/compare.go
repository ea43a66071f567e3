package match

import (
	"unicode/utf8"
)

// comparer evaluates the comparisons of a model over prepared columns.
type comparer struct {
	m     *Model
	p     *prepared
	comps []compSpec
}

type compSpec struct {
	col    *column
	alias  [][]int32
	levels []Level
	// postcode parts per value id
	sector, district, area []int32
}

func newComparer(m *Model, p *prepared) *comparer {
	c := &comparer{m: m, p: p}
	for ci, cmp := range m.Comparisons {
		col := p.cols[m.fieldIdx[cmp.Field]]
		c.comps = append(c.comps, compSpec{col: col, alias: p.alias[ci], levels: cmp.Levels,
			sector: col.sub["sector"], district: col.sub["district"], area: col.sub["area"]})
	}
	return c
}

// pattern returns the comparison vector of records a and b: the level of
// comparison i in bits 4i..4i+3.
func (c *comparer) pattern(a, b int32) uint64 {
	var pat uint64
	for i := range c.comps {
		pat |= uint64(c.level(i, a, b)) << (4 * i)
	}
	return pat
}

func levelOf(pat uint64, comp int) int { return int(pat>>(4*comp)) & 0xF }

// level is the first level of comparison ci that records a and b reach.
func (c *comparer) level(ci int, a, b int32) uint8 {
	s := &c.comps[ci]
	ia, ib := s.col.id[a], s.col.id[b]
	return s.levelIDs(ia, ib)
}

func (s *compSpec) levelIDs(ia, ib int32) uint8 {
	if ia < 0 || ib < 0 {
		return 0
	}
	col := s.col
	jw := -1.0
	lev := -1
	for li := 1; li < len(s.levels); li++ {
		l := &s.levels[li]
		ok := false
		switch l.Kind {
		case KindElse:
			ok = true
		case KindExact:
			ok = ia == ib
		case KindJaroWinkler:
			if ia == ib {
				ok = true
				break
			}
			if jw < 0 {
				jw = jaroWinkler(col.val(ia), col.val(ib))
			}
			ok = jw >= l.Threshold
		case KindLevenshtein:
			if ia == ib {
				ok = true
				break
			}
			if lev < 0 {
				lev = levenshtein(col.val(ia), col.val(ib), 8)
			}
			ok = lev <= l.Distance
		case KindPrefix:
			a, b := col.val(ia), col.val(ib)
			pa, pb := prefixRunes(a, l.Length), prefixRunes(b, l.Length)
			ok = pa == pb && utf8.RuneCountInString(pa) == l.Length
		case KindAlias:
			ok = ia == ib || shareGroup(s.alias[ia], s.alias[ib])
		case KindDateSwap:
			a, b := col.ymd[ia], col.ymd[ib]
			ya, ma, da := a/10000, a/100%100, a%100
			yb, mb, db := b/10000, b/100%100, b%100
			ok = ya == yb && ma == db && da == mb && ma != da
		case KindDateOneComponent:
			a, b := col.ymd[ia], col.ymd[ib]
			same := 0
			if a/10000 == b/10000 {
				same++
			}
			if a/100%100 == b/100%100 {
				same++
			}
			if a%100 == b%100 {
				same++
			}
			ok = same >= 2
		case KindDateWithinDays:
			d := col.days[ia] - col.days[ib]
			ok = d <= int32(l.Days) && -d <= int32(l.Days)
		case KindPostcodeSector:
			ok = s.sector[ia] == s.sector[ib]
		case KindPostcodeDistrict:
			ok = s.district[ia] == s.district[ib]
		case KindPostcodeArea:
			ok = s.area[ia] == s.area[ib]
		case KindNumericWithin:
			d := col.num[ia] - col.num[ib]
			ok = d <= int64(l.Distance) && -d <= int64(l.Distance)
		}
		if ok {
			return uint8(li)
		}
	}
	return uint8(len(s.levels) - 1)
}

// jaroWinkler is the Jaro–Winkler similarity of a and b (prefix scale 0.1,
// up to four characters).
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := toRunes(a), toRunes(b)
	la, lb := len(ra), len(rb)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		ra, rb, la, lb = rb, ra, lb, la
	}
	win := lb/2 - 1
	if win < 0 {
		win = 0
	}
	var fa, fb [64]bool
	var ma, mb []bool
	if la <= 64 && lb <= 64 {
		ma, mb = fa[:la], fb[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-win), min(lb-1, i+win)
		for j := lo; j <= hi; j++ {
			if !mb[j] && ra[i] == rb[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if ra[i] != rb[k] {
			t++
		}
		k++
	}
	m := float64(matches)
	j := (m/float64(la) + m/float64(lb) + (m-float64(t)/2)/m) / 3
	p := 0
	for p < 4 && p < la && ra[p] == rb[p] {
		p++
	}
	return j + float64(p)*0.1*(1-j)
}

func toRunes(s string) []rune {
	// names are short; the allocation is cheap next to the map lookups
	return []rune(s)
}

// levenshtein is the edit distance of a and b, or limit+1 when larger.
func levenshtein(a, b string, limit int) int {
	ra, rb := toRunes(a), toRunes(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func shareGroup(a, b []int32) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
