package synth

import (
	"fmt"
	"slices"
	"strings"
)

// HL7 event kinds, in the order events of one instant are written.
const (
	evA04 uint8 = iota
	evA01
	evA03
	evA08
	evA31
	evA40
)

var evNames = [...]string{"A04", "A01", "A03", "A08", "A31", "A40"}
var evStructure = [...]string{"ADT_A01", "ADT_A01", "ADT_A03", "ADT_A01", "ADT_A01", "ADT_A39"}

// acEvent is one ADT message to write, kept compact so a million people's
// feed can be sorted in memory; the message itself is rebuilt from the person.
type acEvent struct {
	sec    int64 // seconds since 1970 of local wall time
	person int32
	kind   uint8
	ep     uint8 // episode number
	dup    bool  // the message uses the duplicate MRN
}

type acEpisode struct {
	day, sec  int
	admit     bool
	los       int // length of stay in days (admissions)
	dischDay  int
	dischSec  int
	usesDup   bool
	class     byte
	ward      int
	consIndex int
}

// acPlan is what the hospital knows of one person: the demographics it
// recorded under each MRN and the episodes of care.
type acPlan struct {
	seen      bool
	main, dup view
	hasDup    bool
	merged    bool
	mergeDay  int
	mergeSec  int
	a08Day    int // 0 if no update message
	a08Sec    int
	a31Day    int
	a31Sec    int
	episodes  []acEpisode
	staleAddr bool // the hospital never recorded the move
}

type acuteState struct {
	events []acEvent
	plan   acPlan
	msgID  int
}

// mrn returns the hospital number for person i; dup selects the duplicate
// registration's number.
func (g *gen) mrn(i int, dup bool) string {
	k := uint64(i)
	if dup {
		k += uint64(maxPersons)
	}
	return fmt.Sprintf("H%08d", (k*48271+g.seed%1000003)%100_000_000)
}

// acPlanFor fills g.ac.plan for p. It draws from its own stream so the
// message pass can rebuild it.
func (g *gen) acPlanFor(p *person) *acPlan {
	r := g.r2
	r.seed(g.seed, streamAcute, uint64(p.idx))
	pl := &g.ac.plan
	eps := pl.episodes[:0]
	*pl = acPlan{}
	age := p.age(g.endDay)
	pr := 0.25
	switch {
	case age < 5:
		pr = 0.35
	case age < 18:
		pr = 0.2
	case age >= 65:
		pr = 0.55
	}
	if !r.chance(pr) {
		pl.episodes = eps
		return pl
	}
	pl.seen = true
	pl.main = p.view(r, ratesAcute)
	pl.staleAddr = pl.main.hasErr(errOldAddress)
	pl.hasDup = r.chance(0.02)
	if pl.hasDup {
		pl.dup = p.view(r, ratesDup)
		pl.merged = r.chance(0.75)
	}
	n := 0
	for range g.windows(r) {
		k := 1
		for k < 6 && r.chance(0.4) {
			k++
		}
		n += k
	}
	if pl.hasDup && n < 2 {
		n = 2
	}
	first := g.pop.firstDay
	for k := 0; k < n; k++ {
		e := acEpisode{day: r.between(max(first, p.dob.day()), g.endDay), sec: r.between(0, 86399)}
		e.admit = r.chance(0.35)
		e.class = 'O'
		if r.chance(0.3) {
			e.class = 'E'
		}
		if e.admit {
			e.class = 'I'
			e.los = r.between(0, 10)
			if r.chance(0.3) {
				e.los = 0
			}
			e.dischDay = e.day + e.los
			e.dischSec = r.between(0, 86399)
			if e.dischDay == e.day && e.dischSec <= e.sec {
				e.dischSec = min(e.sec+3600, 86399)
			}
		}
		e.ward = r.IntN(len(acWards))
		e.consIndex = r.IntN(40)
		eps = append(eps, e)
	}
	slices.SortFunc(eps, func(a, b acEpisode) int { return (a.day*86400 + a.sec) - (b.day*86400 + b.sec) })
	if pl.hasDup {
		d := r.IntN(len(eps)-1) + 1 // never the first: the duplicate is made on a later visit
		eps[d].usesDup = true
		if pl.merged {
			pl.mergeDay = eps[d].day + r.between(1, 60)
			pl.mergeSec = r.between(8*3600, 17*3600)
			if pl.mergeDay > g.endDay {
				pl.merged = false
			}
		}
	}
	if p.moveDay > 0 && !pl.staleAddr {
		pl.a08Day = p.moveDay + r.between(5, 120)
		pl.a08Sec = r.between(8*3600, 17*3600)
		if pl.a08Day > g.endDay || eps[0].day >= pl.a08Day {
			pl.a08Day = 0
		}
	}
	if r.chance(0.05) {
		pl.a31Day = r.between(eps[0].day+1, g.endDay+1)
		pl.a31Sec = r.between(8*3600, 17*3600)
		if pl.a31Day > g.endDay {
			pl.a31Day = 0
		}
	}
	pl.episodes = eps
	return pl
}

