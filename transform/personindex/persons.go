package personindex

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sharedcare/sharedcare/transform/standardise"
)

// Persons is a set of person-level source records, held compactly for a
// region's worth: a Record takes 192 bytes and keeps the Parquet batch
// buffers its strings point into, about 60 bytes more; here a record takes
// 40, and its key's bytes. Names and postcodes repeat, so each value is
// kept once (copied out of the batch) and referred to by number; sex is
// held standardised, as a byte (see sexCode); the
// NHS number as written is held as a number when it is ten digits (see
// packNHS); the date of birth is a day; the key's bytes sit in a buffer
// shared with other records' (a string apiece took 16 bytes in the record
// and 16 for its copy: 345 MB at 10,000,000 persons); the few records with
// source links refer to them by number.
type Persons struct {
	recs   []personRec
	groups []linkGroup
	dict   *dictionary // raw values
	mu     sync.Mutex  // guards links and keyBufs while row groups are read at once
	links  [][]string  // by personRec.links−1
	// keyBufs hold the records' keys: a record's is
	// keyBufs[kbuf][koff:koff+klen]. A buffer is not changed once its
	// records are made, so a key can be read as a string without a copy.
	keyBufs [][]byte
}

type personRec struct {
	nhs      uint64 // as written in the source (packNHS)
	koff     uint32 // the key: see Persons.keyBufs
	kbuf     uint32
	given    uint32 // dictionary ids of the raw values; 0 is ""
	family   uint32
	postcode uint32
	dob      int32  // days since 1970; noDate when unknown
	links    uint32 // 1 + index in Persons.links; 0: none
	klen     uint16
	group    uint8
	sex      uint8 // standardised, in fixedCodes
}

// sexCode is the code in fixedCodes of sex as written, standardised: in
// 48 bytes a record, the raw value's dictionary id took 4 (and 4 more in
// padding).
func sexCode(raw string) uint8 {
	return uint8(slices.Index(fixedCodes[:], standardise.Sex(raw)))
}

// NewPersons returns an empty set with room for n records.
func NewPersons(n int) *Persons {
	return &Persons{recs: make([]personRec, 0, n), dict: newDictionary(), keyBufs: [][]byte{nil}}
}

// Reserve makes room for n more records. ReadPersons needs room for every
// row it reads (PersonRows) and leaves unused the room of those it drops,
// keys read again: a caller reading several sources reads those that may
// repeat keys first, then makes room for the rest.
func (p *Persons) Reserve(n int) { p.recs = slices.Grow(p.recs, n) }

// PersonsOf holds recs compactly.
func PersonsOf(recs []Record) *Persons {
	p := NewPersons(len(recs))
	gi := groupIndex{}
	for i := range recs {
		p.recs = append(p.recs, p.pack(&recs[i], &gi))
	}
	return p
}

// Len is the number of records.
func (p *Persons) Len() int { return len(p.recs) }

// Record returns record i, its sex standardised (see sexCode).
func (p *Persons) Record(i int) Record {
	r := &p.recs[i]
	g := p.groups[r.group]
	out := Record{Source: g.source, System: g.system, Entity: g.entity, RecordKey: p.key(r), NHSNumber: p.nhs(r),
		GivenName: p.dict.get(r.given), Family: p.dict.get(r.family), Sex: fixedCodes[r.sex], Postcode: p.dict.get(r.postcode)}
	if r.dob != noDate {
		out.BirthDate = arrow.Date32(r.dob).ToTime()
	}
	if r.links > 0 {
		out.Links = p.links[r.links-1]
	}
	return out
}

// Records returns every record as a Record.
func (p *Persons) Records() []Record {
	out := make([]Record, len(p.recs))
	for i := range out {
		out[i] = p.Record(i)
	}
	return out
}

func (p *Persons) groupOf(source, system, entity string, gi *groupIndex) uint16 {
	return groupOf(&p.groups, source, system, entity, gi)
}

