package synth

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The portal usage model.
//
// Users. Each live organisation authorises a number of users that depends on
// its type and the region's size, calibrated on Bristol's Connecting Care
// (3,628 authorised professionals for about a million people) with floors so
// that small regions still have a few hundred users: a practice has about
// 6 + list size/1,000 users (±2, at least 5); the acute trust 100 per 100,000
// persons (at least 80); the mental health trust 30 (at least 35); the
// community trust 25 (at least 35); the ambulance trust 20 (at least 25); the
// local authorities 15 between them (at least 25 each); the social
// prescribing service and the hospice 3 (at least 10 and 12); non-practice
// counts vary ±10%. Roles follow the organisation's type. A user is
// authorised at go-live plus a delay: 45% within 30 days, the rest after an
// exponential delay with a mean of 150 days (the uptake curve); a user whose
// date falls after the window is not yet authorised and is left out. About
// 6% of users are revoked 60 days to two years after authorisation (left
// empty when that is after the window); a revoked user views nothing from
// the revocation date.
//
// Views. Exactly 80% of an organisation's users are engaged (a tenth, at
// least one, in a poor_uptake organisation); the others never view. An
// engaged user is away in 10% of months and otherwise views a Poisson
// number of records with mean
// rate(role) × intensity × boost × season × ramp × exposure × decline, where
// rate is 4–11 views a month by role, intensity a per-user lognormal factor
// (σ 0.5, mean 1), boost = 1 + 1.5·clamp((6 − log10 persons)/2, 0, 1) keeps
// enough views in small regions (2.5 at 10,000 persons, 1 at a million),
// season a mild winter peak with August and December dips (about ±10%), ramp
// 0.4 and 0.7 in the first two months after authorisation, exposure the
// share of the month the user was authorised. For a declining organisation
// the factor d is 0.8, 0.6, 0.45, 0.35 and 0.25 over the last five months:
// users drop out in an order spread evenly over them (a share d^0.3 stays)
// and those left view d^0.7 as much, so the last three months average about
// 44% of the three before (a fall of about 56%). At a million persons this
// gives about 3,500 authorised users and 18,000 views a month; at 10,000
// about 230 users and 3,400 views.
//
// Each view has a local (Europe/London) day and time weighted to weekdays
// and working hours, with out-of-hours shares by organisation type (4% for
// practices, 30% for the acute trust, 55% for the ambulance trust); a
// patient, 35% of the time one the organisation viewed recently and
// otherwise a new one (practices draw from their own slice of the
// population); sections (medications and allergies most often, care
// packages and safeguarding mostly for social care); and a reason suited to
// the role. Events are ordered by time and numbered E00000001, … across the
// whole window.
//
// Malformed lines. About 0.1% of audit lines (random rounding; at least one
// in a file of 500 lines or more) are corrupted: truncated JSON, user_id
// missing, user_id empty or nhs_number missing. Their events keep their
// numbers but are not counted in the truth and are listed in
// truth/rejects_portal.csv.

// Random streams drawn from the seed, one per part of the model.
const (
	usageUsersStream = 0x75736572735f7631 // "users_v1"
	usageMonthStream = 0x61756469745f7631 // "audit_v1", plus the month index
)

// usageMalformedRate is the share of audit lines corrupted on purpose.
const usageMalformedRate = 0.001

// usageRoles are the portal roles with their views per active month
// before the boost.
var usageRoles = []struct {
	name string
	rate float64
}{
	{"GP", 10},
	{"Practice nurse", 6},
	{"Pharmacist", 11},
	{"Consultant", 7.5},
	{"Junior doctor", 11},
	{"Nurse", 6},
	{"Paramedic", 10},
	{"Social worker", 7.5},
	{"Mental health practitioner", 9},
	{"Care coordinator", 9},
	{"Link worker", 5},
	{"Administrator", 4},
}

const (
	roleGP = iota
	rolePracticeNurse
	rolePharmacist
	roleConsultant
	roleJuniorDoctor
	roleNurse
	roleParamedic
	roleSocialWorker
	roleMentalHealth
	roleCareCoordinator
	roleLinkWorker
	roleAdministrator
)

// usageTypeModel is what the usage model knows about each organisation type.
type usageTypeModel struct {
	roles      []int     // role indices
	roleWeight []float64 // their shares
	outOfHours float64   // share of views outside 08:00–18:30 on weekdays
	weekend    float64   // weight of a weekend day against a weekday
}

