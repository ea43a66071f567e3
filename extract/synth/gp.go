package synth

import "fmt"

// clinical is a SNOMED CT concept with its description.
type clinical struct {
	code, desc string
}

// gpProblem is a long-term condition with the medicines that go with it.
type gpProblem struct {
	clinical
	minAge int
	weight int
	meds   []gpMed
}

type gpMed struct {
	clinical
	dose string
}

var (
	medAmlodipine  = gpMed{clinical{"319773006", "Amlodipine 5mg tablets"}, "One tablet once daily"}
	medRamipril    = gpMed{clinical{"318906001", "Ramipril 5mg capsules"}, "One capsule once daily"}
	medAtorva      = gpMed{clinical{"320029008", "Atorvastatin 20mg tablets"}, "One tablet at night"}
	medMetformin   = gpMed{clinical{"325278007", "Metformin 500mg tablets"}, "One tablet twice daily with food"}
	medSalbutamol  = gpMed{clinical{"320176004", "Salbutamol 100micrograms/dose inhaler CFC free"}, "Two puffs when required"}
	medBeclo       = gpMed{clinical{"320131004", "Beclometasone 100micrograms/dose inhaler CFC free"}, "Two puffs twice daily"}
	medSertraline  = gpMed{clinical{"321949009", "Sertraline 50mg tablets"}, "One tablet once daily"}
	medCitalopram  = gpMed{clinical{"321987003", "Citalopram 20mg tablets"}, "One tablet once daily"}
	medApixaban    = gpMed{clinical{"703907008", "Apixaban 5mg tablets"}, "One tablet twice daily"}
	medBisoprolol  = gpMed{clinical{"318590006", "Bisoprolol 2.5mg tablets"}, "One tablet once daily"}
	medLevothyrox  = gpMed{clinical{"376987000", "Levothyroxine sodium 50microgram tablets"}, "One tablet each morning"}
	medOmeprazole  = gpMed{clinical{"317335001", "Omeprazole 20mg gastro-resistant capsules"}, "One capsule once daily"}
	medParacetamol = gpMed{clinical{"322236009", "Paracetamol 500mg tablets"}, "Two tablets up to four times a day"}
	medNaproxen    = gpMed{clinical{"329650004", "Naproxen 250mg tablets"}, "One tablet twice daily with food"}
	medFurosemide  = gpMed{clinical{"317971007", "Furosemide 40mg tablets"}, "One tablet each morning"}
	medDonepezil   = gpMed{clinical{"408201001", "Donepezil 5mg tablets"}, "One tablet at night"}
	medOlanzapine  = gpMed{clinical{"321657000", "Olanzapine 10mg tablets"}, "One tablet at night"}
	medLamotrigine = gpMed{clinical{"322827001", "Lamotrigine 100mg tablets"}, "One tablet twice daily"}
	medTiotropium  = gpMed{clinical{"407893003", "Tiotropium 18microgram inhalation powder capsules"}, "Inhale one capsule once daily"}
)

