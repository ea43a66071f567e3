package synth

import (
	"encoding/json"
	"fmt"
	"math"
)

const (
	snomedSystem = "http://snomed.info/sct"
	nhsSystem    = "https://fhir.nhs.uk/Id/nhs-number"
	rioSystem    = "https://fhir.sharedcare.example/Id/rio-client-id"
	teamExtURL   = "https://fhir.sharedcare.example/StructureDefinition/requesting-team"
	ndjsonChunk  = 100_000 // resources per NDJSON file
)

var mhConditions = []clinical{
	{"35489007", "Depressive disorder"},
	{"197480006", "Anxiety disorder"},
	{"58214004", "Schizophrenia"},
	{"13746004", "Bipolar disorder"},
	{"47505003", "Posttraumatic stress disorder"},
	{"56882008", "Anorexia nervosa"},
	{"33449004", "Personality disorder"},
	{"69322001", "Psychotic disorder"},
	{"191736004", "Obsessive-compulsive disorder"},
	{"7200002", "Alcoholism"},
}

var mhTeamNames = []string{
	"Community Mental Health Team North", "Community Mental Health Team South",
	"Community Mental Health Team East", "Early Intervention in Psychosis",
	"Crisis Resolution and Home Treatment", "Older Adults Community Team",
	"Perinatal Mental Health", "Liaison Psychiatry", "Eating Disorders Service",
	"Assertive Outreach", "Recovery and Wellbeing Team", "Personality Disorder Hub",
}

// ndjsonOut writes one resource type in numbered files of ndjsonChunk lines.
type ndjsonOut struct {
	typ  string
	part int
	cur  *outFile
}

type mhClinician struct {
	id, display string
	team        int
}

type mhRef struct {
	id        string
	day, sec  int
	clinician int
	status    string
}

type mhState struct {
	out        map[string]*ndjsonOut
	types      []string
	clinicians []mhClinician
	teams      int
	pRef       float64
	target     float64 // expected referrals to social prescribing over the period
	refs       []mhRef
	monthly    map[string]*refCount
}

// refCount is one row of truth/referrals_monthly.csv.
type refCount struct {
	n          int
	clinicians map[string]bool
}

