package fhir

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/sharedcare/sharedcare/extract"
)

// A mapper turns one resource into the values of its entity's row. id is the
// resource's id (or the id its Bundle fullUrl gives it); rs resolves Bundle
// references. A non-empty reason rejects the resource.
type mapper func(raw []byte, id string, rs *refs) (vals []any, reason, msg string)

// routes maps the supported resource types to their entity and mapper.
var routes = map[string]struct {
	entity int
	m      mapper
}{
	"Patient":             {entPatients, mapPatient},
	"Encounter":           {entEncounters, mapEncounter},
	"Condition":           {entConditions, mapCondition},
	"MedicationRequest":   {entMedications, mapMedicationRequest},
	"MedicationStatement": {entMedications, mapMedicationStatement},
	"AllergyIntolerance":  {entAllergies, mapAllergy},
	"ServiceRequest":      {entReferrals, mapServiceRequest},
	"Practitioner":        {entPractitioners, mapPractitioner},
	"Organization":        {entOrganizations, mapOrganization},
}

// decode unmarshals an already validated JSON object into v. A value of the
// wrong JSON type is bad_value; the message names the element, never the
// value.
func decode(raw []byte, v any) (reason, msg string) {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return "", ""
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return extract.ReasonParse, "not a JSON object"
		}
		return extract.ReasonBadValue, "field " + te.Field + " has the wrong JSON type"
	}
	return extract.ReasonParse, jsonErr(err)
}

// temporal converts temporal elements, keeping the first error.
type temporal struct{ err error }

func (c *temporal) ts(field, s string) any {
	v, err := parseDateTime(field, s)
	if err != nil && c.err == nil {
		c.err = err
	}
	return v
}

func (c *temporal) date(field, s string) any {
	v, err := parseBirthDate(field, s)
	if err != nil && c.err == nil {
		c.err = err
	}
	return v
}

func (c *temporal) result(vals []any) ([]any, string, string) {
	if c.err != nil {
		return nil, extract.ReasonBadValue, c.err.Error()
	}
	return vals, "", ""
}

func lastUpdated(m *meta) string {
	if m == nil {
		return ""
	}
	return m.LastUpdated
}

type patientLink struct {
	Other reference `json:"other"`
	Type  string    `json:"type"`
}

type patient struct {
	Identifier           []identifier   `json:"identifier"`
	Active               *bool          `json:"active"`
	Name                 []humanName    `json:"name"`
	Telecom              []contactPoint `json:"telecom"`
	Gender               string         `json:"gender"`
	BirthDate            string         `json:"birthDate"`
	DeceasedBoolean      *bool          `json:"deceasedBoolean"`
	DeceasedDateTime     string         `json:"deceasedDateTime"`
	Address              []address      `json:"address"`
	GeneralPractitioner  []reference    `json:"generalPractitioner"`
	ManagingOrganization *reference     `json:"managingOrganization"`
	Link                 []patientLink  `json:"link"`
	Meta                 *meta          `json:"meta"`
}

var nameRank = map[string]int{"official": 0, "usual": 1, "": 2, "temp": 3, "nickname": 4, "anonymous": 5, "maiden": 6, "old": 7}

// bestName picks the first official name, else the first usual one, else
// the first without a use, and so on down nameRank; a name whose period has
// ended ranks after every current one.
func bestName(names []humanName) *humanName {
	var best *humanName
	bestRank := 1 << 30
	for i := range names {
		r, ok := nameRank[names[i].Use]
		if !ok {
			r = 8
		}
		if names[i].Period != nil && names[i].Period.End != "" {
			r += 16
		}
		if r < bestRank {
			best, bestRank = &names[i], r
		}
	}
	return best
}

var addressRank = map[string]int{"home": 0, "": 1, "temp": 2, "work": 3, "billing": 4, "old": 5}

// bestAddress picks the first current home address, with the same ranking
// scheme as bestName.
func bestAddress(addrs []address) *address {
	var best *address
	bestRank := 1 << 30
	for i := range addrs {
		r, ok := addressRank[addrs[i].Use]
		if !ok {
			r = 6
		}
		if addrs[i].Period != nil && addrs[i].Period.End != "" {
			r += 16
		}
		if r < bestRank {
			best, bestRank = &addrs[i], r
		}
	}
	return best
}

