package match

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
	"github.com/sharedcare/sharedcare/transform/standardise"
)

// Record is one source record of a person.
type Record struct {
	ID     string
	Source string
	// Fields holds the raw values by model field name; missing means empty.
	Fields map[string]string
	// Links are ids of records the source asserts are the same person
	// (HL7 A40 merges, FHIR Patient.link).
	Links []string
}

// Table is the columnar form of a set of records, for large inputs: one
// slice per model field, all as long as ID. Source and Links may be nil.
type Table struct {
	ID     []string
	Source []string
	Cols   map[string][]string
	Links  [][]string
	// Get, when it has a field, gives record i's raw value of that field
	// in place of Cols: a caller holding its records in another form need
	// not build a column of strings (16 bytes a record and field) for it.
	// The functions are called from several goroutines at once.
	Get map[string]func(i int) string
	// IDOf, when set, gives record i's id in place of ID, which is then
	// nil, for N records: a caller holding its records in another form
	// need not keep an id string per record (about 60 bytes) through the
	// match. The matcher asks for ids only to index them, to find the few
	// records that decisions and source links name, and to name the kept
	// pairs. Called from several goroutines at once.
	IDOf func(i int) string
	N    int
	// Find, when set with IDOf, finds a record's position by id in place
	// of an index of every id that the matcher would otherwise build (16
	// bytes a record). The caller vouches that ids are distinct.
	Find func(id string) (int, bool)
	// LinksOf, when set, gives record i's source links in place of Links,
	// which is then nil: a dense slice takes 24 bytes a record, and few
	// records carry any.
	LinksOf func(i int) []string
}

// Len is the number of records.
func (t *Table) Len() int {
	if t.IDOf != nil {
		return t.N
	}
	return len(t.ID)
}

// idFunc gives record ids by position.
func (t *Table) idFunc() func(i int) string {
	if t.IDOf != nil {
		return t.IDOf
	}
	ids := t.ID
	return func(i int) string { return ids[i] }
}

// Append adds r to the table.
func (t *Table) Append(r Record) {
	n := len(t.ID)
	t.ID = append(t.ID, r.ID)
	t.Source = append(t.Source, r.Source)
	if t.Cols == nil {
		t.Cols = map[string][]string{}
	}
	for k, v := range r.Fields {
		c := t.Cols[k]
		for len(c) < n {
			c = append(c, "")
		}
		t.Cols[k] = append(c, v)
	}
	if len(r.Links) > 0 || t.Links != nil {
		for len(t.Links) < n {
			t.Links = append(t.Links, nil)
		}
		t.Links = append(t.Links, r.Links)
	}
}

// TableOf builds a Table from records.
func TableOf(recs []Record) *Table {
	t := &Table{Cols: map[string][]string{}}
	for _, r := range recs {
		t.Append(r)
	}
	t.pad()
	return t
}

func (t *Table) pad() {
	n := t.Len()
	for k, c := range t.Cols {
		for len(c) < n {
			c = append(c, "")
		}
		t.Cols[k] = c
	}
	if t.Links != nil {
		for len(t.Links) < n {
			t.Links = append(t.Links, nil)
		}
	}
}

// column is one standardised field: a value id per record (-1 when
// missing) and, per distinct value, what comparisons and blocking need.
type column struct {
	typ  string
	id   []int32  // per record
	vals []string // per value id: the standardised value (nil for nhs_number: see nhs)
	// nhs holds an nhs_number column's values as numbers, 8 bytes each
	// rather than a 32-byte string: they are nearly all distinct, one per
	// person, and only Explain and some comparisons (not the NHS model's)
	// read them as text, through val.
	nhs     []uint64
	count   []int32 // per value id: records holding it
	nonNull int
	invalid int // present but not standardisable (bad date, invalid NHS number …)

	ymd      []int32            // dates: yyyymmdd per value id
	days     []int32            // dates: days since 1970 per value id
	num      []int64            // integers per value id
	sub      map[string][]int32 // derived key id per value id (soundex, sector …)
	subCount map[string]int32   // number of distinct derived values
}

