package fhir

import (
	"strings"
	"time"
)

// FHIR R4 data types, decoded only as far as the landed columns need.
// Elements not named here are ignored; an element present with the wrong
// JSON type fails the decode and the resource is rejected with bad_value.

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Type       string      `json:"type"`
	Identifier *identifier `json:"identifier"`
	Display    string      `json:"display"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
	Period *period  `json:"period"`
}

type address struct {
	Use        string   `json:"use"`
	Line       []string `json:"line"`
	City       string   `json:"city"`
	PostalCode string   `json:"postalCode"`
	Period     *period  `json:"period"`
}

type contactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use"`
}

type meta struct {
	LastUpdated string `json:"lastUpdated"`
}

type annotation struct {
	Text string `json:"text"`
}

type dosage struct {
	Text string `json:"text"`
}

// Code systems and identifier systems the connector recognises.
const (
	SystemSNOMED     = "http://snomed.info/sct"
	SystemNHSNumber  = "https://fhir.nhs.uk/Id/nhs-number"
	SystemODSOrgCode = "https://fhir.nhs.uk/Id/ods-organization-code"
	// systemNHSNumberOld is the NHS number system of the pre-UK Core
	// (CareConnect STU3) profiles, still seen in older feeds.
	systemNHSNumberOld = "http://fhir.nhs.net/Id/nhs-number"
)

// preferredCoding picks the SNOMED CT coding of cc if it has one, else its
// first coding with a code.
func preferredCoding(cc *codeableConcept) *coding {
	if cc == nil {
		return nil
	}
	for i := range cc.Coding {
		if cc.Coding[i].System == SystemSNOMED && cc.Coding[i].Code != "" {
			return &cc.Coding[i]
		}
	}
	for i := range cc.Coding {
		if cc.Coding[i].Code != "" {
			return &cc.Coding[i]
		}
	}
	return nil
}

// codeCols returns system, code and display of cc's preferred coding; the
// display falls back to the concept's text.
func codeCols(cc *codeableConcept) (system, code, display any) {
	if cc == nil {
		return nil, nil, nil
	}
	system, code, display = nil, nil, nil
	if c := preferredCoding(cc); c != nil {
		system, code, display = str(c.System), str(c.Code), str(c.Display)
	}
	if display == nil {
		display = str(cc.Text)
	}
	return system, code, display
}

// code returns the preferred coding's code of cc, or nil.
func code(cc *codeableConcept) any {
	_, c, _ := codeCols(cc)
	return c
}

// codeList returns the preferred code (or else the text) of each concept.
func codeList(ccs []codeableConcept) any {
	var out []string
	for i := range ccs {
		if c := preferredCoding(&ccs[i]); c != nil {
			out = append(out, c.Code)
		} else if ccs[i].Text != "" {
			out = append(out, ccs[i].Text)
		}
	}
	return list(out)
}

// displayList returns the display (or else the text) of each concept's
// preferred coding.
func displayList(ccs []codeableConcept) any {
	var out []string
	for i := range ccs {
		_, _, d := codeCols(&ccs[i])
		if s, ok := d.(string); ok {
			out = append(out, s)
		}
	}
	return list(out)
}

// identifierList renders identifiers as "system|value".
func identifierList(ids []identifier) any {
	var out []string
	for _, id := range ids {
		if id.System == "" && id.Value == "" {
			continue
		}
		out = append(out, id.System+"|"+id.Value)
	}
	return list(out)
}

// identifierValue returns the first identifier value with one of systems.
func identifierValue(ids []identifier, systems ...string) any {
	for _, id := range ids {
		for _, s := range systems {
			if id.System == s && id.Value != "" {
				return id.Value
			}
		}
	}
	return nil
}