func mapPatient(raw []byte, id string, rs *refs) ([]any, string, string) {
	var p patient
	if reason, msg := decode(raw, &p); reason != "" {
		return nil, reason, msg
	}
	if id == "" {
		return nil, extract.ReasonMissingField, "Patient has no id"
	}
	var c temporal
	v := make([]any, len(Schemas[entPatients].Fields))
	v[0] = id
	v[1] = identifierValue(p.Identifier, SystemNHSNumber, systemNHSNumberOld)
	if n := bestName(p.Name); n != nil {
		if len(n.Given) > 0 {
			v[2] = str(n.Given[0])
			v[8] = str(strings.Join(n.Given[1:], " "))
		}
		v[3] = str(n.Family)
		v[9] = str(strings.Join(n.Prefix, " "))
	}
	v[4] = c.date("birthDate", p.BirthDate)
	v[5] = str(p.Gender)
	if a := bestAddress(p.Address); a != nil {
		v[6] = str(a.PostalCode)
		if len(a.Line) > 0 {
			v[10] = str(a.Line[0])
		}
		if len(a.Line) > 1 {
			v[11] = str(a.Line[1])
		}
		v[12] = str(a.City)
	}
	v[7] = str(p.BirthDate)
	for _, t := range p.Telecom {
		if t.System == "phone" && t.Value != "" {
			v[13] = t.Value
			break
		}
	}
	v[14] = identifierList(p.Identifier)
	v[15] = boolStr(p.Active)
	switch {
	case p.DeceasedDateTime != "":
		v[16] = "true"
	default:
		v[16] = boolStr(p.DeceasedBoolean)
	}
	v[17] = c.ts("deceasedDateTime", p.DeceasedDateTime)
	v[18] = str(p.DeceasedDateTime)
	var links []string
	for i := range p.Link {
		r, _ := normRef(&p.Link[i].Other, rs).(string)
		links = append(links, p.Link[i].Type+"|"+r)
	}
	v[19] = list(links)
	if len(p.GeneralPractitioner) > 0 {
		v[20] = normRef(&p.GeneralPractitioner[0], rs)
	}
	v[21] = normRef(p.ManagingOrganization, rs)
	v[22] = c.ts("meta.lastUpdated", lastUpdated(p.Meta))
	return c.result(v)
}

type encounter struct {
	Status      string            `json:"status"`
	Class       *coding           `json:"class"`
	Type        []codeableConcept `json:"type"`
	Subject     *reference        `json:"subject"`
	Participant []struct {
		Individual *reference `json:"individual"`
	} `json:"participant"`
	Period          *period     `json:"period"`
	ServiceProvider *reference  `json:"serviceProvider"`
	EpisodeOfCare   []reference `json:"episodeOfCare"`
	Meta            *meta       `json:"meta"`
}

func mapEncounter(raw []byte, id string, rs *refs) ([]any, string, string) {
	var e encounter
	if reason, msg := decode(raw, &e); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entEncounters].Fields))
	v[0] = str(id)
	v[2] = normRef(e.Subject, rs)
	v[1] = patientKey(v[2])
	v[3] = str(e.Status)
	if e.Class != nil {
		v[4] = str(e.Class.Code)
	}
	if len(e.Type) > 0 {
		v[5], v[6], v[7] = codeCols(&e.Type[0])
	}
	if e.Period != nil {
		v[8] = c.ts("period.start", e.Period.Start)
		v[9] = str(e.Period.Start)
		v[10] = c.ts("period.end", e.Period.End)
		v[11] = str(e.Period.End)
	}
	v[12] = normRef(e.ServiceProvider, rs)
	var parts []string
	for _, p := range e.Participant {
		if r, ok := normRef(p.Individual, rs).(string); ok {
			parts = append(parts, r)
		}
	}
	v[13] = list(parts)
	v[14] = refList(e.EpisodeOfCare, rs)
	v[15] = c.ts("meta.lastUpdated", lastUpdated(e.Meta))
	return c.result(v)
}

func refList(refs []reference, rs *refs) any {
	var out []string
	for i := range refs {
		if r, ok := normRef(&refs[i], rs).(string); ok {
			out = append(out, r)
		}
	}
	return list(out)
}

