package personindex

import (
	"context"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sharedcare/sharedcare/transform/standardise"
)

// Links is an index's standardised records and their persons, ordered by
// source, entity and record key, held compactly: a night holds one for
// every current record while it matches and writes. Strings that repeat
// (names, postcodes, sex, status, source) are kept once and referred to by
// number, sex, status, rules and groups by a byte, the NHS number as an
// integer and the date of birth as a day, and the record keys are packed
// into one buffer. A record takes 16 bytes and its key's bytes while it is
// matched, its demographics 24 more unless they are on disk (see
// demographics), and 16 more once placed (person id and weight), where a
// Link takes 232 and its standardised strings about 100 more: at 3,000,000
// persons (4.1 million records) that was a gigabyte of the index's heap.
type Links struct {
	recs []slimLink
	// demo holds each record's demographics, unless they were written to
	// spill (standardisedLinks with a directory): only the matcher's
	// columns, built once, and the person_link file read them, in record
	// order, so between those they need not be in memory.
	demo  []demo
	spill *demoFile
	// keys holds every record's key, one after another in record order,
	// and keyEnd where each ends: a string apiece took 16 bytes in the
	// link and 16 more for its bytes (keys are about 11 bytes long).
	keys   []byte
	keyEnd []uint32
	groups []linkGroup
	rules  []string // by code; 0 is ""
	dict   *dictionary
	codes  codes // sex and status
	// person and weight are each record's person id and placing weight,
	// by position: made when the first is set, once the matcher, whose
	// columns are live while the links are, is done (16 bytes a record).
	person []int64
	weight []float64
}

type linkGroup struct{ source, system, entity string }

type slimLink struct {
	// nhs is a valid NHS number's ten digits; 0 none. With nhsText set,
	// the low bits are instead the dictionary id of a value that is not
	// ten digits (only from LinksOf: the index normalises).
	nhs uint64
	// The few values of these are numbered: the NHS number's status in
	// Links.codes, groups and rules in their slices. As dictionary ids and
	// 16-bit numbers they took 8 bytes more a record.
	status uint8
	group  uint8
	rule   uint8
}

// demo is a record's standardised demographics.
type demo struct {
	given    uint32 // dictionary ids; 0 is ""
	family   uint32
	postcode uint32
	district uint32
	dob      int32 // days since 1970 (arrow.Date32); noDate when unknown
	sex      uint8 // in Links.codes
}

// maxGroups is how many sources and entities an index can hold, and
// maxRules how many match rules: each is numbered in a byte.
const (
	maxGroups = 256
	maxRules  = 256
)

// fixedCodes are the values of sex and of the NHS number's status that
// standardising gives, numbered in every Links alike.
var fixedCodes = [...]string{"", standardise.SexMale, standardise.SexFemale, standardise.SexIndeterminate, standardise.SexUnknown,
	"valid", "missing", "invalid_check_digit", "dummy", "invalid_format"}

const (
	codeValid   uint8 = 5
	codeMissing uint8 = 6
)

// codes numbers the values of sex and status: fixedCodes, then any other
// (only from LinksOf), safely from several goroutines.
type codes struct {
	mu    sync.Mutex
	extra []string
}