// key is r's record key, a string over its buffer (no copy).
func (p *Persons) key(r *personRec) string {
	if r.klen == 0 {
		return ""
	}
	return unsafe.String(&p.keyBufs[r.kbuf][r.koff], r.klen)
}

// newKeyBuf adds a buffer of keys to come and returns its number.
func (p *Persons) newKeyBuf() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.keyBufs) == math.MaxUint32 {
		panic("personindex: more than 4 billion buffers of record keys")
	}
	p.keyBufs = append(p.keyBufs, nil)
	return uint32(len(p.keyBufs) - 1)
}

// setKeyBuf sets buffer n's keys, once its records are made.
func (p *Persons) setKeyBuf(n uint32, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keyBufs[n] = b
}

// keyAt appends key to buf, for a record of buffer n, and sets r's key.
func keyAt(buf []byte, n uint32, key string, r *personRec) ([]byte, error) {
	if uint64(len(buf))+uint64(len(key)) > math.MaxUint32 {
		return buf, fmt.Errorf("more than 4 GiB of record keys in one buffer")
	}
	if len(key) > math.MaxUint16 {
		return buf, fmt.Errorf("a record key of %d bytes: the person index takes keys of up to %d", len(key), math.MaxUint16)
	}
	r.kbuf, r.koff, r.klen = n, uint32(len(buf)), uint16(len(key))
	return append(buf, key...), nil
}

// pack makes r compact; records are added serially only (their groups
// and keys: keys go to buffer 0).
func (p *Persons) pack(r *Record, gi *groupIndex) personRec {
	pr := personRec{nhs: p.packNHS(r.NHSNumber), group: uint8(p.groupOf(r.Source, r.System, r.Entity, gi)), dob: noDate,
		given: p.dict.id(r.GivenName), family: p.dict.id(r.Family), sex: sexCode(r.Sex), postcode: p.dict.id(r.Postcode)}
	if !r.BirthDate.IsZero() {
		pr.dob = dayOf(r.BirthDate)
	}
	if len(r.Links) > 0 {
		pr.links = p.addLinks(r.Links)
	}
	var err error
	if p.keyBufs[0], err = keyAt(p.keyBufs[0], 0, r.RecordKey, &pr); err != nil {
		panic("personindex: " + err.Error())
	}
	return pr
}

// rawNHSText marks a packed NHS number held by dictionary id (see packNHS).
const rawNHSText = 1 << 63

// packNHS packs an NHS number as the source wrote it: ten digits as their
// value plus one (a string and its copy took 32 bytes, and nearly every
// record has a distinct number), anything else (spaces, a hyphen, too few
// digits) by its id in the dictionary with rawNHSText set; 0 is "".
func (p *Persons) packNHS(s string) uint64 {
	if s == "" {
		return 0
	}
	if v, ok := nhsValue(s); ok {
		return v + 1
	}
	return rawNHSText | uint64(p.dict.id(s))
}

// nhs is r's NHS number as the source wrote it.
func (p *Persons) nhs(r *personRec) string {
	switch v := r.nhs; {
	case v == 0:
		return ""
	case v&rawNHSText != 0:
		return p.dict.get(uint32(v))
	default:
		return tenDigits(v - 1)
	}
}

// addLinks keeps a record's source links and returns their reference.
func (p *Persons) addLinks(l []string) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.links = append(p.links, l)
	return uint32(len(p.links))
}

func (p *Persons) linksOf(i int) []string {
	if r := p.recs[i].links; r > 0 {
		return p.links[r-1]
	}
	return nil
}

func (p *Persons) birthDate(i int) time.Time {
	if d := p.recs[i].dob; d != noDate {
		return arrow.Date32(d).ToTime()
	}
	return time.Time{}
}

// dayOf is t's calendar date, in t's own location, as days since 1970.
func dayOf(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
}