type condition struct {
	ClinicalStatus     *codeableConcept  `json:"clinicalStatus"`
	VerificationStatus *codeableConcept  `json:"verificationStatus"`
	Category           []codeableConcept `json:"category"`
	Code               *codeableConcept  `json:"code"`
	Subject            *reference        `json:"subject"`
	Encounter          *reference        `json:"encounter"`
	OnsetDateTime      string            `json:"onsetDateTime"`
	OnsetPeriod        *period           `json:"onsetPeriod"`
	AbatementDateTime  string            `json:"abatementDateTime"`
	AbatementPeriod    *period           `json:"abatementPeriod"`
	RecordedDate       string            `json:"recordedDate"`
	Meta               *meta             `json:"meta"`
}

// dateTimeOrStart returns a dateTime[x] value given as dateTime or Period.
func dateTimeOrStart(dt string, p *period) (string, string) {
	if dt != "" {
		return dt, "DateTime"
	}
	if p != nil {
		return p.Start, "Period.start"
	}
	return "", ""
}

func mapCondition(raw []byte, id string, rs *refs) ([]any, string, string) {
	var x condition
	if reason, msg := decode(raw, &x); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entConditions].Fields))
	v[0] = str(id)
	v[2] = normRef(x.Subject, rs)
	v[1] = patientKey(v[2])
	v[3] = code(x.ClinicalStatus)
	v[4] = code(x.VerificationStatus)
	v[5] = codeList(x.Category)
	v[6], v[7], v[8] = codeCols(x.Code)
	onset, of := dateTimeOrStart(x.OnsetDateTime, x.OnsetPeriod)
	v[9] = c.ts("onset"+of, onset)
	v[10] = str(onset)
	abate, af := dateTimeOrStart(x.AbatementDateTime, x.AbatementPeriod)
	v[11] = c.ts("abatement"+af, abate)
	v[12] = str(abate)
	v[13] = c.ts("recordedDate", x.RecordedDate)
	v[14] = str(x.RecordedDate)
	v[15] = normRef(x.Encounter, rs)
	v[16] = c.ts("meta.lastUpdated", lastUpdated(x.Meta))
	return c.result(v)
}

type medicationCommon struct {
	Status                    string            `json:"status"`
	MedicationCodeableConcept *codeableConcept  `json:"medicationCodeableConcept"`
	MedicationReference       *reference        `json:"medicationReference"`
	Subject                   *reference        `json:"subject"`
	Contained                 []json.RawMessage `json:"contained"`
	Meta                      *meta             `json:"meta"`
}

type medicationRequest struct {
	medicationCommon
	Intent            string     `json:"intent"`
	Encounter         *reference `json:"encounter"`
	AuthoredOn        string     `json:"authoredOn"`
	Requester         *reference `json:"requester"`
	DosageInstruction []dosage   `json:"dosageInstruction"`
}

type medicationStatement struct {
	medicationCommon
	Context           *reference `json:"context"`
	EffectiveDateTime string     `json:"effectiveDateTime"`
	EffectivePeriod   *period    `json:"effectivePeriod"`
	Dosage            []dosage   `json:"dosage"`
}

// medicationCols fills medication_system, _code, _display and _reference
// (v[6..9]). A reference to a contained Medication ("#id") takes its code.
func medicationCols(m *medicationCommon, v []any, rs *refs) {
	if m.MedicationCodeableConcept != nil {
		v[6], v[7], v[8] = codeCols(m.MedicationCodeableConcept)
		return
	}
	if m.MedicationReference == nil {
		return
	}
	v[9] = normRef(m.MedicationReference, rs)
	v[8] = refDisplay(m.MedicationReference)
	want, ok := strings.CutPrefix(m.MedicationReference.Reference, "#")
	if !ok || want == "" {
		return
	}
	for _, raw := range m.Contained {
		var med struct {
			ResourceType string           `json:"resourceType"`
			ID           string           `json:"id"`
			Code         *codeableConcept `json:"code"`
		}
		if json.Unmarshal(raw, &med) != nil || med.ResourceType != "Medication" || med.ID != want {
			continue
		}
		s, c, d := codeCols(med.Code)
		v[6], v[7] = s, c
		if d != nil {
			v[8] = d
		}
		return
	}
}

