package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// Random streams: each part of the generator draws from its own PCG stream,
// seeded from Config.Seed, the stream constant and a record index, so a
// person can be regenerated on demand in any order.
const (
	streamPerson    = 0x01
	streamHousehold = 0x02
	streamTwin      = 0x03
	streamGP        = 0x10
	streamAcute     = 0x11
	streamMH        = 0x12
	streamSC        = 0x13
	streamSP        = 0x14
	streamNHS       = 0x20
	streamRegion    = 0x21
)

// rng is a reseedable PCG source; seeding allocates nothing.
type rng struct {
	pcg rand.PCG
	*rand.Rand
}

func newRNG() *rng {
	g := &rng{}
	g.Rand = rand.New(&g.pcg)
	return g
}

// seed positions g at the start of stream for index i.
func (g *rng) seed(seed, stream, i uint64) {
	g.pcg.Seed(seed^(stream*0x9E3779B97F4A7C15), i*0xD1B54A32D192ED03+stream)
}

// chance reports true with probability p.
func (g *rng) chance(p float64) bool { return g.Float64() < p }

// between returns an int in [lo, hi].
func (g *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.IntN(hi-lo+1)
}

// picker draws names by weight.
type picker struct {
	names []string
	cum   []int
}

func newPicker(ws []weighted) picker {
	p := picker{names: make([]string, len(ws)), cum: make([]int, len(ws))}
	t := 0
	for i, w := range ws {
		t += w.w
		p.names[i] = w.name
		p.cum[i] = t
	}
	return p
}

func (p picker) pick(g *rng) string {
	x := g.IntN(p.cum[len(p.cum)-1])
	return p.names[sort.SearchInts(p.cum, x+1)]
}

// Date helpers. Day numbers count days since 1970-01-01.

func (d Date) day() int {
	return int(time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dateOf(day int) Date {
	t := time.Unix(int64(day)*86400, 0).UTC()
	return Date{t.Year(), int(t.Month()), t.Day()}
}

func (d Date) iso() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

func (d Date) dmy() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

func (d Date) compact() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
}

func (d Date) ym() string { return fmt.Sprintf("%04d-%02d", d.Year, d.Month) }

// address is a UK postal address.
type address struct {
	line1, line2, town, postcode string
	district                     int
	sector                       int
}

// person is one true person of the region.
type person struct {
	idx          int
	nhs          string
	title        string
	given        string
	middle       string
	family       string
	prevFamily   string // surname before marriage, "" if unchanged
	sex          byte   // 'M' or 'F'
	dob          Date
	addr         address
	prevAddr     address // meaningful when moveDay > 0
	moveDay      int     // day number of a house move within the period, 0 if none
	phone        string
	twin         bool
	practice     int // index into the region's GP practices
	prevPractice int // practice before the move, -1 if the person did not change practice
	sa           bool
}

func (p *person) age(at int) int {
	d := dateOf(at)
	a := d.Year - p.dob.Year
	if d.Month < p.dob.Month || (d.Month == p.dob.Month && d.Day < p.dob.Day) {
		a--
	}
	return a
}

// population generates the region's true people on demand from (seed, index).
// It implements Population.
type population struct {
	seed       uint64
	n          int
	firstDay   int // first day of the first month
	lastDay    int // last day of the last month
	practices  int
	units      int // postcode units per sector
	nhsA, nhsB uint64
	distPick   []int
	maleP      picker
	femaleP    picker
	maleSAP    picker
	femaleSAP  picker
	surP       picker
	surSAP     picker
	g, h, t    *rng
	// dcode and dtown are each district's outward code and post town in
	// this region (the area letters follow the organisations' postcodes).
	dcode, dtown []string
}

// maxPersons bounds Config.Persons: NHS numbers are drawn from a permutation
// of 10^7 values.
const maxPersons = 10_000_000

func newPopulation(seed uint64, n int, months []Date, practices int, area, city string) *population {
	p := &population{seed: seed, n: n, practices: practices}
	for _, d := range districts {
		code, town := d.code, d.town
		if area != "" {
			code = area + strings.TrimLeft(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		}
		if city != "" && town == "Bristol" {
			town = city
		}
		p.dcode = append(p.dcode, code)
		p.dtown = append(p.dtown, town)
	}
	p.firstDay = months[0].day()
	last := months[len(months)-1]
	p.lastDay = Date{last.Year, last.Month + 1, 1}.norm().day() - 1
	p.units = n / (len(districts) * 10 * 40)
	p.units = min(max(p.units, 3), 400)
	g := newRNG()
	g.seed(seed, streamNHS, 0)
	for {
		p.nhsA = g.Uint64N(maxPersons)
		if p.nhsA%2 != 0 && p.nhsA%5 != 0 {
			break
		}
	}
	p.nhsB = g.Uint64N(maxPersons)
	for i, d := range districts {
		for range d.weight {
			p.distPick = append(p.distPick, i)
		}
	}
	p.maleP, p.femaleP = newPicker(maleGiven), newPicker(femaleGiven)
	p.maleSAP, p.femaleSAP = newPicker(maleGivenSA), newPicker(femaleGivenSA)
	p.surP, p.surSAP = newPicker(surnames), newPicker(surnamesSA)
	p.g, p.h, p.t = newRNG(), newRNG(), newRNG()
	return p
}

// norm carries an overflowing month into the year.
func (d Date) norm() Date {
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), int(t.Month()), t.Day()}
}