// str turns "" into a null.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// list turns an empty list into a null.
func list(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

func boolStr(b *bool) any {
	if b == nil {
		return nil
	}
	if *b {
		return "true"
	}
	return "false"
}

// refs resolves the references of one Bundle: entry fullUrl → "Type/id".
// A nil *refs resolves nothing; lookups fall back to the enclosing Bundle.
type refs struct {
	byURL  map[string]string
	parent *refs
}

func (r *refs) lookup(url string) (string, bool) {
	for ; r != nil; r = r.parent {
		if v, ok := r.byURL[url]; ok {
			return v, true
		}
	}
	return "", false
}

// normRef normalises a reference to "Type/id": base URLs and _history
// versions are stripped, urn:uuid: and urn:oid: full URLs are resolved
// against the enclosing Bundles, contained references ("#x") are kept as
// they are. A reference given only by identifier becomes
// "Type?identifier=system|value" (FHIR's conditional reference form). A
// reference with only a display, or none at all, is null.
func normRef(ref *reference, rs *refs) any {
	if ref == nil {
		return nil
	}
	if s := normRefString(ref.Reference, ref.Type, rs); s != "" {
		return s
	}
	if id := ref.Identifier; id != nil && id.Value != "" {
		t := ref.Type
		if t == "" && id.System == SystemODSOrgCode {
			t = "Organization"
		}
		return t + "?identifier=" + id.System + "|" + id.Value
	}
	return nil
}

func normRefString(r, typ string, rs *refs) string {
	if r == "" || r[0] == '#' {
		return r
	}
	if strings.HasPrefix(r, "urn:") {
		if v, ok := rs.lookup(r); ok {
			return v
		}
		return r
	}
	if strings.Contains(r, "?") {
		return r // a conditional reference: nothing to strip
	}
	if v, ok := rs.lookup(r); ok {
		return v
	}
	if i := strings.Index(r, "/_history/"); i >= 0 {
		r = r[:i]
	}
	r = strings.TrimRight(r, "/")
	parts := strings.Split(r, "/")
	if len(parts) >= 2 {
		t, id := parts[len(parts)-2], parts[len(parts)-1]
		if isTypeName(t) && id != "" {
			return t + "/" + id
		}
		return r
	}
	if typ != "" {
		return typ + "/" + r
	}
	return r
}

// isTypeName reports whether s looks like a FHIR resource type name.
func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// patientKey returns the Patient id a normalised reference points to, or nil.
func patientKey(ref any) any {
	s, ok := ref.(string)
	if !ok {
		return nil
	}
	if id, ok := strings.CutPrefix(s, "Patient/"); ok && id != "" && !strings.Contains(id, "/") {
		return id
	}
	return nil
}

// refDisplay returns a reference's display, or nil.
func refDisplay(ref *reference) any {
	if ref == nil {
		return nil
	}
	return str(ref.Display)
}

// A dateError is a temporal value that is not a FHIR date, dateTime or
// instant. It names the element, never the value.
type dateError struct{ field string }

func (e *dateError) Error() string { return "field " + e.field + " is not a valid FHIR date/time" }

// parseDateTime parses a FHIR dateTime. It returns the instant (UTC) for a
// full date-time with an offset, midnight UTC for a date (YYYY-MM-DD), and
// null for a partial date (YYYY, YYYY-MM) or a date-time without an offset
// (which FHIR forbids and whose instant is unknown); the raw text is landed
// beside it in every case. Anything else is an error.
func parseDateTime(field, s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) <= 10 {
		t, full, ok := parseDate(s)
		if !ok {
			return nil, &dateError{field}
		}
		if !full {
			return nil, nil
		}
		return t, nil
	}
	if len(s) < 16 || s[10] != 'T' {
		return nil, &dateError{field}
	}
	if _, _, ok := parseDate(s[:10]); !ok {
		return nil, &dateError{field}
	}
	if !hasOffset(s[11:]) {
		if _, err := time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
			return nil, &dateError{field}
		}
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, &dateError{field}
	}
	return t.UTC(), nil
}

func hasOffset(clock string) bool {
	return strings.HasSuffix(clock, "Z") || strings.ContainsAny(clock, "+-")
}

// parseDate parses a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD. full is true
// for a complete date.
func parseDate(s string) (t time.Time, full, ok bool) {
	switch len(s) {
	case 4:
		t, err := time.Parse("2006", s)
		return t, false, err == nil && s != "0000"
	case 7:
		t, err := time.Parse("2006-01", s)
		return t, false, err == nil && s[:4] != "0000"
	case 10:
		t, err := time.Parse("2006-01-02", s)
		return t, true, err == nil && s[:4] != "0000"
	}
	return time.Time{}, false, false
}

// parseBirthDate parses a FHIR date for a date column: a complete date is a
// time.Time, a partial one null.
func parseBirthDate(field, s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	t, full, ok := parseDate(s)
	if !ok {
		return nil, &dateError{field}
	}
	if !full {
		return nil, nil
	}
	return t, nil
}
