package synth

import (
	"fmt"
	"math"
)

var spReasons = []string{"Social isolation", "Low mood", "Anxiety", "Financial concerns", "Housing",
	"Physical activity", "Bereavement", "Employment", "Carer support", "Long-term condition self-management"}

type spState struct {
	clients, referrals, contacts, wellbeing  *csvOut
	pGP, pSelf                               float64
	nextClient, nextRef, nextContact, nextWB int
	gpNames                                  []string
}

func (g *gen) spOpen() error {
	s := &g.sp
	var err error
	if s.clients, err = g.createCSV("sources/socialprescribing/clients.csv", "client_id", "nhs_number", "title", "first_name", "last_name",
		"date_of_birth", "gender", "address_line_1", "address_line_2", "town", "postcode", "phone", "created_date"); err != nil {
		return err
	}
	if s.referrals, err = g.createCSV("sources/socialprescribing/referrals.csv", "referral_id", "client_id", "received_date", "referral_source",
		"referrer_org_code", "referrer_org_name", "referrer_team", "referrer_name", "source_reference", "reason",
		"status", "closed_date", "closure_reason"); err != nil {
		return err
	}
	if s.contacts, err = g.createCSV("sources/socialprescribing/contacts.csv", "contact_id", "referral_id", "contact_date", "contact_type", "mode", "outcome"); err != nil {
		return err
	}
	if s.wellbeing, err = g.createCSV("sources/socialprescribing/wellbeing.csv", "assessment_id", "referral_id", "assessment_date", "tool", "timepoint", "score"); err != nil {
		return err
	}
	adults := 0.8 * float64(g.pop.n)
	s.pGP = min(0.5, 2*g.mh.target/adults)
	s.pSelf = min(0.5, 0.6*g.mh.target/adults)
	r := g.r
	r.seed(g.seed, streamSP, 1<<50)
	for range max(10, len(g.pracs)*3) {
		s.gpNames = append(s.gpNames, "Dr "+g.pop.givenName(r, "MF"[r.IntN(2)], r.chance(0.15))+" "+g.pop.surP.pick(r))
	}
	s.nextClient, s.nextRef, s.nextContact, s.nextWB = 10001, 1, 1, 1
	return nil
}

func (g *gen) spClose() error {
	for _, c := range []*csvOut{g.sp.clients, g.sp.referrals, g.sp.contacts, g.sp.wellbeing} {
		if err := g.commitCSV(c); err != nil {
			return err
		}
	}
	return nil
}

type spIn struct {
	day                      int
	source                   string // mental_health, gp, self
	org, orgName, team, name string
	ref                      string
	clinKey                  string
}

// spPerson writes p's social prescribing client and referrals: those the
// mental health trust sent (refs), and any from the GP or p themself.
func (g *gen) spPerson(p *person, refs []mhRef) {
	s := &g.sp
	r := g.r
	r.seed(g.seed, streamSP, uint64(p.idx))
	var ins []spIn
	for _, m := range refs {
		if m.status == "revoked" {
			continue
		}
		day := m.day + r.between(0, 3)
		if day > g.endDay {
			continue
		}
		c := g.mh.clinicians[m.clinician]
		ins = append(ins, spIn{day: day, source: "mental_health", org: g.mhTrust.Code, orgName: g.mhTrust.Name,
			team: mhTeamNames[c.team], name: c.display, ref: m.id, clinKey: c.id})
	}
	age := p.age(g.endDay)
	if age >= 16 && r.chance(s.pGP) {
		prac := g.pracs[p.practice]
		name := s.gpNames[(p.practice*3+r.IntN(3))%len(s.gpNames)]
		ins = append(ins, spIn{day: r.between(g.pop.firstDay, g.endDay), source: "gp", org: prac.Code, orgName: prac.Name, name: name, clinKey: name})
	}
	if age >= 16 && r.chance(s.pSelf) {
		ins = append(ins, spIn{day: r.between(g.pop.firstDay, g.endDay), source: "self"})
	}
	if len(ins) == 0 {
		return
	}
	first := ins[0]
	for _, in := range ins[1:] {
		if in.day < first.day {
			first = in
		}
	}
	rt := ratesSP
	if first.source == "self" {
		rt.nhsMissing = spSelfNHSMissing
	}
	v := p.view(r, rt)
	cid := fmt.Sprintf("C%07d", s.nextClient)
	s.nextClient++
	nhs := v.nhs
	if nhs != "" && r.chance(0.3) {
		nhs = spaced(nhs)
	}
	gender := "Female"
	if v.sex == 'M' {
		gender = "Male"
	}
	if r.chance(0.03) {
		gender = "Prefer not to say"
	}
	s.clients.row(cid, nhs, v.title, v.given, v.family, v.dob.dmy(), gender, v.addr.line1, v.addr.line2, v.addr.town,
		v.addr.postcode, v.phone, dateOf(first.day).dmy())
	g.rec("socialprescribing", "client", cid, p, &v)
	for _, in := range ins {
		g.spReferral(cid, in)
	}
}