func (g *gen) mhOpen() error {
	s := &g.mh
	s.types = []string{"Patient", "Encounter", "Condition", "ServiceRequest", "Practitioner", "CareTeam"}
	s.out = map[string]*ndjsonOut{}
	for _, t := range s.types {
		s.out[t] = &ndjsonOut{typ: t}
	}
	s.monthly = map[string]*refCount{}
	n := g.pop.n
	nClin := max(4, int(math.Round(207*float64(n)/1e6)))
	s.teams = max(2, min(len(mhTeamNames), nClin/12))
	r := g.r
	r.seed(g.seed, streamMH, 1<<50)
	for c := range nClin {
		sex := byte('F')
		if r.chance(0.4) {
			sex = 'M'
		}
		name := g.pop.givenName(r, sex, r.chance(0.15)) + " " + g.pop.surP.pick(r)
		if r.chance(0.45) {
			name = "Dr " + name
		}
		s.clinicians = append(s.clinicians, mhClinician{id: fmt.Sprintf("PR%05d", c+1), display: name, team: c % s.teams})
	}
	// Mersey Care: 207 clinicians made 1,396 referrals; scale by people and months.
	target := 1396 * float64(n) / 1e6 * float64(len(g.months)) / 24
	expected := 0.03 * float64(n)
	target = max(target, min(12, expected))
	s.target = target
	s.pRef = min(0.9, target/max(expected, 1))
	for _, c := range s.clinicians {
		if err := g.mhWrite("Practitioner", fhirPractitioner{ResourceType: "Practitioner", ID: c.id,
			Name: []fhirName{{Text: c.display}}}); err != nil {
			return err
		}
	}
	for t := range s.teams {
		if err := g.mhWrite("CareTeam", fhirCareTeam{ResourceType: "CareTeam", ID: fmt.Sprintf("CT%03d", t+1),
			Name:                 mhTeamNames[t],
			ManagingOrganization: []fhirRef{{Reference: "Organization/" + g.mhTrust.Code, Display: g.mhTrust.Name}},
		}); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) mhWrite(typ string, res any) error {
	if g.err != nil {
		return g.err
	}
	err := g.mhWriteOnce(typ, res)
	if err != nil {
		g.err = err
	}
	return err
}

func (g *gen) mhWriteOnce(typ string, res any) error {
	o := g.mh.out[typ]
	if o.cur != nil && o.cur.n >= ndjsonChunk {
		if err := g.commit(o.cur); err != nil {
			return err
		}
		o.cur = nil
		o.part++
	}
	if o.cur == nil {
		f, err := g.create(fmt.Sprintf("sources/mentalhealth/%s.%03d.ndjson", typ, o.part))
		if err != nil {
			return err
		}
		o.cur = f
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", typ, err)
	}
	o.cur.w.Write(b)
	o.cur.w.WriteByte('\n')
	o.cur.n++
	return nil
}

func (g *gen) mhClose() error {
	for _, t := range g.mh.types {
		o := g.mh.out[t]
		if o.cur == nil {
			// Every type has at least one file, possibly empty.
			f, err := g.create(fmt.Sprintf("sources/mentalhealth/%s.%03d.ndjson", t, o.part))
			if err != nil {
				return err
			}
			o.cur = f
		}
		if err := g.commit(o.cur); err != nil {
			return err
		}
	}
	return nil
}

func uuidFrom(r *rng) string {
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

// mhPerson writes p's mental health record, if the trust knows p, and returns
// the referrals to social prescribing made for p.
func (g *gen) mhPerson(p *person) []mhRef {
	s := &g.mh
	s.refs = s.refs[:0]
	r := g.r
	r.seed(g.seed, streamMH, uint64(p.idx))
	age := p.age(g.endDay)
	pr := 0.035
	switch {
	case age < 12:
		pr = 0.005
	case age < 18:
		pr = 0.02
	case age >= 75:
		pr = 0.02
	}
	if !r.chance(pr) {
		return nil
	}
	v := p.view(r, ratesMH)
	id := uuidFrom(r)
	rio := fmt.Sprintf("RIO%07d", p.idx)
	var dupID string
	var dv view
	linked := false
	if r.chance(0.02) {
		dv = p.view(r, ratesDup)
		dupID = uuidFrom(r)
		linked = r.chance(0.7)
	}
	pat := g.fhirPatientOf(p, &v, id, rio)
	if linked {
		pat.Link = []fhirLink{{Other: fhirRef{Reference: "Patient/" + dupID}, Type: "replaces"}}
	}
	g.mhWrite("Patient", pat)
	g.rec("mentalhealth", "Patient", id, p, &v)
	if dupID != "" {
		dp := g.fhirPatientOf(p, &dv, dupID, fmt.Sprintf("RIO%07d", p.idx+maxPersons))
		if linked {
			dp.Link = []fhirLink{{Other: fhirRef{Reference: "Patient/" + id}, Type: "replaced-by"}}
		}
		g.mhWrite("Patient", dp)
		g.rec("mentalhealth", "Patient", dupID, p, &dv)
	}
	subj := fhirRef{Reference: "Patient/" + id}
	first := max(g.pop.firstDay, p.dob.day())
	nEnc := 0
	for range g.windows(r) {
		nEnc += r.between(1, 8)
	}
	for range nEnc {
		day := r.between(first, g.endDay)
		sec := r.between(9*3600, 17*3600)
		cls := fhirCoding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "AMB", Display: "ambulatory"}
		if r.chance(0.08) {
			cls = fhirCoding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "IMP", Display: "inpatient encounter"}
		} else if r.chance(0.3) {
			cls = fhirCoding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "HH", Display: "home health"}
		}
		g.mhWrite("Encounter", fhirEncounter{ResourceType: "Encounter", ID: uuidFrom(r), Status: "finished", Class: cls,
			Subject: subj, Period: &fhirPeriod{Start: g.londonStamp(day, sec), End: g.londonStamp(day, min(sec+3600, 86399))},
			ServiceProvider: &fhirRef{Reference: "Organization/" + g.mhTrust.Code, Display: g.mhTrust.Name}})
	}
	nCond := r.between(1, 2)
	for range nCond {
		c := mhConditions[r.IntN(len(mhConditions))]
		onset := r.between(max(p.dob.day()+12*365, first-5*365), g.endDay)
		g.mhWrite("Condition", fhirCondition{ResourceType: "Condition", ID: uuidFrom(r),
			ClinicalStatus: fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/condition-clinical", Code: "active"}}},
			Code:           fhirConcept{Coding: []fhirCoding{{System: snomedSystem, Code: c.code, Display: c.desc}}, Text: c.desc},
			Subject:        subj, OnsetDateTime: dateOf(onset).iso(), RecordedDate: dateOf(max(onset, first)).iso()})
	}
	if age >= 16 && r.chance(s.pRef) {
		nRef := 1
		if r.chance(0.08) {
			nRef = 2
		}
		for range nRef {
			u := r.Float64()
			ci := int(float64(len(s.clinicians)) * u * u) // a few clinicians refer most
			c := s.clinicians[ci]
			day := r.between(first, g.endDay)
			sec := r.between(9*3600, 17*3600)
			status := "completed"
			switch x := r.Float64(); {
			case x < 0.05:
				status = "revoked"
			case x < 0.15 || day > g.endDay-14:
				status = "active"
			}
			ref := mhRef{id: uuidFrom(r), day: day, sec: sec, clinician: ci, status: status}
			team := fmt.Sprintf("CT%03d", c.team+1)
			g.mhWrite("ServiceRequest", fhirServiceRequest{
				ResourceType: "ServiceRequest", ID: ref.id, Status: status, Intent: "order",
				Extension: []fhirExtension{{URL: teamExtURL, ValueReference: &fhirRef{Reference: "CareTeam/" + team, Display: mhTeamNames[c.team]}}},
				Category:  []fhirConcept{{Coding: []fhirCoding{{System: snomedSystem, Code: "306206005", Display: "Referral to service"}}}},
				Code:      fhirConcept{Coding: []fhirCoding{{System: snomedSystem, Code: "871731000000106", Display: "Referral to social prescribing service"}}},
				Subject:   subj, AuthoredOn: g.londonStamp(day, sec),
				Requester: &fhirRef{Reference: "Practitioner/" + c.id, Display: c.display},
				Performer: []fhirRef{{Reference: "Organization/" + g.spOrg.Code, Display: g.spOrg.Name}},
			})
			g.countReferral(dateOf(day), "mentalhealth", g.mhTrust.Code, mhTeamNames[c.team], c.id)
			s.refs = append(s.refs, ref)
		}
	}
	return s.refs
}