func (c *codes) code(s string) uint8 {
	for i, v := range fixedCodes {
		if v == s {
			return uint8(i)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, v := range c.extra {
		if v == s {
			return uint8(len(fixedCodes) + i)
		}
	}
	if len(fixedCodes)+len(c.extra) == 256 {
		panic("personindex: more than 256 distinct values of sex and NHS number status")
	}
	c.extra = append(c.extra, strings.Clone(s))
	return uint8(len(fixedCodes) + len(c.extra) - 1)
}

func (c *codes) get(x uint8) string {
	if int(x) < len(fixedCodes) {
		return fixedCodes[x]
	}
	return c.extra[int(x)-len(fixedCodes)]
}

const (
	noDate  = math.MinInt32
	nhsText = 1 << 63
)

// Len is the number of records.
func (ls *Links) Len() int {
	if ls == nil {
		return 0
	}
	return len(ls.recs)
}

// At returns record i as a Link.
func (ls *Links) At(i int) Link { return ls.link(i, ls.demographics()(i)) }

// link is record i as a Link, with its demographics d.
func (ls *Links) link(i int, d *demo) Link {
	l := &ls.recs[i]
	g := ls.groups[l.group]
	return Link{Source: g.source, System: g.system, Entity: g.entity, RecordKey: ls.key(i), PersonID: ls.personID(i),
		Rule: ls.rules[l.rule], Weight: ls.weightOf(i), NHSNumber: ls.nhsNumber(i), NHSStatus: ls.codes.get(l.status),
		GivenName: ls.dict.get(d.given), Family: ls.dict.get(d.family), BirthDate: birthDate(d.dob),
		Sex: ls.codes.get(d.sex), Postcode: ls.dict.get(d.postcode), District: ls.dict.get(d.district)}
}

// Slice returns every record as a Link (for tests and small indexes).
func (ls *Links) Slice() []Link {
	out := make([]Link, ls.Len())
	demoOf := ls.demographics()
	for i := range out {
		out[i] = ls.link(i, demoOf(i))
	}
	return out
}

func (ls *Links) group(i int) *linkGroup { return &ls.groups[ls.recs[i].group] }
func (ls *Links) rule(i int) string      { return ls.rules[ls.recs[i].rule] }

// recordID is record i's id (RecordID).
func (ls *Links) recordID(i int) string {
	g := ls.group(i)
	return RecordID(g.source, g.entity, ls.key(i))
}

// find returns the position of the record with id (see RecordID) in
// links ordered by source, entity and record key.
func (ls *Links) find(id string) (int, bool) {
	source, rest, ok1 := strings.Cut(id, "/")
	entity, key, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return 0, false
	}
	i := sort.Search(len(ls.recs), func(i int) bool { return ls.compare(i, source, entity, key) >= 0 })
	return i, i < len(ls.recs) && ls.compare(i, source, entity, key) == 0
}

// compare orders record i against the record source/entity/key.
func (ls *Links) compare(i int, source, entity, key string) int {
	g := ls.group(i)
	return compareRecord(g.source, g.entity, ls.key(i), source, entity, key)
}

// ordered reports whether the records are in strictly ascending order of
// source, entity and key, as an index holds them.
func (ls *Links) ordered() bool {
	for i := 1; i < len(ls.recs); i++ {
		if g := ls.group(i); ls.compare(i-1, g.source, g.entity, ls.key(i)) >= 0 {
			return false
		}
	}
	return true
}

// key is record i's key.
func (ls *Links) key(i int) string {
	start, end := ls.keyStart(i), ls.keyEnd[i]
	if end == start {
		return ""
	}
	return unsafe.String(&ls.keys[start], end-start)
}

func (ls *Links) keyStart(i int) uint32 {
	if i == 0 {
		return 0
	}
	return ls.keyEnd[i-1]
}

// setKeys lays out the records' keys, key(i) giving record i's (called
// from several goroutines at once): the ends in one pass, then the bytes
// in chunks on every core.
func (ls *Links) setKeys(key func(i int) string) {
	n := len(ls.recs)
	ls.keyEnd = make([]uint32, n)
	total := uint64(0)
	for i := range n {
		total += uint64(len(key(i)))
		if total > math.MaxUint32 {
			panic("personindex: more than 4 GiB of record keys")
		}
		ls.keyEnd[i] = uint32(total)
	}
	ls.keys = make([]byte, total)
	const chunk = 16384
	forEachUnit(context.Background(), (n+chunk-1)/chunk, func(c int) error {
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			copy(ls.keys[ls.keyStart(i):ls.keyEnd[i]], key(i))
		}
		return nil
	})
}

// duplicate returns the id of a record whose source, entity and key
// another record also has, in links so ordered; "" when there is none.
func (ls *Links) duplicate() string {
	for i := 1; i < len(ls.recs); i++ {
		a, b := ls.group(i-1), ls.group(i)
		if ls.key(i) == ls.key(i-1) && a.source == b.source && a.entity == b.entity {
			return ls.recordID(i)
		}
	}
	return ""
}

func (ls *Links) nhsNumber(i int) string {
	v := ls.recs[i].nhs
	switch {
	case v == 0:
		return ""
	case v&nhsText != 0:
		return ls.dict.get(uint32(v))
	}
	return tenDigits(v)
}