// acPerson records p's hospital events and MRNs.
func (g *gen) acPerson(p *person) {
	pl := g.acPlanFor(p)
	if !pl.seen {
		return
	}
	id := int32(p.idx)
	at := func(day, sec int) int64 { return int64(day)*86400 + int64(sec) }
	for k, e := range pl.episodes {
		ev := acEvent{person: id, ep: uint8(k), dup: e.usesDup}
		if e.admit {
			ev.kind, ev.sec = evA01, at(e.day, e.sec)
			g.ac.events = append(g.ac.events, ev)
			if e.dischDay <= g.endDay {
				ev.kind, ev.sec = evA03, at(e.dischDay, e.dischSec)
				g.ac.events = append(g.ac.events, ev)
			}
		} else {
			ev.kind, ev.sec = evA04, at(e.day, e.sec)
			g.ac.events = append(g.ac.events, ev)
		}
	}
	if pl.a08Day > 0 {
		g.ac.events = append(g.ac.events, acEvent{sec: at(pl.a08Day, pl.a08Sec), person: id, kind: evA08})
	}
	if pl.a31Day > 0 {
		g.ac.events = append(g.ac.events, acEvent{sec: at(pl.a31Day, pl.a31Sec), person: id, kind: evA31})
	}
	if pl.merged {
		g.ac.events = append(g.ac.events, acEvent{sec: at(pl.mergeDay, pl.mergeSec), person: id, kind: evA40})
	}
	g.rec("acute", "patient", g.mrn(p.idx, false), p, &pl.main)
	if pl.hasDup {
		g.rec("acute", "patient", g.mrn(p.idx, true), p, &pl.dup)
	}
}

var acWards = []string{"AMU", "WARD 7", "WARD 9", "WARD 12", "CCU", "ITU", "ED", "OPD", "MATERNITY", "PAEDS", "SAU", "ORTHO"}
var acConsultants = []string{"PATEL^ANITA", "JONES^GARETH", "SMITH^HELEN", "OKAFOR^CHIDI", "MURRAY^FIONA", "KHAN^SAJID", "HUGHES^TOM", "LEWIS^CLARE"}

// acWrite writes the ADT feed, one file per month, in time order.
func (g *gen) acWrite() error {
	ev := g.ac.events
	slices.SortFunc(ev, func(a, b acEvent) int {
		switch {
		case a.sec != b.sec:
			if a.sec < b.sec {
				return -1
			}
			return 1
		case a.person != b.person:
			return int(a.person) - int(b.person)
		case a.kind != b.kind:
			return int(a.kind) - int(b.kind)
		}
		return int(a.ep) - int(b.ep)
	})
	var p person
	var sb strings.Builder
	k := 0
	for mi, m := range g.months {
		if err := g.ctx.Err(); err != nil {
			return err
		}
		o, err := g.create(fmt.Sprintf("sources/acute/adt/adt-%04d-%02d.hl7", m.Year, m.Month))
		if err != nil {
			return err
		}
		for ; k < len(ev) && g.monthIndex(int(ev[k].sec/86400)) <= mi; k++ {
			e := ev[k]
			g.pop.person(int(e.person), &p)
			pl := g.acPlanFor(&p)
			sb.Reset()
			g.hl7Message(&sb, &p, pl, e)
			o.w.WriteString(sb.String())
			o.n++
		}
		if err := g.commit(o); err != nil {
			return err
		}
	}
	g.ac.events = nil
	return nil
}