func (g *gen) countReferral(d Date, source, org, team, clinician string) {
	k := d.ym() + "\x00" + source + "\x00" + org + "\x00" + team
	c := g.mh.monthly[k]
	if c == nil {
		c = &refCount{clinicians: map[string]bool{}}
		g.mh.monthly[k] = c
	}
	c.n++
	if clinician != "" {
		c.clinicians[clinician] = true
	}
}

func (g *gen) fhirPatientOf(p *person, v *view, id, rio string) fhirPatient {
	ids := []fhirIdentifier{{System: rioSystem, Value: rio}}
	if v.nhs != "" {
		ids = append([]fhirIdentifier{{System: nhsSystem, Value: v.nhs}}, ids...)
	}
	given := []string{v.given}
	if v.middle != "" {
		given = append(given, v.middle)
	}
	name := fhirName{Use: "official", Family: v.family, Given: given}
	if v.title != "" {
		name.Prefix = []string{v.title}
	}
	gender := "female"
	if v.sex == 'M' {
		gender = "male"
	}
	lines := []string{v.addr.line1}
	if v.addr.line2 != "" {
		lines = append(lines, v.addr.line2)
	}
	return fhirPatient{ResourceType: "Patient", ID: id, Identifier: ids, Name: []fhirName{name},
		Telecom: []fhirTelecom{{System: "phone", Value: v.phone}}, Gender: gender, BirthDate: v.dob.iso(),
		Address: []fhirAddress{{Use: "home", Line: lines, City: v.addr.town, PostalCode: v.addr.postcode, Country: "GB"}}}
}

// FHIR R4 resources, only the elements the generator fills.

type fhirRef struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type fhirConcept struct {
	Coding []fhirCoding `json:"coding"`
	Text   string       `json:"text,omitempty"`
}

type fhirIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type fhirName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
}

type fhirTelecom struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type fhirAddress struct {
	Use        string   `json:"use,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

type fhirLink struct {
	Other fhirRef `json:"other"`
	Type  string  `json:"type"`
}

type fhirPeriod struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type fhirExtension struct {
	URL            string   `json:"url"`
	ValueReference *fhirRef `json:"valueReference,omitempty"`
}

type fhirPatient struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Identifier   []fhirIdentifier `json:"identifier"`
	Name         []fhirName       `json:"name"`
	Telecom      []fhirTelecom    `json:"telecom,omitempty"`
	Gender       string           `json:"gender"`
	BirthDate    string           `json:"birthDate"`
	Address      []fhirAddress    `json:"address,omitempty"`
	Link         []fhirLink       `json:"link,omitempty"`
}

type fhirEncounter struct {
	ResourceType    string      `json:"resourceType"`
	ID              string      `json:"id"`
	Status          string      `json:"status"`
	Class           fhirCoding  `json:"class"`
	Subject         fhirRef     `json:"subject"`
	Period          *fhirPeriod `json:"period,omitempty"`
	ServiceProvider *fhirRef    `json:"serviceProvider,omitempty"`
}

type fhirCondition struct {
	ResourceType   string      `json:"resourceType"`
	ID             string      `json:"id"`
	ClinicalStatus fhirConcept `json:"clinicalStatus"`
	Code           fhirConcept `json:"code"`
	Subject        fhirRef     `json:"subject"`
	OnsetDateTime  string      `json:"onsetDateTime,omitempty"`
	RecordedDate   string      `json:"recordedDate,omitempty"`
}

type fhirServiceRequest struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Extension    []fhirExtension `json:"extension,omitempty"`
	Status       string          `json:"status"`
	Intent       string          `json:"intent"`
	Category     []fhirConcept   `json:"category,omitempty"`
	Code         fhirConcept     `json:"code"`
	Subject      fhirRef         `json:"subject"`
	AuthoredOn   string          `json:"authoredOn"`
	Requester    *fhirRef        `json:"requester,omitempty"`
	Performer    []fhirRef       `json:"performer,omitempty"`
}

type fhirPractitioner struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Name         []fhirName `json:"name"`
}

type fhirCareTeam struct {
	ResourceType         string    `json:"resourceType"`
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ManagingOrganization []fhirRef `json:"managingOrganization,omitempty"`
}