// tenDigits writes v as ten digits, with leading zeros.
func tenDigits(v uint64) string {
	var b [10]byte
	for j := 9; j >= 0; j-- {
		b[j] = byte('0' + v%10)
		v /= 10
	}
	return string(b[:])
}

// birthDate is a day (arrow.Date32) as a time; the zero time for noDate.
func birthDate(d int32) time.Time {
	if d == noDate {
		return time.Time{}
	}
	return arrow.Date32(d).ToTime()
}

// personID is record i's person id; 0 before one is set.
func (ls *Links) personID(i int) int64 {
	if ls.person == nil {
		return 0
	}
	return ls.person[i]
}

func (ls *Links) setPersonID(i int, id int64) {
	if ls.person == nil {
		ls.person = make([]int64, len(ls.recs))
	}
	ls.person[i] = id
}

// weightOf is the weight setRule gave record i; 0 before.
func (ls *Links) weightOf(i int) float64 {
	if ls.weight == nil {
		return 0
	}
	return ls.weight[i]
}

// placedWeight is the weight of a placed record, NaN for a singleton.
func (ls *Links) placedWeight(i int) float64 {
	if r := ls.rule(i); r != "singleton" && r != "" {
		return ls.weightOf(i)
	}
	return math.NaN()
}

// setRule records the rule and weight that placed record i.
func (ls *Links) setRule(i int, rule string, w float64) {
	c := slices.Index(ls.rules, rule)
	if c < 0 {
		if len(ls.rules) == maxRules {
			// BuildMatchedPersons refuses a model with this many rules.
			panic("personindex: more than 256 match rules")
		}
		c = len(ls.rules)
		ls.rules = append(ls.rules, rule)
	}
	if ls.weight == nil {
		ls.weight = make([]float64, len(ls.recs))
	}
	ls.recs[i].rule, ls.weight[i] = uint8(c), w
}

// newLinks returns n singleton links, without room for their
// demographics.
func newLinks(n int) *Links {
	return &Links{recs: make([]slimLink, n), rules: []string{""}, dict: newDictionary()}
}

// LinksOf holds links compactly. They must be ordered by source, entity
// and record key for an index (Build's are).
func LinksOf(links []Link) *Links {
	ls := newLinks(len(links))
	ls.demo = make([]demo, len(links))
	gi := groupIndex{}
	for i := range links {
		l := &links[i]
		s := slimLink{group: uint8(ls.groupOf(l.Source, l.System, l.Entity, &gi)), status: ls.codes.code(l.NHSStatus)}
		d := demo{dob: noDate, given: ls.dict.id(l.GivenName), family: ls.dict.id(l.Family), postcode: ls.dict.id(l.Postcode),
			district: ls.dict.id(l.District), sex: ls.codes.code(l.Sex)}
		if v, ok := nhsValue(l.NHSNumber); ok && v != 0 {
			s.nhs = v
		} else if l.NHSNumber != "" {
			s.nhs = nhsText | uint64(ls.dict.id(l.NHSNumber))
		}
		if !l.BirthDate.IsZero() {
			d.dob = dayOf(l.BirthDate)
		}
		ls.recs[i], ls.demo[i] = s, d
		ls.setRule(i, l.Rule, l.Weight)
		ls.setPersonID(i, l.PersonID)
	}
	ls.setKeys(func(i int) string { return links[i].RecordKey })
	ls.dict.seal()
	return ls
}

// groupIndex remembers the last group found: records come in runs of one.
type groupIndex struct {
	last int
	ok   bool
}

func (ls *Links) groupOf(source, system, entity string, gi *groupIndex) uint16 {
	return groupOf(&ls.groups, source, system, entity, gi)
}

// groupOf returns the number of a source, system and entity in groups,
// adding it when new.
func groupOf(groups *[]linkGroup, source, system, entity string, gi *groupIndex) uint16 {
	want := linkGroup{source, system, entity}
	gs := *groups
	if gi.ok && gs[gi.last] == want {
		return uint16(gi.last)
	}
	for j, g := range gs {
		if g == want {
			gi.last, gi.ok = j, true
			return uint16(j)
		}
	}
	if len(gs) == maxGroups {
		// ReadPersons refuses more, with an error.
		panic("personindex: more than 256 sources and entities")
	}
	*groups = append(gs, want)
	gi.last, gi.ok = len(gs), true
	return uint16(gi.last)
}