// Len returns the number of true people.
func (p *population) Len() int { return p.n }

// NHSNumber returns person i's true, valid NHS number. Numbers start with 9
// (a range never issued to real patients) and are unique within the region.
func (p *population) NHSNumber(i int) string {
	k := (p.nhsA*uint64(i) + p.nhsB) % maxPersons
	var b [10]byte
	b[0] = '9'
	s := strconv.FormatUint(k+maxPersons, 10) // 8 digits, leading 1
	copy(b[1:8], s[1:])
	for d := byte(0); d < 10; d++ {
		b[8] = '0' + (d+byte(k))%10
		c, ok := nhsnumber.CheckDigit(string(b[:9]))
		if !ok {
			continue
		}
		b[9] = '0' + byte(c)
		if nhsnumber.Valid(string(b[:])) {
			return string(b[:])
		}
	}
	panic("synth: no valid NHS number for index") // unreachable: at most one d9 gives check 10
}

// ageBands are rough shares of the population by five-year age band.
var ageBands = []int{57, 60, 61, 57, 60, 66, 68, 67, 64, 64, 69, 68, 59, 51, 50, 36, 26, 16, 8, 2}

// isTwin reports whether the pair block j (persons 2j and 2j+1) are twins.
func (p *population) isTwin(j int) bool {
	if 2*j+1 >= p.n {
		return false
	}
	p.t.seed(p.seed, streamTwin, uint64(j))
	return p.t.chance(0.012)
}

// household draws what twins share: surname, date of birth, address, name
// origin.
func (p *population) household(lead int, out *person) {
	h := p.h
	h.seed(p.seed, streamHousehold, uint64(lead))
	di := p.distPick[h.IntN(len(p.distPick))]
	out.sa = h.IntN(100) < districts[di].saShare
	if out.sa {
		out.family = p.surSAP.pick(h)
	} else {
		out.family = p.surP.pick(h)
	}
	// Age band, then a day within it, counted back from the last day.
	t := 0
	for _, w := range ageBands {
		t += w
	}
	x := h.IntN(t)
	band := 0
	for ; band < len(ageBands)-1; band++ {
		if x < ageBands[band] {
			break
		}
		x -= ageBands[band]
	}
	ageDays := band*1826 + h.IntN(1826)
	out.dob = dateOf(p.lastDay - ageDays)
	out.addr = p.address(h, di)
	if h.chance(0.10) {
		out.moveDay = h.between(p.firstDay+30, p.lastDay-30)
		out.prevAddr = out.addr
		if h.chance(0.6) {
			out.addr = p.address(h, di) // nearby: same district
		} else {
			out.addr = p.address(h, p.distPick[h.IntN(len(p.distPick))])
		}
	}
	out.practice = p.practiceFor(h, out.addr)
	out.prevPractice = -1
	if out.moveDay > 0 {
		prev := p.practiceFor(h, out.prevAddr)
		if prev != out.practice && h.chance(0.7) {
			out.prevPractice = prev
		} else {
			out.practice = prev // stayed with the old practice
		}
	}
	if h.chance(0.7) {
		out.phone = fmt.Sprintf("07700 900%03d", h.IntN(1000))
	} else {
		out.phone = fmt.Sprintf("0117 496 0%03d", h.IntN(1000))
	}
}

