package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Organisation types written to organisations.csv (Org.Type).
const (
	orgsTypeICB       = "Integrated care board"
	orgsTypeGP        = "GP practice"
	orgsTypeAcute     = "Acute trust"
	orgsTypeMental    = "Mental health trust"
	orgsTypeCommunity = "Community trust"
	orgsTypeAmbulance = "Ambulance trust"
	orgsTypeLA        = "Local authority"
	orgsTypeSocialRx  = "Social prescribing service"
	orgsTypeHospice   = "Hospice"
)

// Usage profiles (Org.Profile), the truth behind the report's uptake flags.
//
// The rules buildOrgs follows, for a window of n months (months[0] is the
// first, months[n-1] the last):
//
//   - never_live: the integrated care board (a commissioner, never a portal
//     user) and, in regions of 100 or more organisations, about 1% of the
//     practices. GoLive is the zero Date and the organisation has no users.
//   - declining: at least one organisation, about 6% of them, drawn from the
//     practices and the mental health and community trusts (organisations
//     with enough users for the fall to be clear). It went live 12 to 24
//     months before the window, so its uptake had levelled off; over the
//     last five months its views fall to 80%, 60%, 45%, 35% and 25% of
//     the usual level (users dropping out and the rest viewing less), so
//     the last three months average about 44% of the three before: a fall
//     of about 56%, well beyond the 35% a report would flag.
//   - poor_uptake: at least one organisation, about 6% of them, drawn from
//     the practices, the local authorities, the community trust, the
//     hospice and the social prescribing service. It went live between 12
//     months before the window and 7 months before its end and authorises
//     users as usual, but only a tenth of them (at least one) ever view a
//     record, so its active/authorised ratio stays near 0.1 against about
//     0.7 for steady organisations.
//   - late_start: at least one organisation, about 3% of them, drawn from
//     the practices, the hospice, the social prescribing service and a
//     second local authority. It went live in one of the last three months.
//   - steady: everything else, most organisations. The acute trust always
//     went live 12 to 18 months before the window (the programme started
//     with the hospital); other steady organisations went live between 18
//     months before the window and 4 months before its end. Views follow a
//     mild seasonality.
//
// Every organisation that went live has a different go-live date.
const (
	profileSteady     = "steady"
	profilePoorUptake = "poor_uptake"
	profileDeclining  = "declining"
	profileLateStart  = "late_start"
	profileNeverLive  = "never_live"
)

// orgsStream separates the organisations' random stream from the others
// drawn from the same seed.
const orgsStream = 0x6f7267735f763031 // "orgs_v01"

var orgsRegions = []struct{ name, county, city, postcode string }{
	{"Severnvale", "Severnshire", "Kingsbridge", "BS"},
	{"Avonmere", "North Avonmere", "Avonport", "BA"},
	{"Mendip Vale", "Mendipshire", "Wellsford", "TA"},
	{"Cotswold Edge", "Glevum", "Glevum", "GL"},
	{"Exmoor and Teign", "Teignshire", "Exbridge", "EX"},
	{"Wessex Downs", "Downshire", "Swindover", "SN"},
}

var orgsPracticeNames = []string{
	"Abbey", "Ashgrove", "Beechwood", "Bridge Street", "Brook Lane", "Castle",
	"Cedar", "Church View", "Clifton Road", "Coombe", "Court House", "Elm Tree",
	"Fairfield", "Fernbank", "Green Lane", "Grove Park", "Harbour", "Hawthorn",
	"Highfield", "Hillside", "Holly Lodge", "Kingsway", "Lakeside", "Larkhill",
	"Long Ashton", "Maple", "Market Street", "Meadowbank", "Mill House",
	"Northgate", "Oakfield", "Old School", "Orchard", "Park View", "Priory",
	"Queen's Road", "Redland", "Riverside", "Rosemount", "St Anne's",
	"St George's", "St Mary's", "Southmead", "Station Road", "The Crescent",
	"Tower Hill", "Victoria", "Westbury", "Willow", "Woodland",
}

var orgsPracticeSuffixes = []string{
	"Surgery", "Medical Centre", "Health Centre", "Medical Practice",
	"Family Practice", "Group Practice",
}