// nv is the number of distinct values.
func (c *column) nv() int { return len(c.count) }

// val is the standardised value of value id.
func (c *column) val(id int32) string {
	if c.typ == TypeNHSNumber {
		return fmt.Sprintf("%010d", c.nhs[id])
	}
	return c.vals[id]
}

// prepared is the standardised, columnar input of one run.
type prepared struct {
	n    int
	cols []*column // by model field
	// per comparison: alias group per value id of its field (-1 none)
	alias [][][]int32
}

func prepare(m *Model, t *Table, workers int) (*prepared, error) {
	n := t.Len()
	for _, f := range m.Fields {
		if t.Get[f.Name] != nil {
			continue
		}
		c, ok := t.Cols[f.Name]
		if ok && len(c) != n {
			return nil, fmt.Errorf("preparing records: column %s has %d values for %d records", f.Name, len(c), n)
		}
	}
	p := &prepared{n: n, cols: make([]*column, len(m.Fields))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(workers, 1))
	for i, f := range m.Fields {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			get := t.Get[f.Name]
			if get == nil {
				if raw := t.Cols[f.Name]; raw != nil {
					get = func(i int) string { return raw[i] }
				}
			}
			p.cols[i] = buildColumn(f, get, n)
			<-sem
		}()
	}
	wg.Wait()
	p.alias = make([][][]int32, len(m.Comparisons))
	for ci, c := range m.Comparisons {
		am := m.alias[ci]
		if am == nil {
			continue
		}
		col := p.cols[m.fieldIdx[c.Field]]
		g := make([][]int32, col.nv())
		for i := range g {
			g[i] = am[col.val(int32(i))]
		}
		p.alias[ci] = g
	}
	return p, nil
}

// buildColumn standardises a field's raw values; get nil means all
// missing.
func buildColumn(f Field, get func(i int) string, n int) *column {
	c := &column{typ: f.Type, id: make([]int32, n), sub: map[string][]int32{}, subCount: map[string]int32{}}
	rawID := map[string]int32{} // raw value → value id (−1 missing)
	stdID := map[string]int32{} // standardised value → value id
	// NHS numbers are nearly all distinct, so caching them by raw value
	// saves no work, and a map of them by string was the matcher's
	// largest transient (a few hundred megabytes at 3,000,000 persons):
	// they are looked up, and kept, by their ten digits as a number.
	nhs := f.Type == TypeNHSNumber
	nhsID := map[uint64]int32{}
	valueID := func(s string) int32 {
		if nhs {
			// A standardised NHS number is ten digits (nhsnumber.Normalise).
			v, _ := strconv.ParseUint(s, 10, 64)
			id, ok := nhsID[v]
			if !ok {
				c.nhs = append(c.nhs, v)
				c.count = append(c.count, 0)
				id = int32(len(c.nhs) - 1)
				nhsID[v] = id
			}
			return id
		}
		id, ok := stdID[s]
		if !ok {
			c.vals = append(c.vals, s)
			c.count = append(c.count, 0)
			id = int32(len(c.vals) - 1)
			stdID[s] = id
		}
		return id
	}
	for i := 0; i < n; i++ {
		var r string
		if get != nil {
			r = get(i)
		}
		if r == "" {
			c.id[i] = -1
			continue
		}
		id, ok := int32(0), false
		if !nhs {
			id, ok = rawID[r]
		}
		if !ok {
			if s := standardField(f, r); s == "" {
				id = -1
			} else {
				id = valueID(s)
			}
			if !nhs {
				rawID[r] = id
			}
		}
		c.id[i] = id
		if id < 0 {
			if strings.TrimSpace(r) != "" {
				c.invalid++
			}
			continue
		}
		c.count[id]++
		c.nonNull++
	}
	derive(c)
	return c
}