func dosageText(ds []dosage) any {
	var out []string
	for _, d := range ds {
		if d.Text != "" {
			out = append(out, d.Text)
		}
	}
	return str(strings.Join(out, "; "))
}

func mapMedicationRequest(raw []byte, id string, rs *refs) ([]any, string, string) {
	var m medicationRequest
	if reason, msg := decode(raw, &m); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entMedications].Fields))
	v[0] = "MedicationRequest"
	v[1] = str(id)
	v[3] = normRef(m.Subject, rs)
	v[2] = patientKey(v[3])
	v[4] = str(m.Status)
	v[5] = str(m.Intent)
	medicationCols(&m.medicationCommon, v, rs)
	v[10] = c.ts("authoredOn", m.AuthoredOn)
	v[11] = str(m.AuthoredOn)
	v[16] = dosageText(m.DosageInstruction)
	v[17] = normRef(m.Requester, rs)
	v[18] = normRef(m.Encounter, rs)
	v[19] = c.ts("meta.lastUpdated", lastUpdated(m.Meta))
	return c.result(v)
}

func mapMedicationStatement(raw []byte, id string, rs *refs) ([]any, string, string) {
	var m medicationStatement
	if reason, msg := decode(raw, &m); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entMedications].Fields))
	v[0] = "MedicationStatement"
	v[1] = str(id)
	v[3] = normRef(m.Subject, rs)
	v[2] = patientKey(v[3])
	v[4] = str(m.Status)
	medicationCols(&m.medicationCommon, v, rs)
	start, sf := dateTimeOrStart(m.EffectiveDateTime, m.EffectivePeriod)
	v[12] = c.ts("effective"+sf, start)
	v[13] = str(start)
	if m.EffectivePeriod != nil && m.EffectiveDateTime == "" {
		v[14] = c.ts("effectivePeriod.end", m.EffectivePeriod.End)
		v[15] = str(m.EffectivePeriod.End)
	}
	v[16] = dosageText(m.Dosage)
	v[18] = normRef(m.Context, rs)
	v[19] = c.ts("meta.lastUpdated", lastUpdated(m.Meta))
	return c.result(v)
}

type allergy struct {
	ClinicalStatus     *codeableConcept `json:"clinicalStatus"`
	VerificationStatus *codeableConcept `json:"verificationStatus"`
	Type               string           `json:"type"`
	Category           []string         `json:"category"`
	Criticality        string           `json:"criticality"`
	Code               *codeableConcept `json:"code"`
	Patient            *reference       `json:"patient"`
	Encounter          *reference       `json:"encounter"`
	OnsetDateTime      string           `json:"onsetDateTime"`
	OnsetPeriod        *period          `json:"onsetPeriod"`
	RecordedDate       string           `json:"recordedDate"`
	Meta               *meta            `json:"meta"`
}

func mapAllergy(raw []byte, id string, rs *refs) ([]any, string, string) {
	var a allergy
	if reason, msg := decode(raw, &a); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entAllergies].Fields))
	v[0] = str(id)
	v[2] = normRef(a.Patient, rs)
	v[1] = patientKey(v[2])
	v[3] = code(a.ClinicalStatus)
	v[4] = code(a.VerificationStatus)
	v[5] = str(a.Type)
	v[6] = list(a.Category)
	v[7] = str(a.Criticality)
	v[8], v[9], v[10] = codeCols(a.Code)
	onset, of := dateTimeOrStart(a.OnsetDateTime, a.OnsetPeriod)
	v[11] = c.ts("onset"+of, onset)
	v[12] = str(onset)
	v[13] = c.ts("recordedDate", a.RecordedDate)
	v[14] = str(a.RecordedDate)
	v[15] = normRef(a.Encounter, rs)
	v[16] = c.ts("meta.lastUpdated", lastUpdated(a.Meta))
	return c.result(v)
}