var usageTypes = map[string]usageTypeModel{
	orgsTypeGP: {[]int{roleGP, rolePracticeNurse, rolePharmacist, roleAdministrator},
		[]float64{0.4, 0.25, 0.1, 0.25}, 0.04, 0.08},
	orgsTypeAcute: {[]int{roleConsultant, roleJuniorDoctor, roleNurse, rolePharmacist, roleAdministrator},
		[]float64{0.22, 0.3, 0.3, 0.12, 0.06}, 0.3, 0.7},
	orgsTypeMental: {[]int{roleMentalHealth, roleConsultant, roleNurse, roleCareCoordinator, roleAdministrator},
		[]float64{0.5, 0.12, 0.2, 0.13, 0.05}, 0.15, 0.4},
	orgsTypeCommunity: {[]int{roleNurse, roleCareCoordinator, rolePharmacist, roleAdministrator},
		[]float64{0.6, 0.2, 0.08, 0.12}, 0.1, 0.4},
	orgsTypeAmbulance: {[]int{roleParamedic, roleNurse, roleAdministrator},
		[]float64{0.85, 0.1, 0.05}, 0.55, 1},
	orgsTypeLA: {[]int{roleSocialWorker, roleCareCoordinator, roleAdministrator},
		[]float64{0.7, 0.2, 0.1}, 0.05, 0.1},
	orgsTypeSocialRx: {[]int{roleLinkWorker, roleCareCoordinator, roleAdministrator},
		[]float64{0.8, 0.1, 0.1}, 0.02, 0.05},
	orgsTypeHospice: {[]int{roleNurse, roleConsultant, roleCareCoordinator, roleAdministrator},
		[]float64{0.5, 0.15, 0.25, 0.1}, 0.2, 0.7},
}

// Sections of the record, in the order they are written.
var usageSections = []string{
	"medications", "allergies", "conditions", "diagnoses", "encounters",
	"referrals", "care_packages", "safeguarding", "documents",
}

// usageSectionProb gives, per role, the chance each section is viewed
// (same order as usageSections). Medications and allergies lead, as in
// Bristol's main reasons for use.
func usageSectionProb(role int) []float64 {
	switch role {
	case rolePharmacist:
		return []float64{0.95, 0.8, 0.3, 0.15, 0.05, 0.02, 0.01, 0.01, 0.05}
	case roleParamedic:
		return []float64{0.75, 0.6, 0.5, 0.3, 0.15, 0.02, 0.1, 0.08, 0.05}
	case roleSocialWorker, roleCareCoordinator, roleLinkWorker:
		return []float64{0.35, 0.2, 0.3, 0.1, 0.15, 0.35, 0.45, 0.25, 0.15}
	case roleMentalHealth:
		return []float64{0.55, 0.3, 0.4, 0.35, 0.25, 0.2, 0.1, 0.12, 0.2}
	case roleAdministrator:
		return []float64{0.2, 0.1, 0.1, 0.05, 0.3, 0.35, 0.05, 0.02, 0.4}
	}
	return []float64{0.62, 0.48, 0.35, 0.25, 0.2, 0.12, 0.06, 0.04, 0.15}
}

// Reasons for access.
var usageReasons = []string{
	"Direct care", "Medicines reconciliation", "Emergency care",
	"Discharge planning", "Safeguarding", "Care planning",
}

// usageReasonWeights gives, per role, the weight of each reason (same order
// as usageReasons).
func usageReasonWeights(role int) []float64 {
	switch role {
	case roleGP, rolePracticeNurse:
		return []float64{0.7, 0.15, 0, 0, 0.05, 0.1}
	case rolePharmacist:
		return []float64{0.2, 0.8, 0, 0, 0, 0}
	case roleConsultant, roleJuniorDoctor:
		return []float64{0.55, 0.05, 0.15, 0.25, 0, 0}
	case roleNurse:
		return []float64{0.5, 0.1, 0.1, 0.25, 0.02, 0.03}
	case roleParamedic:
		return []float64{0.15, 0, 0.85, 0, 0, 0}
	case roleSocialWorker:
		return []float64{0, 0, 0, 0.2, 0.3, 0.5}
	case roleMentalHealth:
		return []float64{0.6, 0, 0.05, 0, 0.1, 0.25}
	case roleCareCoordinator:
		return []float64{0.1, 0, 0, 0.3, 0, 0.6}
	case roleLinkWorker:
		return []float64{0.3, 0, 0, 0, 0, 0.7}
	}
	return []float64{0.6, 0, 0, 0, 0, 0.4}
}