// hl7 escapes the HL7 delimiters in s.
func hl7(s string) string {
	if !strings.ContainsAny(s, `|^~\&`) {
		return s
	}
	r := strings.NewReplacer(`\`, `\E\`, `|`, `\F\`, `^`, `\S\`, `&`, `\T\`, `~`, `\R\`)
	return r.Replace(s)
}

func (g *gen) hl7Message(sb *strings.Builder, p *person, pl *acPlan, e acEvent) {
	day, sec := int(e.sec/86400), int(e.sec%86400)
	ts := stamp(day, sec, "20060102150405")
	g.ac.msgID++
	code := g.acute.Code
	kind := evNames[e.kind]
	sb.WriteByte(0x0B)
	fmt.Fprintf(sb, "MSH|^~\\&|PAS|%s|SHAREDCARE|ICS|%s||ADT^%s^%s|MSG%09d|P|2.4|||AL|NE|GBR\r", code, ts, kind, evStructure[e.kind], g.ac.msgID)
	fmt.Fprintf(sb, "EVN|%s|%s\r", kind, ts)
	v := &pl.main
	mrn := g.mrn(p.idx, false)
	if e.dup {
		v = &pl.dup
		mrn = g.mrn(p.idx, true)
	}
	addr := v.addr
	if p.moveDay > 0 && !pl.staleAddr && !e.dup {
		before := day < p.moveDay
		if pl.a08Day != 0 {
			before = day < pl.a08Day || (day == pl.a08Day && sec < pl.a08Sec)
		}
		if before {
			addr = p.prevAddr
		}
	}
	ids := fmt.Sprintf("%s^^^%s^MR", mrn, code)
	if v.nhs != "" {
		ids += fmt.Sprintf("~%s^^^NHS^NH", v.nhs)
	}
	fmt.Fprintf(sb, "PID|1||%s||%s^%s^%s^^%s||%s|%c|||%s^%s^%s^^%s^GBR^H||%s^PRN^PH\r",
		ids, hl7(strings.ToUpper(v.family)), hl7(strings.ToUpper(v.given)), hl7(strings.ToUpper(v.middle)), hl7(v.title),
		v.dob.compact(), v.sex, hl7(addr.line1), hl7(addr.line2), hl7(addr.town), addr.postcode, v.phone)
	switch e.kind {
	case evA40:
		fmt.Fprintf(sb, "MRG|%s^^^%s^MR\r", g.mrn(p.idx, true), code)
	case evA08, evA31:
		sb.WriteString("PV1|1|N\r")
	default:
		ep := pl.episodes[e.ep]
		admit := stamp(ep.day, ep.sec, "20060102150405")
		disch := ""
		if e.kind == evA03 {
			disch = stamp(ep.dischDay, ep.dischSec, "20060102150405")
		}
		ward := acWards[ep.ward]
		cons := acConsultants[ep.consIndex%len(acConsultants)]
		fmt.Fprintf(sb, "PV1|1|%c|%s^^^%s||||C%07d^%s^^^DR|||%s|||||||||V%s%02d^^^%s^VN|||||||||||||||||||||||||%s|%s\r",
			ep.class, ward, code, 1000000+ep.consIndex, cons, hl7Service(ep), mrn[1:], e.ep, code, admit, disch)
	}
	sb.WriteString("\x1c\r")
}

func hl7Service(ep acEpisode) string {
	switch {
	case ep.class == 'E':
		return "180"
	case ep.class == 'I':
		return "300"
	}
	return "100"
}