var orgsSaints = []string{"Peter", "Luke", "Margaret", "Michael", "Christopher", "Catherine", "Julia"}

// buildOrgs returns the region's organisations, GP practices included,
// deterministic from seed: the integrated care board, the acute, mental
// health, community and ambulance trusts, one local authority (two from
// 150,000 persons), a social prescribing service, a hospice and one GP
// practice per 7,000–9,000 persons (at least 3). Practices come last,
// ordered by code. months is the window of activity, first day of each
// month, in order; go-live dates and profiles follow the rules at
// profileSteady.
func buildOrgs(seed uint64, persons int, months []Date) []Org {
	r := rand.New(rand.NewPCG(seed, orgsStream))
	reg := orgsRegions[r.IntN(len(orgsRegions))]
	used := map[string]bool{}
	code := func(f func() string) string {
		for {
			c := f()
			if !used[c] {
				used[c] = true
				return c
			}
		}
	}
	letters := "ABCDEFGHJKLMNPQRSTUVWXY"
	alnum := "ABCDEFGHJKLMNPQRTVWXY0123456789"
	pick := func(s string) byte { return s[r.IntN(len(s))] }
	postcode := func() string {
		const tail = "ABDEFGHJLNPQRSTUWXYZ"
		return fmt.Sprintf("%s%d %d%c%c", reg.postcode, 1+r.IntN(39), r.IntN(10), pick(tail), pick(tail))
	}

	icb := Org{
		Code:     code(func() string { return "Q" + string([]byte{pick(letters), pick(letters)}) }),
		Name:     "NHS " + reg.name + " Integrated Care Board",
		Type:     orgsTypeICB,
		Postcode: postcode(),
	}
	trust := func() string { return "R" + string([]byte{pick(alnum), pick(letters)}) }
	orgs := []Org{icb,
		{Code: code(trust), Name: reg.name + " Hospitals NHS Foundation Trust", Type: orgsTypeAcute},
		{Code: code(trust), Name: reg.name + " Mental Health Partnership NHS Trust", Type: orgsTypeMental},
		{Code: code(trust), Name: reg.name + " Community Health NHS Trust", Type: orgsTypeCommunity},
		{Code: code(trust), Name: "Western Counties Ambulance Service NHS Foundation Trust", Type: orgsTypeAmbulance},
	}
	la := func() string { return fmt.Sprintf("LA%03d", 800+r.IntN(100)) }
	orgs = append(orgs, Org{Code: code(la), Name: reg.city + " City Council", Type: orgsTypeLA})
	if persons >= 150000 {
		orgs = append(orgs, Org{Code: code(la), Name: reg.county + " Council", Type: orgsTypeLA})
	}
	orgs = append(orgs,
		Org{Code: code(func() string { return "N" + string([]byte{pick(letters), pick(alnum)}) }),
			Name: reg.name + " Life Rooms Social Prescribing", Type: orgsTypeSocialRx},
		Org{Code: code(func() string { return "8" + string([]byte{pick(letters), pick(alnum), pick(alnum), pick(alnum)}) }),
			Name: "St " + orgsSaints[r.IntN(len(orgsSaints))] + "'s Hospice", Type: orgsTypeHospice},
	)
	for i := 1; i < len(orgs); i++ {
		orgs[i].Postcode = postcode()
		switch orgs[i].Type {
		case orgsTypeLA, orgsTypeHospice:
		default:
			orgs[i].Parent = icb.Code
		}
	}

	// Practices: one per 7,000–9,000 persons. Codes share the region's
	// letter and one or two two-digit areas ("L81001"); about one in ten
	// is a newer "Y0" code.
	nPractices := 0
	for left := persons; left > 0; left -= 7000 + r.IntN(2001) {
		nPractices++
	}
	nPractices = max(nPractices, 3)
	regionLetter := pick("ABCDEFGHJKLMNP")
	areas := []int{10 + r.IntN(80), 10 + r.IntN(80)}
	var practices []Org
	names := map[string]bool{}
	for range nPractices {
		c := code(func() string {
			if r.IntN(10) == 0 {
				return fmt.Sprintf("Y0%04d", r.IntN(10000))
			}
			return fmt.Sprintf("%c%02d%03d", regionLetter, areas[r.IntN(2)], 1+r.IntN(999))
		})
		var name string
		for tries := 0; ; tries++ {
			name = orgsPracticeNames[r.IntN(len(orgsPracticeNames))] + " " + orgsPracticeSuffixes[r.IntN(len(orgsPracticeSuffixes))]
			if tries > 20 {
				name = fmt.Sprintf("%s (%s)", name, c)
			}
			if !names[name] {
				break
			}
		}
		names[name] = true
		practices = append(practices, Org{Code: c, Name: name, Type: orgsTypeGP, Parent: icb.Code, Postcode: postcode()})
	}
	slices.SortFunc(practices, func(a, b Org) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	orgs = append(orgs, practices...)

	orgsAssignProfiles(r, orgs)
	orgsAssignGoLive(r, orgs, months)
	return orgs
}

// orgsAssignProfiles gives each organisation its usage profile (rules at
// profileSteady). Candidates are shuffled with r, so which practice
// declines depends on the seed.
func orgsAssignProfiles(r *rand.Rand, orgs []Org) {
	n := len(orgs)
	count := func(share float64) int { return max(1, int(share*float64(n)+0.5)) }
	assign := func(profile string, k int, ok func(Org) bool) {
		var cand []int
		for i, o := range orgs {
			if o.Profile == "" && ok(o) {
				cand = append(cand, i)
			}
		}
		r.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
		for _, i := range cand[:min(k, len(cand))] {
			orgs[i].Profile = profile
		}
	}
	is := func(types ...string) func(Org) bool {
		return func(o Org) bool { return slices.Contains(types, o.Type) }
	}
	assign(profileNeverLive, 1, is(orgsTypeICB))
	assign(profileDeclining, count(0.06), is(orgsTypeGP, orgsTypeMental, orgsTypeCommunity))
	assign(profilePoorUptake, count(0.06), is(orgsTypeGP, orgsTypeLA, orgsTypeCommunity, orgsTypeHospice, orgsTypeSocialRx))
	lateOK := is(orgsTypeGP, orgsTypeHospice, orgsTypeSocialRx)
	firstLA := true
	assign(profileLateStart, count(0.03), func(o Org) bool {
		if o.Type == orgsTypeLA {
			second := !firstLA
			firstLA = false
			return second
		}
		return lateOK(o)
	})
	if n >= 100 {
		assign(profileNeverLive, n/100, is(orgsTypeGP))
	}
	for i := range orgs {
		if orgs[i].Profile == "" {
			orgs[i].Profile = profileSteady
		}
	}
}

// orgsAssignGoLive sets each live organisation's go-live date from its
// profile; no two organisations share a date.
func orgsAssignGoLive(r *rand.Rand, orgs []Org, months []Date) {
	if len(months) == 0 {
		return
	}
	n := len(months)
	first := months[0]
	// window picks a day in the months from lo to hi (offsets from the
	// window's first month, inclusive).
	taken := map[Date]bool{}
	window := func(lo, hi int) Date {
		hi = max(hi, lo)
		for tries := 0; ; tries++ {
			m := lo + r.IntN(hi-lo+1)
			d := orgsAddMonths(first, m)
			d.Day = 1 + r.IntN(orgsDaysIn(d.Year, d.Month))
			if !taken[d] || tries > 1000 {
				taken[d] = true
				return d
			}
		}
	}
	for i := range orgs {
		o := &orgs[i]
		switch o.Profile {
		case profileNeverLive:
			o.GoLive = Date{}
		case profileDeclining:
			o.GoLive = window(-24, -12)
		case profilePoorUptake:
			o.GoLive = window(-12, n-7)
		case profileLateStart:
			o.GoLive = window(n-3, n-1)
		default:
			if o.Type == orgsTypeAcute {
				o.GoLive = window(-18, -12)
			} else {
				o.GoLive = window(-18, n-4)
			}
		}
	}
}

// orgsAddMonths returns the first day of the month k months after d's.
func orgsAddMonths(d Date, k int) Date {
	m := d.Year*12 + d.Month - 1 + k
	return Date{Year: m / 12, Month: m%12 + 1, Day: 1}
}

// orgsDaysIn returns the number of days in the month.
func orgsDaysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