var usageGivenNames = []string{
	"Aisha", "Alex", "Amelia", "Amir", "Andrew", "Anna", "Ben", "Bethan",
	"Catherine", "Charlotte", "Chloe", "Chris", "Claire", "Daniel", "David",
	"Eleanor", "Emma", "Fatima", "Fiona", "George", "Grace", "Hannah", "Harry",
	"Helen", "Imran", "Isla", "Jack", "James", "Jane", "Jessica", "John",
	"Karen", "Kate", "Laura", "Liam", "Lucy", "Mark", "Mary", "Matthew",
	"Mohammed", "Nadia", "Natalie", "Oliver", "Olivia", "Paul", "Priya",
	"Rachel", "Rebecca", "Richard", "Rob", "Sam", "Sarah", "Sian", "Simon",
	"Sophie", "Stephen", "Thomas", "Tom", "Victoria", "William", "Zoe",
}

var usageFamilyNames = []string{
	"Ahmed", "Allen", "Baker", "Begum", "Bell", "Brown", "Carter", "Chapman",
	"Clarke", "Cooper", "Davies", "Edwards", "Evans", "Green", "Hall",
	"Harris", "Hughes", "Jackson", "James", "Jenkins", "Johnson", "Jones",
	"Khan", "King", "Lewis", "Martin", "Mitchell", "Moore", "Morgan", "Morris",
	"Murphy", "O'Brien", "Owen", "Parker", "Patel", "Phillips", "Price",
	"Roberts", "Robinson", "Shah", "Singh", "Smith", "Taylor", "Thomas",
	"Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams",
	"Wilson", "Wood", "Wright", "Young",
}

// usageUser is one authorised portal user.
type usageUser struct {
	id        string
	org       int
	role      int
	given     string
	family    string
	auth      int // authorised date, days since 1970-01-01
	revoked   int // revoked date in days, or math.MaxInt
	engaged   bool
	intensity float64
	quit      float64 // a declining organisation's user stops when quit > decline^0.3
}

// usageEvent is one record view.
type usageEvent struct {
	unix     int64 // UTC instant
	offset   int64 // Europe/London offset in seconds
	user     int32
	person   int32
	sections uint16 // bit i: usageSections[i]
	reason   uint8
}

// usageOrgState carries an organisation's recent patients across months.
type usageOrgState struct {
	recent []int32
	next   int
	lo, hi int // person index range new patients are drawn from
}