var gpProblems = []gpProblem{
	{clinical{"38341003", "Hypertensive disorder, systemic arterial"}, 30, 30, []gpMed{medAmlodipine, medRamipril}},
	{clinical{"44054006", "Type 2 diabetes mellitus"}, 30, 14, []gpMed{medMetformin, medAtorva}},
	{clinical{"195967001", "Asthma"}, 3, 16, []gpMed{medSalbutamol, medBeclo}},
	{clinical{"13645005", "Chronic obstructive lung disease"}, 45, 6, []gpMed{medTiotropium, medSalbutamol}},
	{clinical{"35489007", "Depressive disorder"}, 14, 14, []gpMed{medSertraline}},
	{clinical{"197480006", "Anxiety disorder"}, 12, 10, []gpMed{medCitalopram}},
	{clinical{"49436004", "Atrial fibrillation"}, 50, 5, []gpMed{medApixaban, medBisoprolol}},
	{clinical{"53741008", "Coronary arteriosclerosis"}, 45, 5, []gpMed{medAtorva, medBisoprolol}},
	{clinical{"709044004", "Chronic kidney disease"}, 50, 5, nil},
	{clinical{"396275006", "Osteoarthritis"}, 45, 10, []gpMed{medParacetamol, medNaproxen}},
	{clinical{"69896004", "Rheumatoid arthritis"}, 30, 2, []gpMed{medNaproxen}},
	{clinical{"84114007", "Heart failure"}, 60, 3, []gpMed{medFurosemide, medBisoprolol}},
	{clinical{"40930008", "Hypothyroidism"}, 25, 5, []gpMed{medLevothyrox}},
	{clinical{"52448006", "Dementia"}, 70, 3, []gpMed{medDonepezil}},
	{clinical{"58214004", "Schizophrenia"}, 18, 1, []gpMed{medOlanzapine}},
	{clinical{"84757009", "Epilepsy"}, 5, 2, []gpMed{medLamotrigine}},
	{clinical{"235595009", "Gastro-oesophageal reflux disease"}, 25, 8, []gpMed{medOmeprazole}},
	{clinical{"414916001", "Obesity"}, 16, 8, nil},
	{clinical{"230690007", "Cerebrovascular accident"}, 55, 2, []gpMed{medAtorva}},
}

var gpAllergies = []struct {
	clinical
	w int
}{
	{clinical{"91936005", "Allergy to penicillin"}, 40},
	{clinical{"294505008", "Allergy to amoxicillin"}, 10},
	{clinical{"91935009", "Allergy to peanut"}, 8},
	{clinical{"91934008", "Allergy to nut"}, 6},
	{clinical{"300913006", "Shellfish allergy"}, 5},
	{clinical{"418689008", "Allergy to grass pollen"}, 10},
	{clinical{"232347008", "Dander (animal) allergy"}, 6},
	{clinical{"293586001", "Allergy to aspirin"}, 5},
	{clinical{"300916003", "Latex allergy"}, 4},
	{clinical{"294530006", "Allergy to trimethoprim"}, 4},
	{clinical{"293619005", "Allergy to codeine"}, 4},
}

type gpState struct {
	patients, meds, allergies, problems *csvOut
	next                                []int // next patient id per practice
	medID, allergyID, problemID         int
}

func (g *gen) gpOpen() error {
	var err error
	s := &g.gp
	if s.patients, err = g.createCSV("sources/gp/patients.csv", "practice_code", "patient_id", "nhs_number", "title", "given_name", "middle_names",
		"family_name", "date_of_birth", "sex", "address_line_1", "address_line_2", "town",
		"postcode", "phone", "registration_date", "last_updated"); err != nil {
		return err
	}
	if s.meds, err = g.createCSV("sources/gp/medications.csv", "practice_code", "patient_id", "medication_id", "snomed_code", "description", "dose", "start_date", "end_date"); err != nil {
		return err
	}
	if s.allergies, err = g.createCSV("sources/gp/allergies.csv", "practice_code", "patient_id", "allergy_id", "snomed_code", "description", "recorded_date"); err != nil {
		return err
	}
	if s.problems, err = g.createCSV("sources/gp/problems.csv", "practice_code", "patient_id", "problem_id", "snomed_code", "description", "onset_date", "status"); err != nil {
		return err
	}
	s.next = make([]int, len(g.pracs))
	for i := range s.next {
		s.next[i] = 1001
	}
	return nil
}

func (g *gen) gpClose() error {
	for _, c := range []*csvOut{g.gp.patients, g.gp.meds, g.gp.allergies, g.gp.problems} {
		if err := g.commitCSV(c); err != nil {
			return err
		}
	}
	return nil
}