// spReferral writes one referral and its journey: first contact, sessions,
// closure, wellbeing at baseline and follow-up. Nothing is dated after the
// last day of the period; a journey cut off there stays open.
func (g *gen) spReferral(cid string, in spIn) {
	s := &g.sp
	r := g.r
	rid := fmt.Sprintf("R%07d", s.nextRef)
	s.nextRef++
	org := in.org
	if in.source == "self" {
		org = "SELF"
	}
	g.countReferral(dateOf(in.day), "socialprescribing", org, in.team, in.clinKey)
	status, closed, reason := "open", "", ""
	closeAt := func(day int, why string) {
		if day <= g.endDay {
			status, closed, reason = "closed", dateOf(day).dmy(), why
		}
	}
	contact := func(day int, typ, outcome string) bool {
		if day > g.endDay {
			return false
		}
		mode := "face_to_face"
		if x := r.IntN(10); x < 3 {
			mode = "phone"
		} else if x < 4 {
			mode = "video"
		}
		s.contacts.row(fmt.Sprintf("CON%08d", s.nextContact), rid, dateOf(day).dmy(), typ, mode, outcome)
		s.nextContact++
		return true
	}
	score := func(day int, tool, tp string, v int) {
		if day > g.endDay {
			return
		}
		s.wellbeing.row(fmt.Sprintf("WB%08d", s.nextWB), rid, dateOf(day).dmy(), tool, tp, itoa(v))
		s.nextWB++
	}
	day := in.day
	// First contact: days to first contact vary; some people are never reached.
	delay := 1 + int(-math.Log(1-r.Float64())*7)
	attempts := 0
	engaged := false
	for attempts < 3 {
		day += delay
		attempts++
		if r.chance(0.85) {
			engaged = contact(day, "first_contact", "attended")
			break
		}
		if !contact(day, "first_contact", "did_not_attend") {
			break
		}
		delay = r.between(3, 10)
	}
	tool, lo, hi, mean, sd, gain := "WEMWBS", 14, 70, 40.0, 8.0, 7.0
	if r.chance(0.3) {
		tool, lo, hi, mean, sd, gain = "SWEMWBS", 7, 35, 20.0, 4.0, 3.5
	}
	clamp := func(x int) int { return min(hi, max(lo, x)) }
	base := clamp(int(math.Round(mean + r.NormFloat64()*sd)))
	if !engaged {
		if attempts == 3 {
			closeAt(day+r.between(7, 21), "disengaged")
		}
		s.referrals.row(rid, cid, dateOf(in.day).dmy(), in.source, in.org, in.orgName, in.team, in.name, in.ref,
			spReasons[r.IntN(len(spReasons))], status, closed, reason)
		return
	}
	outcomeDraw := r.Float64()
	if outcomeDraw < 0.1 {
		closeAt(day, "declined")
	} else {
		score(day, tool, "baseline", base)
		n := r.between(1, 6)
		attended := 0
		for range n {
			day += r.between(5, 16)
			o := "attended"
			if r.chance(0.15) {
				o = "did_not_attend"
			} else {
				attended++
			}
			if !contact(day, "session", o) {
				break
			}
		}
		if day <= g.endDay {
			if outcomeDraw < 0.3 || attended == 0 {
				closeAt(day+r.between(14, 30), "disengaged")
			} else {
				day += r.between(7, 21)
				if contact(day, "follow_up", "attended") {
					if r.chance(0.85) {
						var change int
						if r.chance(0.9) {
							change = max(1, int(math.Round(gain+r.NormFloat64()*gain/2)))
						} else {
							change = -int(math.Round(math.Abs(r.NormFloat64() * gain / 2)))
						}
						score(day, tool, "follow_up", clamp(base+change))
					}
					closeAt(day, "completed")
				}
			}
		}
	}
	s.referrals.row(rid, cid, dateOf(in.day).dmy(), in.source, in.org, in.orgName, in.team, in.name, in.ref,
		spReasons[r.IntN(len(spReasons))], status, closed, reason)
}

// writeReferralTruth writes truth/referrals_monthly.csv.
func (g *gen) writeReferralTruth() error {
	c, err := g.createCSV("truth/referrals_monthly.csv", "month", "source", "referrer_org", "referrer_team", "referrals", "referring_clinicians")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(g.mh.monthly) {
		v := g.mh.monthly[k]
		var f [4]string
		j, start := 0, 0
		for i := 0; i < len(k); i++ {
			if k[i] == 0 {
				f[j] = k[start:i]
				j++
				start = i + 1
			}
		}
		f[3] = k[start:]
		c.row(f[0], f[1], f[2], f[3], itoa(v.n), itoa(len(v.clinicians)))
	}
	return g.commitCSV(c)
}