type serviceRequest struct {
	Status             string            `json:"status"`
	Intent             string            `json:"intent"`
	Priority           string            `json:"priority"`
	Category           []codeableConcept `json:"category"`
	Code               *codeableConcept  `json:"code"`
	Subject            *reference        `json:"subject"`
	Encounter          *reference        `json:"encounter"`
	OccurrenceDateTime string            `json:"occurrenceDateTime"`
	OccurrencePeriod   *period           `json:"occurrencePeriod"`
	AuthoredOn         string            `json:"authoredOn"`
	Requester          *reference        `json:"requester"`
	Performer          []reference       `json:"performer"`
	ReasonCode         []codeableConcept `json:"reasonCode"`
	Note               []annotation      `json:"note"`
	Meta               *meta             `json:"meta"`
}

func mapServiceRequest(raw []byte, id string, rs *refs) ([]any, string, string) {
	var s serviceRequest
	if reason, msg := decode(raw, &s); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entReferrals].Fields))
	v[0] = str(id)
	v[2] = normRef(s.Subject, rs)
	v[1] = patientKey(v[2])
	v[3] = str(s.Status)
	v[4] = str(s.Intent)
	v[5] = str(s.Priority)
	v[6] = codeList(s.Category)
	v[7] = displayList(s.Category)
	v[8], v[9], v[10] = codeCols(s.Code)
	v[11] = c.ts("authoredOn", s.AuthoredOn)
	v[12] = str(s.AuthoredOn)
	occ, of := dateTimeOrStart(s.OccurrenceDateTime, s.OccurrencePeriod)
	v[13] = c.ts("occurrence"+of, occ)
	v[14] = str(occ)
	v[15] = normRef(s.Requester, rs)
	v[16] = refDisplay(s.Requester)
	v[17] = refList(s.Performer, rs)
	var disp []string
	for _, p := range s.Performer {
		if p.Display != "" {
			disp = append(disp, p.Display)
		}
	}
	v[18] = list(disp)
	v[19] = codeList(s.ReasonCode)
	v[20] = displayList(s.ReasonCode)
	var notes []string
	for _, n := range s.Note {
		if n.Text != "" {
			notes = append(notes, n.Text)
		}
	}
	v[21] = str(strings.Join(notes, "\n"))
	v[22] = normRef(s.Encounter, rs)
	v[23] = c.ts("meta.lastUpdated", lastUpdated(s.Meta))
	return c.result(v)
}

type practitioner struct {
	Identifier []identifier `json:"identifier"`
	Active     *bool        `json:"active"`
	Name       []humanName  `json:"name"`
	Meta       *meta        `json:"meta"`
}

func mapPractitioner(raw []byte, id string, _ *refs) ([]any, string, string) {
	var p practitioner
	if reason, msg := decode(raw, &p); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entPractitioners].Fields))
	v[0] = str(id)
	if n := bestName(p.Name); n != nil {
		full := n.Text
		if full == "" {
			full = strings.TrimSpace(strings.Join(append(append(append([]string{}, n.Prefix...), n.Given...), n.Family), " "))
		}
		v[1] = str(full)
		if len(n.Given) > 0 {
			v[2] = str(n.Given[0])
		}
		v[3] = str(n.Family)
		v[4] = str(strings.Join(n.Prefix, " "))
	}
	v[5] = identifierList(p.Identifier)
	v[6] = boolStr(p.Active)
	v[7] = c.ts("meta.lastUpdated", lastUpdated(p.Meta))
	return c.result(v)
}

type organization struct {
	Identifier []identifier      `json:"identifier"`
	Active     *bool             `json:"active"`
	Type       []codeableConcept `json:"type"`
	Name       string            `json:"name"`
	PartOf     *reference        `json:"partOf"`
	Meta       *meta             `json:"meta"`
}

func mapOrganization(raw []byte, id string, rs *refs) ([]any, string, string) {
	var o organization
	if reason, msg := decode(raw, &o); reason != "" {
		return nil, reason, msg
	}
	var c temporal
	v := make([]any, len(Schemas[entOrganizations].Fields))
	v[0] = str(id)
	v[1] = str(o.Name)
	v[2] = identifierValue(o.Identifier, SystemODSOrgCode)
	v[3] = identifierList(o.Identifier)
	if len(o.Type) > 0 {
		_, v[4], v[5] = codeCols(&o.Type[0])
	}
	v[6] = normRef(o.PartOf, rs)
	v[7] = boolStr(o.Active)
	v[8] = c.ts("meta.lastUpdated", lastUpdated(o.Meta))
	return c.result(v)
}
