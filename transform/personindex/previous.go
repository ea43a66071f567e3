package personindex

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Previous is what the last index said: person ids by record and by NHS
// number.
//
// A night holds it beside every current record, so it is kept compact:
// the record keys of each source and entity packed into one byte slice,
// ascending, and NHS numbers as integers. At 2,000,000 persons maps of the
// same took 260 MB of the person index's heap.
type Previous struct {
	groups map[string]*prevGroup // source\x00entity → its records
	// nhs holds, ascending, one entry per NHS number, the numbers of the
	// previous records, or with matched those of the records not marked in
	// its sameNHS.
	nhs   []nhsID
	MaxID int64
	// Run is the index run read; "" when there was none.
	Run string
	// matched, when set, is the previous index already matched with this
	// run's links (ReadPreviousFor), in place of groups.
	matched *prevMatched
}

// prevMatched is a previous index matched with one run's links, record
// by record, as it was read: what the person index needs of it without
// holding its record keys.
type prevMatched struct {
	links *Links
	of    []int64      // each link's previous person id (0: none)
	gone  []goneRecord // previous records no link has, by source, entity and key
	// sameNHS marks, one bit a link, the links whose previous record had
	// their NHS number: Previous.nhs then holds only the others' numbers
	// (the records gone or whose number changed), and nhsIDs finds these
	// from the links. Every previous record's number took 16 bytes.
	sameNHS []uint64
}

// prevGroup holds the previous ids of one source and entity's records,
// ascending by key.
type prevGroup struct {
	buf  []byte   // the record keys, one after another, while reading
	keys string   // the same once read (substrings of it cost nothing)
	end  []uint32 // where each key ends in keys
	ids  []int64
}

type nhsID struct {
	nhs uint64 // a valid NHS number's ten digits
	id  int64  // the smallest person id it had
}

func groupName(source, entity string) string { return source + "\x00" + entity }

func (g *prevGroup) key(i int) string {
	start := uint32(0)
	if i > 0 {
		start = g.end[i-1]
	}
	return g.keys[start:g.end[i]]
}

func (g *prevGroup) add(key string, id int64) {
	g.buf = append(g.buf, key...)
	g.end = append(g.end, uint32(len(g.buf)))
	g.ids = append(g.ids, id)
}

// seal ends reading: the keys become one string.
func (g *prevGroup) seal() { g.keys, g.buf = string(g.buf), nil }

// sort puts the records in key order when they were not (an index written
// by this version is already in it) and drops repeated keys, keeping the
// last, as a map would.
func (g *prevGroup) sort() {
	n := len(g.ids)
	ordered := true
	for i := 1; i < n && ordered; i++ {
		ordered = g.key(i-1) < g.key(i)
	}
	if ordered {
		return
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(g.key(a), g.key(b)) })
	var out prevGroup
	for j, i := range perm {
		if j+1 < n && g.key(perm[j+1]) == g.key(i) {
			continue // a later record of the same key follows
		}
		out.add(g.key(i), g.ids[i])
	}
	out.seal()
	*g = out
}