// standardisedLinks standardises recs (ordered as the index is) into
// Links, in chunks on every core. Every record starts as a singleton. With
// dir set, the records' demographics are written to a file there (see
// demographics) rather than held.
func standardisedLinks(recs *Persons, dir string) (*Links, error) {
	n := recs.Len()
	ls := newLinks(n)
	if dir == "" {
		ls.demo = make([]demo, n)
	} else {
		var err error
		if ls.spill, err = createDemoFile(dir); err != nil {
			return nil, err
		}
	}
	ls.groups = slices.Clone(recs.groups)
	const chunk = 16384
	err := forEachUnit(context.Background(), (n+chunk-1)/chunk, func(c int) error {
		lo, hi := c*chunk, min(n, (c+1)*chunk)
		ds := ls.demo
		if ls.spill != nil {
			ds = make([]demo, hi-lo)
		} else {
			ds = ds[lo:hi]
		}
		for i := lo; i < hi; i++ {
			r := &recs.recs[i]
			nhs, status := nhsStatus(recs.nhs(r))
			pc := standardise.ParsePostcode(recs.dict.get(r.postcode))
			s := slimLink{group: uint8(r.group), status: ls.codes.code(status)}
			if v, ok := nhsValue(nhs); ok {
				s.nhs = v
			}
			ls.recs[i] = s
			ds[i-lo] = demo{dob: r.dob,
				given: ls.dict.id(standardise.Name(recs.dict.get(r.given))), family: ls.dict.id(standardise.Name(recs.dict.get(r.family))),
				postcode: ls.dict.id(pc.Full), district: ls.dict.id(pc.District),
				sex: r.sex} // standardised as read, a fixed code in both
		}
		if ls.spill != nil {
			return ls.spill.writeAt(lo, ds)
		}
		return nil
	})
	if err != nil {
		ls.Close()
		return nil, err
	}
	ls.setKeys(func(i int) string { return recs.key(&recs.recs[i]) })
	ls.dict.seal()
	return ls, nil
}

// dictionary interns strings, safely from several goroutines: values are
// spread over shards by hash, each with its own lock. An id is the shard
// in the top bits and the value's place in it below; 0 is "".
type dictionary struct {
	seed   maphash.Seed
	shards [dictShards]dictShard
}

const (
	dictShardBits = 6
	dictShards    = 1 << dictShardBits
	dictLocalBits = 32 - dictShardBits
)

type dictShard struct {
	mu   sync.Mutex
	ids  map[string]uint32
	vals []string
	_    [24]byte // keeps shards' locks on separate cache lines
}

func newDictionary() *dictionary {
	d := &dictionary{seed: maphash.MakeSeed()}
	for i := range d.shards {
		d.shards[i].ids = map[string]uint32{}
		d.shards[i].vals = []string{""} // local 0 is never handed out
	}
	return d
}

func (d *dictionary) id(s string) uint32 {
	if s == "" {
		return 0
	}
	sh := uint32(maphash.String(d.seed, s) & (dictShards - 1))
	x := &d.shards[sh]
	x.mu.Lock()
	defer x.mu.Unlock()
	local, ok := x.ids[s]
	if !ok {
		if len(x.vals) == 1<<dictLocalBits {
			panic("personindex: more than 67 million distinct values in one dictionary shard")
		}
		// A copy: s may point into a Parquet batch's buffer, which it
		// would keep whole.
		s = strings.Clone(s)
		local = uint32(len(x.vals))
		x.ids[s] = local
		x.vals = append(x.vals, s)
	}
	return sh<<dictLocalBits | local
}

func (d *dictionary) get(id uint32) string {
	if id == 0 {
		return ""
	}
	return d.shards[id>>dictLocalBits].vals[id&(1<<dictLocalBits-1)]
}

// seal drops the look-up maps once every value is in; only get may be
// called after it.
func (d *dictionary) seal() {
	for i := range d.shards {
		d.shards[i].ids = nil
		d.shards[i].vals = slices.Clip(d.shards[i].vals)
	}
}