// writeUsage writes the portal's users.csv and audit logs under out/sources/portal
// and the usage truth under out/truth, for the given months (first day of each,
// in order). It returns each written file, relative to out with forward
// slashes, with its record count: users for users.csv, lines (malformed
// ones included) for audit files, rows for the truth files. It returns
// ctx.Err() when ctx is done between months; files written by then are
// complete, the rest absent.
func writeUsage(ctx context.Context, out string, seed uint64, orgs []Org, pop Population, months []Date) (map[string]int, error) {
	counts := map[string]int{}
	persons := pop.Len()
	users := usageBuildUsers(seed, orgs, persons, months)

	if err := usageWriteUsers(out, users, orgs, counts); err != nil {
		return nil, err
	}

	// Per-organisation patient pools: practices draw new patients from
	// their slice of the population, others from all of it.
	states := make([]usageOrgState, len(orgs))
	var practices []int
	for i, o := range orgs {
		states[i] = usageOrgState{recent: make([]int32, 0, 64), lo: 0, hi: persons}
		if o.Type == orgsTypeGP {
			practices = append(practices, i)
		}
	}
	for k, i := range practices {
		states[i].lo = k * persons / len(practices)
		states[i].hi = (k + 1) * persons / len(practices)
		if states[i].hi <= states[i].lo {
			states[i].lo, states[i].hi = 0, persons
		}
	}

	byCode := make([]int, len(orgs))
	for i := range byCode {
		byCode[i] = i
	}
	slices.SortFunc(byCode, func(a, b int) int { return cmp.Compare(orgs[a].Code, orgs[b].Code) })

	boost := 1 + 1.5*math.Min(1, math.Max(0, (6-math.Log10(float64(max(persons, 1))))/2))
	var truth [][]string
	var rejects [][]string
	lastActive := make([]int, len(users))
	for i := range lastActive {
		lastActive[i] = -1
	}
	var eventSeq int64
	for mi, m := range months {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := rand.New(rand.NewPCG(seed, usageMonthStream+uint64(mi)))
		events := usageMonthEvents(r, m, mi, len(months), orgs, users, states, persons, boost)
		slices.SortStableFunc(events, func(a, b usageEvent) int { return cmp.Compare(a.unix, b.unix) })

		// Choose the lines to corrupt before tallying, so the truth leaves them out.
		k := int(float64(len(events))*usageMalformedRate + r.Float64())
		if len(events) >= 500 && k == 0 {
			k = 1
		}
		k = min(k, len(events))
		bad := map[int]int{} // event index → kind
		for len(bad) < k {
			bad[r.IntN(len(events))] = r.IntN(4)
		}

		name := fmt.Sprintf("sources/portal/audit/audit-%04d-%02d.jsonl", m.Year, m.Month)
		records := make([]int, len(orgs))
		active := make([]int, len(orgs))
		patients := make([]map[string]struct{}, len(orgs))
		f, err := usageCreate(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		var line []byte
		for i, e := range events {
			eventSeq++
			u := &users[e.user]
			nhs := pop.NHSNumber(int(e.person))
			kind, isBad := bad[i]
			if !isBad {
				kind = -1
			}
			line = usageAppendEvent(line[:0], eventSeq, e, u, orgs[u.org].Code, nhs, kind)
			if isBad {
				reason := "user_id missing"
				switch kind {
				case 0:
					line = line[:len(line)/3+r.IntN(len(line)/2)]
					reason = "truncated JSON"
				case 2:
					reason = "user_id empty"
				case 3:
					reason = "nhs_number missing"
				}
				rejects = append(rejects, []string{"portal", name, strconv.Itoa(i + 1), reason})
			} else {
				records[u.org]++
				if lastActive[e.user] != mi {
					lastActive[e.user] = mi
					active[u.org]++
				}
				if patients[u.org] == nil {
					patients[u.org] = map[string]struct{}{}
				}
				patients[u.org][nhs] = struct{}{}
			}
			line = append(line, '\n')
			if _, err := f.w.Write(line); err != nil {
				f.abort()
				return nil, fmt.Errorf("writing %s: %w", f.path, err)
			}
		}
		if err := f.close(); err != nil {
			return nil, err
		}
		counts[name] = len(events)

		last := usageDayNumber(m.Year, m.Month, orgsDaysIn(m.Year, m.Month))
		authorised := make([]int, len(orgs))
		for _, u := range users {
			if u.auth <= last && u.revoked > last {
				authorised[u.org]++
			}
		}
		month := fmt.Sprintf("%04d-%02d", m.Year, m.Month)
		for _, i := range byCode {
			truth = append(truth, []string{month, orgs[i].Code,
				strconv.Itoa(authorised[i]), strconv.Itoa(active[i]),
				strconv.Itoa(records[i]), strconv.Itoa(len(patients[i]))})
		}
	}

	var profiles [][]string
	for _, i := range byCode {
		profiles = append(profiles, []string{orgs[i].Code, orgs[i].Profile})
	}
	for _, t := range []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"truth/usage_monthly.csv", []string{"month", "org_code", "authorised_users", "active_users", "records_viewed", "patients_viewed"}, truth},
		{"truth/org_profiles.csv", []string{"org_code", "profile"}, profiles},
		{"truth/rejects_portal.csv", []string{"source", "file", "line", "reason"}, rejects},
	} {
		if err := usageWriteCSV(filepath.Join(out, filepath.FromSlash(t.name)), t.header, t.rows); err != nil {
			return nil, err
		}
		counts[t.name] = len(t.rows)
	}
	return counts, nil
}