func (p *population) practiceFor(h *rng, a address) int {
	slots := len(districts) * 10
	slot := a.district*10 + a.sector
	base := slot * p.practices / slots
	span := max(1, (p.practices+slots-1)/slots)
	return min(base+h.IntN(span+1), p.practices-1)
}

func (p *population) address(h *rng, di int) address {
	d := districts[di]
	a := address{district: di, sector: h.IntN(10), town: p.dtown[di]}
	unit := h.IntN(p.units)
	// Spread the units used over the 400 possible letter pairs.
	u := (unit*157 + di*31 + a.sector*7) % 400
	a.postcode = fmt.Sprintf("%s %d%c%c", p.dcode[di], a.sector, unitLetters[u/20], unitLetters[u%20])
	// The street follows the postcode unit.
	s := uint64(di*1_000_003+a.sector*4099+unit) * 0x9E3779B97F4A7C15
	street := streetNames[(s>>20)%uint64(len(streetNames))] + " " + streetTypes[(s>>40)%uint64(len(streetTypes))]
	num := h.between(1, 140)
	if h.chance(0.12) {
		a.line1 = fmt.Sprintf("Flat %d", h.between(1, 24))
		a.line2 = fmt.Sprintf("%d %s", num, street)
	} else {
		a.line1 = fmt.Sprintf("%d %s", num, street)
		if d.locality != "" && h.chance(0.5) {
			a.line2 = d.locality
		}
	}
	return a
}

// person fills out with person i. The result is the same whatever the order
// of calls.
func (p *population) person(i int, out *person) {
	*out = person{idx: i}
	lead := i
	j := i / 2
	twin := p.isTwin(j)
	if twin {
		lead = 2 * j
	}
	p.household(lead, out)
	out.twin = twin
	out.nhs = p.NHSNumber(i)
	g := p.g
	g.seed(p.seed, streamPerson, uint64(i))
	out.sex = 'F'
	if g.chance(0.49) {
		out.sex = 'M'
	}
	out.given = p.givenName(g, out.sex, out.sa)
	if twin && i == 2*j+1 {
		// A twin never shares the sibling's given name.
		var sib person
		p.g.seed(p.seed, streamPerson, uint64(lead))
		sib.sex = 'F'
		if p.g.chance(0.49) {
			sib.sex = 'M'
		}
		sib.given = p.givenName(p.g, sib.sex, out.sa)
		g.seed(p.seed, streamPerson, uint64(i)+1<<40)
		for out.given == sib.given {
			out.given = p.givenName(g, out.sex, out.sa)
		}
	}
	if g.chance(0.45) {
		out.middle = p.givenName(g, out.sex, out.sa)
		if out.middle == out.given {
			out.middle = ""
		}
	}
	age := out.age(p.lastDay)
	if !twin && out.sex == 'F' && age >= 22 && age <= 60 && g.chance(0.05) {
		out.prevFamily = out.family
		for out.prevFamily == out.family {
			out.prevFamily = p.surP.pick(g)
		}
	}
	if age >= 18 {
		if out.sex == 'M' {
			out.title = titlesMale[g.IntN(len(titlesMale))]
		} else {
			out.title = titlesFemale[g.IntN(len(titlesFemale))]
			if out.prevFamily == "" && out.title == "Mrs" && age < 25 {
				out.title = "Miss"
			}
		}
	}
}

func (p *population) givenName(g *rng, sex byte, sa bool) string {
	switch {
	case sex == 'M' && sa:
		return p.maleSAP.pick(g)
	case sex == 'M':
		return p.maleP.pick(g)
	case sa:
		return p.femaleSAP.pick(g)
	}
	return p.femaleP.pick(g)
}