// standardField standardises one raw value; "" means missing or invalid.
func standardField(f Field, r string) string {
	switch f.Type {
	case TypeName:
		s := standardise.Name(r)
		if f.FirstWord {
			s, _, _ = strings.Cut(s, " ")
		}
		return s
	case TypeDate:
		t, ok := parseDate(r, f.Formats)
		if !ok {
			return ""
		}
		return t.Format("20060102")
	case TypeNHSNumber:
		s, err := nhsnumber.Normalise(r)
		if err != nil {
			return ""
		}
		return s
	case TypeInteger:
		v, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
		if err != nil {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return standardValue(f.Type, r)
}

// standardValue standardises values that need no parsing (also used for
// alias tables).
func standardValue(typ, r string) string {
	switch typ {
	case TypeName:
		return standardise.Name(r)
	case TypePostcode:
		return standardise.ParsePostcode(r).Full
	case TypeSex:
		s := standardise.Sex(r)
		if s == standardise.SexUnknown {
			return ""
		}
		return s
	}
	return strings.Join(strings.FieldsFunc(strings.ToUpper(r), unicode.IsSpace), " ")
}

var defaultDateFormats = []string{"2006-01-02", "02/01/2006", "20060102", "2/1/2006", time.RFC3339}

func parseDate(s string, formats []string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(formats) == 0 {
		formats = defaultDateFormats
	}
	for _, f := range formats {
		if t, err := time.Parse(f, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// derive fills the per-value data a column's type needs.
func derive(c *column) {
	nv := c.nv()
	intern := func(name string, key func(v string) string) {
		ids := make([]int32, nv)
		m := map[string]int32{}
		for i, v := range c.vals {
			k := key(v)
			if k == "" {
				ids[i] = -1
				continue
			}
			id, ok := m[k]
			if !ok {
				id = int32(len(m))
				m[k] = id
			}
			ids[i] = id
		}
		c.sub[name] = ids
		c.subCount[name] = int32(len(m))
	}
	switch c.typ {
	case TypeString, TypeName:
		intern("soundex", soundex)
		intern("first3", func(v string) string { return prefixRunes(v, 3) })
		intern("initial", func(v string) string { return prefixRunes(v, 1) })
	case TypeDate:
		c.ymd = make([]int32, nv)
		c.days = make([]int32, nv)
		for i, v := range c.vals {
			t, _ := time.Parse("20060102", v)
			x, _ := strconv.Atoi(v)
			c.ymd[i] = int32(x)
			c.days[i] = int32(t.Unix() / 86400)
		}
		intern("year", func(v string) string { return v[:4] })
		intern("month", func(v string) string { return v[4:6] })
	case TypePostcode:
		intern("sector", func(v string) string { return standardise.ParsePostcode(v).Sector })
		intern("district", func(v string) string { return standardise.ParsePostcode(v).District })
		intern("area", func(v string) string { return standardise.ParsePostcode(v).Area })
	case TypeInteger:
		c.num = make([]int64, nv)
		for i, v := range c.vals {
			c.num[i], _ = strconv.ParseInt(v, 10, 64)
		}
	}
}

func prefixRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// soundex is American Soundex of the letters A–Z in s ("" when none).
func soundex(s string) string {
	const codes = "01230120022455012623010202" // A..Z
	var out [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch < 'A' || ch > 'Z' {
			continue
		}
		code := codes[ch-'A']
		if n == 0 {
			out[0] = ch
			n = 1
			last = code
			continue
		}
		if ch == 'H' || ch == 'W' {
			continue // H and W do not separate equal codes
		}
		if code == '0' {
			last = 0 // vowels separate equal codes
			continue
		}
		if code != last {
			out[n] = code
			n++
		}
		last = code
	}
	if n == 0 {
		return ""
	}
	for n < 4 {
		out[n] = '0'
		n++
	}
	return string(out[:])
}