// usageBuildUsers draws the authorised users of every live organisation.
func usageBuildUsers(seed uint64, orgs []Org, persons int, months []Date) []usageUser {
	if len(months) == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, usageUsersStream))
	lastM := months[len(months)-1]
	end := usageDayNumber(lastM.Year, lastM.Month, orgsDaysIn(lastM.Year, lastM.Month))
	nPractices, nLA := 0, 0
	for _, o := range orgs {
		switch o.Type {
		case orgsTypeGP:
			nPractices++
		case orgsTypeLA:
			nLA++
		}
	}
	per100k := func(rate float64, floor int) int {
		return max(floor, int(rate*float64(persons)/100000+0.5))
	}
	var users []usageUser
	for oi, o := range orgs {
		model, ok := usageTypes[o.Type]
		if !ok || o.GoLive.IsZero() || o.Profile == profileNeverLive {
			continue
		}
		var n int
		switch o.Type {
		case orgsTypeGP:
			n = max(5, 6+persons/max(nPractices, 1)/1000+r.IntN(5)-2)
		case orgsTypeAcute:
			n = per100k(100, 80)
		case orgsTypeMental:
			n = per100k(30, 35)
		case orgsTypeCommunity:
			n = per100k(25, 35)
		case orgsTypeAmbulance:
			n = per100k(20, 25)
		case orgsTypeLA:
			n = per100k(15/float64(nLA), 25)
		case orgsTypeSocialRx:
			n = per100k(3, 10)
		case orgsTypeHospice:
			n = per100k(3, 12)
		}
		if o.Type != orgsTypeGP {
			n = int(float64(n) * (0.9 + 0.2*r.Float64()))
		}
		goLive := usageDayNumber(o.GoLive.Year, o.GoLive.Month, o.GoLive.Day)
		first := len(users)
		for range n {
			delay := 0
			if r.Float64() < 0.45 {
				delay = r.IntN(30)
			} else {
				delay = int(r.ExpFloat64() * 150)
			}
			u := usageUser{
				org:       oi,
				role:      usagePick(r, model.roles, model.roleWeight),
				given:     usageGivenNames[r.IntN(len(usageGivenNames))],
				family:    usageFamilyNames[r.IntN(len(usageFamilyNames))],
				auth:      goLive + delay,
				revoked:   math.MaxInt,
				intensity: math.Exp(0.5*r.NormFloat64() - 0.125),
			}
			if r.Float64() < 0.06 {
				if rev := u.auth + 60 + r.IntN(670); rev <= end {
					u.revoked = rev
				}
			}
			if u.auth > end {
				continue // not yet authorised by the end of the window
			}
			users = append(users, u)
		}
		// Exactly 80% of the users (a tenth in a poor_uptake organisation,
		// at least one) ever view a record, and a declining organisation's
		// users drop out in an order spread evenly over them, so that small
		// organisations follow their profile too.
		mine := users[first:]
		k := max(1, (8*len(mine)+5)/10)
		if o.Profile == profilePoorUptake {
			k = max(1, (len(mine)+5)/10)
		}
		for j, p := range r.Perm(len(mine)) {
			mine[p].engaged = j < k
		}
		for j, p := range r.Perm(len(mine)) {
			mine[p].quit = (float64(j) + 0.5) / float64(len(mine))
		}
	}
	for i := range users {
		users[i].id = fmt.Sprintf("U%06d", i+1)
	}
	return users
}

// usagePick returns one of items drawn with the given weights.
func usagePick(r *rand.Rand, items []int, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return items[i]
		}
		x -= w
	}
	return items[len(items)-1]
}

// usageDeclines is the declining profile's factor over the last five months.
var usageDeclines = []float64{0.8, 0.6, 0.45, 0.35, 0.25}

// usageMonthEvents draws the views of month m (index mi of n), in user order.
func usageMonthEvents(r *rand.Rand, m Date, mi, n int, orgs []Org, users []usageUser, states []usageOrgState, persons int, boost float64) []usageEvent {
	if persons == 0 {
		return nil
	}
	days := orgsDaysIn(m.Year, m.Month)
	first := usageDayNumber(m.Year, m.Month, 1)
	last := first + days - 1
	season := 1 + 0.08*math.Cos(2*math.Pi*float64(m.Month-1)/12)
	switch m.Month {
	case 8:
		season -= 0.1
	case 12:
		season -= 0.05
	}
	decline := 1.0
	if k := mi - (n - len(usageDeclines)); k >= 0 && k < len(usageDeclines) {
		decline = usageDeclines[k]
	}
	var events []usageEvent
	for ui := range users {
		u := &users[ui]
		if !u.engaged {
			continue
		}
		d0, d1 := max(first, u.auth), min(last, u.revoked-1)
		if d0 > d1 {
			continue
		}
		if r.Float64() < 0.1 {
			continue // away this month
		}
		o := orgs[u.org]
		lambda := usageRoles[u.role].rate * u.intensity * boost * season
		lambda *= float64(d1-d0+1) / float64(days)
		switch monthsIn := (m.Year*12 + m.Month) - usageMonthOf(u.auth); monthsIn {
		case 0:
			lambda *= 0.4
		case 1:
			lambda *= 0.7
		}
		if o.Profile == profileDeclining && decline < 1 {
			if u.quit > math.Pow(decline, 0.3) {
				continue
			}
			lambda *= math.Pow(decline, 0.7)
		}
		model := usageTypes[o.Type]
		st := &states[u.org]
		for range usagePoisson(r, lambda) {
			events = append(events, usageEvent{
				user:     int32(ui),
				person:   usagePatient(r, st),
				sections: usageDrawSections(r, u.role),
				reason:   uint8(usagePickIndex(r, usageReasonWeights(u.role))),
			})
			e := &events[len(events)-1]
			e.unix, e.offset = usageTimestamp(r, model, d0, d1)
		}
	}
	return events
}