// find returns the id of key and its position, or 0 and -1. A caller
// walking keys in order passes the position after its last hit as hint,
// which is tried first.
func (g *prevGroup) find(key string, hint int) (int64, int) {
	if hint >= 0 && hint < len(g.ids) && g.key(hint) == key {
		return g.ids[hint], hint
	}
	lo, hi := 0, len(g.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if g.key(m) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(g.ids) && g.key(lo) == key {
		return g.ids[lo], lo
	}
	return 0, -1
}

// Record returns the person id the last index gave a record, or 0.
func (p *Previous) Record(source, entity, key string) int64 {
	g := p.groups[groupName(source, entity)]
	if g == nil {
		return 0
	}
	id, _ := g.find(key, -1)
	return id
}

// records returns the previous person id of each link (0: none). Links
// ordered by source, entity and key, as the index writes them, are looked
// up in one walk.
func (p *Previous) records(links *Links) []int64 {
	if p.matched != nil && p.matched.links == links {
		return p.matched.of
	}
	out := make([]int64, links.Len())
	var g *prevGroup
	var lg *linkGroup
	hint := 0
	for i := range out {
		if l := links.group(i); lg == nil || l.source != lg.source || l.entity != lg.entity {
			lg, hint = l, 0
			g = p.groups[groupName(l.source, l.entity)]
		}
		if g == nil {
			continue
		}
		id, at := g.find(links.key(i), hint)
		if at >= 0 {
			out[i], hint = id, at+1
		}
	}
	return out
}

// NHS returns the smallest person id the last index gave records with the
// valid, normalised NHS number n.
func (p *Previous) NHS(n string) (int64, bool) {
	v, ok := nhsValue(n)
	if !ok {
		return 0, false
	}
	id, ok := p.nhsIDs([]uint64{v})[v]
	return id, ok
}

// nhsIDs returns, for each NHS number of want (as integers) that records
// of the last index had, the smallest person id it gave them. With the
// index matched with the links, the links are walked once for the numbers
// their previous records shared with them.
func (p *Previous) nhsIDs(want []uint64) map[uint64]int64 {
	out := map[uint64]int64{}
	if len(want) == 0 {
		return out
	}
	for _, v := range want {
		if i, found := slices.BinarySearchFunc(p.nhs, v, func(e nhsID, v uint64) int { return cmp.Compare(e.nhs, v) }); found {
			out[v] = p.nhs[i].id
		}
	}
	if m := p.matched; m != nil {
		set := make(map[uint64]struct{}, len(want))
		for _, v := range want {
			set[v] = struct{}{}
		}
		for j, id := range m.of {
			if m.sameNHS[j/64]&(1<<(j%64)) == 0 {
				continue
			}
			v := m.links.recs[j].nhs
			if _, ok := set[v]; !ok {
				continue
			}
			if cur, ok := out[v]; !ok || id < cur {
				out[v] = id
			}
		}
	}
	return out
}

// hasNHS reports whether the last index had any NHS number.
func (p *Previous) hasNHS() bool { return len(p.nhs) > 0 || p.matched != nil }

// nhsValue is a normalised NHS number (ten digits) as an integer.
func nhsValue(n string) (uint64, bool) {
	if len(n) != 10 {
		return 0, false
	}
	v, err := strconv.ParseUint(n, 10, 64)
	return v, err == nil
}

// ReadPreviousFor reads the latest complete index, or gives an empty
// Previous when there is none, matching its records with links (ordered by
// source, entity and record key) as it reads them: a night's person index
// then holds each link's previous person id and the few records gone, not
// every previous record key beside every current one (about 30 bytes a
// record). An index whose records are not in that order (written before
// it was, or with a key twice), or links that are not, are read whole, as
// ReadPrevious does.
func ReadPreviousFor(ctx context.Context, lake string, mem memory.Allocator, links *Links) (*Previous, error) {
	id, err := Latest(lake)
	if errors.Is(err, ErrNoIndex) {
		return &Previous{}, nil
	}
	if err != nil {
		return nil, err
	}
	if !links.ordered() {
		return ReadPrevious(ctx, lake, mem)
	}
	n := links.Len()
	p := &Previous{Run: id}
	m := &prevMatched{links: links, of: make([]int64, n), sameNHS: make([]uint64, (n+63)/64)}
	at := 0 // the first link not yet passed
	var lastSource, lastEntity string
	var lastKey []byte // copied: the strings read share the batch's buffers
	first := true
	errUnordered := errors.New("unordered")
	file := filepath.Join(lake, LinkFile(id))
	err = ReadParquet(ctx, file, []string{"source", "entity", "record_key", "person_id", "nhs_number"}, mem,
		func(cols []arrow.Array, i int) error {
			source, entity, key := str(cols[0], i), str(cols[1], i), str(cols[2], i)
			pid := cols[3].(*array.Int64).Value(i)
			if !first && compareRecord(source, entity, key, lastSource, lastEntity, unsafe.String(unsafe.SliceData(lastKey), len(lastKey))) <= 0 {
				return errUnordered
			}
			first = false
			if source != lastSource || entity != lastEntity {
				lastSource, lastEntity = strings.Clone(source), strings.Clone(entity)
			}
			lastKey = append(lastKey[:0], key...)
			for at < n && links.compare(at, source, entity, key) < 0 {
				at++ // a link with no previous record
			}
			matched := -1
			if at < n && links.compare(at, source, entity, key) == 0 {
				m.of[at], matched = pid, at
				at++
			} else {
				m.gone = append(m.gone, goneRecord{lastSource, lastEntity, string(lastKey), pid})
			}
			if nhs := str(cols[4], i); nhs != "" {
				v, ok := nhsValue(nhs)
				if !ok {
					return errors.New("an nhs_number that is not ten digits (value withheld)")
				}
				if matched >= 0 && links.recs[matched].nhs == v {
					m.sameNHS[matched/64] |= 1 << (matched % 64)
				} else {
					p.nhs = append(p.nhs, nhsID{v, pid})
				}
			}
			p.MaxID = max(p.MaxID, pid)
			return nil
		})
	if errors.Is(err, errUnordered) {
		return ReadPrevious(ctx, lake, mem)
	}
	if err != nil {
		return nil, fmt.Errorf("reading previous person index %s: %w", id, err)
	}
	p.matched = m
	p.sealNHS()
	return p, nil
}

// MatchedWithLinks reports whether the index was matched with the links
// as it was read (ReadPreviousFor), rather than read whole.
func (p *Previous) MatchedWithLinks() bool { return p.matched != nil }

// compareRecord orders records by source, entity and record key.
func compareRecord(source, entity, key, source2, entity2, key2 string) int {
	if c := strings.Compare(source, source2); c != 0 {
		return c
	}
	if c := strings.Compare(entity, entity2); c != 0 {
		return c
	}
	return strings.Compare(key, key2)
}

// ReadPrevious loads the latest complete index as a Previous, or an empty
// one when there is none.
func ReadPrevious(ctx context.Context, lake string, mem memory.Allocator) (*Previous, error) {
	id, err := Latest(lake)
	if errors.Is(err, ErrNoIndex) {
		return &Previous{}, nil
	}
	if err != nil {
		return nil, err
	}
	p := &Previous{groups: map[string]*prevGroup{}, Run: id}
	var lastSource, lastEntity string
	var g *prevGroup
	file := filepath.Join(lake, LinkFile(id))
	err = ReadParquet(ctx, file, []string{"source", "entity", "record_key", "person_id", "nhs_number"}, mem,
		func(cols []arrow.Array, i int) error {
			pid := cols[3].(*array.Int64).Value(i)
			// Links are ordered by source and entity: one map lookup per run of them.
			if src, ent := str(cols[0], i), str(cols[1], i); g == nil || src != lastSource || ent != lastEntity {
				// Copies: the strings share the batch's buffers.
				lastSource, lastEntity = strings.Clone(src), strings.Clone(ent)
				name := groupName(src, ent)
				if g = p.groups[name]; g == nil {
					g = &prevGroup{}
					p.groups[name] = g
				}
			}
			g.add(str(cols[2], i), pid)
			if n := str(cols[4], i); n != "" {
				v, ok := nhsValue(n)
				if !ok {
					return errors.New("an nhs_number that is not ten digits (value withheld)")
				}
				p.nhs = append(p.nhs, nhsID{v, pid})
			}
			if pid > p.MaxID {
				p.MaxID = pid
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading previous person index %s: %w", id, err)
	}
	for _, g := range p.groups {
		g.seal()
		g.sort()
	}
	p.sealNHS()
	return p, nil
}

// sealNHS orders the NHS numbers read, keeping each one's smallest id.
func (p *Previous) sealNHS() {
	slices.SortFunc(p.nhs, func(a, b nhsID) int {
		if c := cmp.Compare(a.nhs, b.nhs); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	p.nhs = slices.CompactFunc(p.nhs, func(a, b nhsID) bool { return a.nhs == b.nhs })
}