// gpPerson writes p's GP record, and the record at the old practice when p
// moved practice during the period.
func (g *gen) gpPerson(p *person) {
	r := g.r
	r.seed(g.seed, streamGP, uint64(p.idx))
	v := p.view(r, ratesGP)
	dobDay := p.dob.day()
	if p.prevPractice >= 0 {
		old := v
		old.addr = p.prevAddr
		old.errs = nil
		for _, e := range v.errs {
			if e.kind != errOldAddress {
				old.errs = append(old.errs, e)
			}
		}
		reg := max(dobDay+r.between(0, 60), p.moveDay-r.between(200, 20*365))
		g.gpRecord(p, &old, p.prevPractice, reg, p.moveDay+r.between(20, 90), false)
		v.addr = p.addr
		v.errs = old.errs
		reg = min(p.moveDay+r.between(0, 60), g.endDay)
		g.gpRecord(p, &v, p.practice, reg, min(reg+r.between(0, 40), g.endDay), true)
		return
	}
	reg := max(dobDay+r.between(0, 60), g.endDay-r.between(0, 30*365))
	upd := min(g.endDay, max(reg, g.endDay-r.between(0, 700)))
	g.gpRecord(p, &v, p.practice, reg, upd, true)
}

func (g *gen) gpRecord(p *person, v *view, prac, regDay, updDay int, clinicalData bool) {
	s := &g.gp
	r := g.r
	code := g.pracs[prac].Code
	pid := itoa(s.next[prac])
	s.next[prac]++
	nhs := v.nhs
	if nhs != "" && r.chance(0.2) {
		nhs = spaced(nhs)
	}
	sex := string(v.sex)
	if r.chance(0.001) {
		sex = "U"
	}
	upd := stamp(updDay, r.between(8*3600, 18*3600), "2006-01-02T15:04:05")
	s.patients.row(code, pid, nhs, v.title, v.given, v.middle, v.family, v.dob.dmy(), sex,
		v.addr.line1, v.addr.line2, v.addr.town, v.addr.postcode, v.phone, dateOf(regDay).dmy(), upd)
	g.rec("gp", "patient", code+"/"+pid, p, v)
	if !clinicalData {
		return
	}
	dobDay := p.dob.day()
	age := p.age(g.endDay)
	// Older people have more long-term conditions: one draw per decade of age.
	var had uint32
	for k := 0; k < 1+age/10; k++ {
		if !r.chance(0.3) {
			continue
		}
		pi := pickProblem(r)
		pr := gpProblems[pi]
		if age < pr.minAge || had&(1<<pi) != 0 {
			continue
		}
		had |= 1 << pi
		onset := r.between(dobDay+pr.minAge*365, g.endDay)
		s.problemID++
		status := "active"
		if r.chance(0.1) {
			status = "resolved"
		}
		s.problems.row(code, pid, fmt.Sprintf("PR%08d", s.problemID), pr.code, pr.desc, dateOf(onset).dmy(), status)
		for _, m := range pr.meds {
			if !r.chance(0.75) {
				continue
			}
			start := r.between(onset, g.endDay)
			end := ""
			if status == "resolved" || r.chance(0.2) {
				end = dateOf(r.between(start, g.endDay)).dmy()
			}
			s.medID++
			s.meds.row(code, pid, fmt.Sprintf("MD%08d", s.medID), m.code, m.desc, m.dose, dateOf(start).dmy(), end)
		}
	}
	for k := 0; k < 2; k++ {
		if !r.chance(0.15) {
			break
		}
		a := pickAllergy(r)
		s.allergyID++
		s.allergies.row(code, pid, fmt.Sprintf("AL%08d", s.allergyID), a.code, a.desc, dateOf(r.between(max(dobDay, regDay-3650), g.endDay)).dmy())
	}
}

func pickAllergy(r *rng) clinical {
	t := 0
	for _, a := range gpAllergies {
		t += a.w
	}
	x := r.IntN(t)
	for _, a := range gpAllergies {
		if x < a.w {
			return a.clinical
		}
		x -= a.w
	}
	return gpAllergies[0].clinical
}

var gpProblemTotal = func() int {
	t := 0
	for _, p := range gpProblems {
		t += p.weight
	}
	return t
}()

func pickProblem(r *rng) int {
	x := r.IntN(gpProblemTotal)
	for i, p := range gpProblems {
		if x < p.weight {
			return i
		}
		x -= p.weight
	}
	return 0
}