// usagePatient picks the patient of a view: 35% of the time one the
// organisation viewed recently, otherwise a new one from its pool.
func usagePatient(r *rand.Rand, st *usageOrgState) int32 {
	if len(st.recent) > 0 && r.Float64() < 0.35 {
		return st.recent[r.IntN(len(st.recent))]
	}
	p := int32(st.lo + r.IntN(st.hi-st.lo))
	if len(st.recent) < cap(st.recent) {
		st.recent = append(st.recent, p)
	} else {
		st.recent[st.next] = p
		st.next = (st.next + 1) % len(st.recent)
	}
	return p
}

// usageDrawSections draws the sections of one view, at least one.
func usageDrawSections(r *rand.Rand, role int) uint16 {
	prob := usageSectionProb(role)
	var s uint16
	for i, p := range prob {
		if r.Float64() < p {
			s |= 1 << i
		}
	}
	if s == 0 {
		s = 1 << usagePickIndex(r, prob)
	}
	return s
}

// usagePickIndex returns an index drawn with the given weights.
func usagePickIndex(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// usagePoisson draws a Poisson variate with mean lambda.
func usagePoisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// usageTimestamp draws a local time between days d0 and d1 (inclusive),
// weighted to weekdays and working hours, and returns it as a UTC instant
// with the Europe/London offset in force.
func usageTimestamp(r *rand.Rand, model usageTypeModel, d0, d1 int) (int64, int64) {
	day := d0 + r.IntN(d1-d0+1)
	for tries := 0; tries < 20; tries++ {
		// 1970-01-01 was a Thursday: (day+4)%7 is 0 on Sundays.
		if wd := (day + 4) % 7; (wd != 0 && wd != 6) || r.Float64() < model.weekend {
			break
		}
		day = d0 + r.IntN(d1-d0+1)
	}
	const open, shut = 8 * 3600, 18*3600 + 1800
	var sec int
	if r.Float64() < model.outOfHours {
		sec = (shut + r.IntN(86400-shut+open)) % 86400
	} else {
		for {
			sec = open + r.IntN(shut-open)
			// A lunchtime dip between 12:30 and 13:30.
			if sec < 12*3600+1800 || sec >= 13*3600+1800 || r.Float64() < 0.6 {
				break
			}
		}
	}
	return usageLocalToUTC(int64(day)*86400 + int64(sec))
}

// usageLocalToUTC converts a Europe/London wall-clock time, given as
// seconds since 1970-01-01T00:00:00 local, to a UTC instant and the offset
// in force. A time in the spring-forward gap moves an hour later; a time
// in the autumn overlap takes the first (summer time) instant.
func usageLocalToUTC(wall int64) (int64, int64) {
	if usageLondonOffset(wall-3600) == 3600 {
		return wall - 3600, 3600
	}
	if usageLondonOffset(wall) == 0 {
		return wall, 0
	}
	return wall, 3600 // in the gap: shown an hour later
}

// usageLondonOffset returns the Europe/London offset in seconds at a UTC
// instant: British Summer Time runs from 01:00 UTC on the last Sunday of
// March to 01:00 UTC on the last Sunday of October (the rule since 1996).
func usageLondonOffset(unix int64) int64 {
	y := time.Unix(unix, 0).UTC().Year()
	start := int64(usageLastSunday(y, 3))*86400 + 3600
	end := int64(usageLastSunday(y, 10))*86400 + 3600
	if unix >= start && unix < end {
		return 3600
	}
	return 0
}

// usageLastSunday returns the last Sunday of the month as days since 1970.
func usageLastSunday(year, month int) int {
	d := usageDayNumber(year, month, orgsDaysIn(year, month))
	return d - (d+4)%7
}

// usageDayNumber returns the date as days since 1970-01-01.
func usageDayNumber(year, month, day int) int {
	return int(time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// usageMonthOf returns year*12+month of a day number.
func usageMonthOf(day int) int {
	t := time.Unix(int64(day)*86400, 0).UTC()
	return t.Year()*12 + int(t.Month())
}

// usageDateString formats a day number as yyyy-mm-dd.
func usageDateString(day int) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

// usageAppendEvent appends the JSON line of one event (no newline). kind
// chooses a corruption other than truncation: 1 drops user_id, 2 empties
// it, 3 drops nhs_number; any other value writes the event whole.
func usageAppendEvent(b []byte, seq int64, e usageEvent, u *usageUser, org, nhs string, kind int) []byte {
	b = append(b, `{"event_id":"E`...)
	b = append(b, fmt.Sprintf("%08d", seq)...)
	b = append(b, `","timestamp":"`...)
	b = time.Unix(e.unix+e.offset, 0).UTC().AppendFormat(b, "2006-01-02T15:04:05")
	if e.offset == 3600 {
		b = append(b, "+01:00"...)
	} else {
		b = append(b, "+00:00"...)
	}
	b = append(b, '"')
	switch kind {
	case 1:
	case 2:
		b = append(b, `,"user_id":""`...)
	default:
		b = append(b, `,"user_id":`...)
		b = strconv.AppendQuote(b, u.id)
	}
	b = append(b, `,"org_code":`...)
	b = strconv.AppendQuote(b, org)
	b = append(b, `,"role":`...)
	b = strconv.AppendQuote(b, usageRoles[u.role].name)
	if kind != 3 {
		b = append(b, `,"nhs_number":`...)
		b = strconv.AppendQuote(b, nhs)
	}
	b = append(b, `,"sections":[`...)
	sep := false
	for i, s := range usageSections {
		if e.sections&(1<<i) != 0 {
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = strconv.AppendQuote(b, s)
		}
	}
	b = append(b, `],"reason":`...)
	b = strconv.AppendQuote(b, usageReasons[e.reason])
	return append(b, '}')
}

// usageWriteUsers writes sources/portal/users.csv.
func usageWriteUsers(out string, users []usageUser, orgs []Org, counts map[string]int) error {
	const name = "sources/portal/users.csv"
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		revoked := ""
		if u.revoked != math.MaxInt {
			revoked = usageDateString(u.revoked)
		}
		rows = append(rows, []string{u.id, orgs[u.org].Code, usageRoles[u.role].name,
			u.given, u.family, usageDateString(u.auth), revoked})
	}
	header := []string{"user_id", "org_code", "role", "given_name", "family_name", "authorised_date", "revoked_date"}
	if err := usageWriteCSV(filepath.Join(out, filepath.FromSlash(name)), header, rows); err != nil {
		return err
	}
	counts[name] = len(users)
	return nil
}

// usageWriteCSV writes a CSV file atomically.
func usageWriteCSV(path string, header []string, rows [][]string) error {
	f, err := usageCreate(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f.w)
	if err := w.Write(header); err != nil {
		f.abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.WriteAll(rows); err != nil {
		f.abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.close()
}

// usageFile is an output written as path.partial and renamed on close.
type usageFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func usageCreate(path string) (*usageFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating directory for %s: %w", path, err)
	}
	f, err := os.Create(path + ".partial")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	return &usageFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// close flushes and closes the file, then renames it into place.
func (u *usageFile) close() error {
	if err := u.w.Flush(); err != nil {
		u.abort()
		return fmt.Errorf("writing %s: %w", u.path, err)
	}
	if err := u.f.Close(); err != nil {
		os.Remove(u.f.Name())
		return fmt.Errorf("closing %s: %w", u.path, err)
	}
	if err := os.Rename(u.f.Name(), u.path); err != nil {
		return fmt.Errorf("renaming %s into place: %w", u.path, err)
	}
	return nil
}

// abort closes and removes the partial file after an error.
func (u *usageFile) abort() {
	u.f.Close()
	os.Remove(u.f.Name())
}
