package fhir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
)

// outcome is one record's fate as a memSink saw it.
type outcome struct {
	entity int
	pos    extract.Position
	vals   []any
	reason string
	msg    string
}

// memSink records outcomes and checks landed values against the schema.
type memSink struct{ out []outcome }

func (m *memSink) land(e int, pos extract.Position, raw []byte, vals []any) error {
	if err := fits(Schemas[e], vals); err != nil {
		return fmt.Errorf("landing %s at %s: %w", Schemas[e].Entity, pos, err)
	}
	m.out = append(m.out, outcome{entity: e, pos: pos, vals: vals})
	return nil
}

func (m *memSink) reject(e int, pos extract.Position, raw []byte, reason, msg string) error {
	m.out = append(m.out, outcome{entity: e, pos: pos, reason: reason, msg: msg})
	return nil
}

// fits checks that vals match the schema's field types as EntityWriter.Append
// requires.
func fits(s extract.Schema, vals []any) error {
	if len(vals) != len(s.Fields) {
		return fmt.Errorf("%d values for %d fields", len(vals), len(s.Fields))
	}
	for i, f := range s.Fields {
		v := vals[i]
		if v == nil {
			continue
		}
		var ok bool
		switch f.Type {
		case extract.String:
			_, ok = v.(string)
		case extract.Date, extract.Timestamp:
			_, ok = v.(time.Time)
		case extract.StringList:
			_, ok = v.([]string)
		}
		if !ok {
			return fmt.Errorf("field %s: %T for %v", f.Name, v, f.Type)
		}
	}
	return nil
}

func extractBytes(t testing.TB, name string, data []byte) []outcome {
	t.Helper()
	var m memSink
	x := &extractor{ctx: context.Background(), sink: &m, maxLn: MaxLine, maxDoc: MaxDocument}
	var err error
	if isNDJSON(name) {
		err = x.ndjson(name, bytes.NewReader(data))
	} else {
		err = x.document(name, bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m.out
}

func extractFile(t testing.TB, rel string) []outcome {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return extractBytes(t, rel, data)
}

func col(o outcome, name string) any {
	for i, f := range Schemas[o.entity].Fields {
		if f.Name == name {
			return o.vals[i]
		}
	}
	panic("no column " + name + " in " + Schemas[o.entity].Entity)
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestRecords(t *testing.T) {
	type want struct {
		n      int64  // position
		entity int    // entity index
		reason string // "" when landed
		cols   map[string]any
	}
	cases := []struct {
		file string
		want []want
	}{
		{"ndjson/Patient.ndjson", []want{
			{1, entPatients, "", map[string]any{
				"record_key": "p1", "nhs_number": "9434765919", "given_name": "Robert", "middle_names": "James Edward",
				"family_name": "Smith", "title": "Mr", "date_of_birth": time.Date(1950, 7, 14, 0, 0, 0, 0, time.UTC),
				"birth_date_raw": "1950-07-14", "sex": "male", "postcode": "BS8 4AA", "address_line_1": "2 High Street",
				"address_line_2": "Clifton", "town": "Bristol", "phone": "01632 960001",
				"identifiers":           []string{"https://fhir.nhs.uk/Id/nhs-number|9434765919", "urn:oid:local-mrn|MRN001"},
				"active":                "true",
				"deceased":              nil,
				"links":                 []string{"replaces|Patient/p9"},
				"general_practitioner":  "Organization/L81001",
				"managing_organization": "Organization?identifier=https://fhir.nhs.uk/Id/ods-organization-code|RVJ",
				"meta_last_updated":     ts("2025-03-01T09:15:00Z"),
			}},
			{2, entPatients, "", map[string]any{
				"record_key": "p2", "given_name": "Ann", "family_name": "Jones", "date_of_birth": nil, "birth_date_raw": "1961-03",
				"deceased": "true", "deceased_at": time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC), "deceased_at_raw": "2024-11-02",
				"nhs_number": nil, "postcode": nil, "links": nil,
			}},
			{3, entPatients, extract.ReasonMissingField, nil},
			{4, entPatients, extract.ReasonBadValue, nil},
			{5, entPatients, extract.ReasonBadValue, nil},
			{6, entUnrouted, extract.ReasonParse, nil},
			{7, entUnrouted, extract.ReasonParse, nil},
			{8, entUnrouted, extract.ReasonMissingField, nil},
			{9, entUnrouted, ReasonBlankLine, nil},
			{10, entUnrouted, ReasonUnsupported, nil},
			{11, entUnrouted, ReasonOperationOutcome, nil},
			{12, entUnrouted, extract.ReasonParse, nil},
			{13, entPatients, "", map[string]any{
				"record_key": "p11", "deceased": "false", "links": []string{"replaced-by|Patient/p1"},
				// A date-time without an offset has no known instant.
				"meta_last_updated": nil,
			}},
			{14, entPatients, extract.ReasonBadValue, nil},
		}},
		{"ndjson/Clinical.ndjson", []want{
			{1, entEncounters, "", map[string]any{
				"id": "e1", "record_key": "p1", "subject": "Patient/p1", "status": "finished", "class_code": "AMB",
				"type_system": SystemSNOMED, "type_code": "185347001", "type_display": "Encounter for problem",
				"period_start": ts("2025-01-10T09:00:00Z"), "period_start_raw": "2025-01-10T09:00:00+00:00",
				"period_end": ts("2025-01-10T09:30:00Z"), "service_provider": "Organization/RVJ",
				"participants": []string{"Practitioner/dr1"}, "episode_of_care": []string{"EpisodeOfCare/eoc1"},
			}},
			{2, entEncounters, "", map[string]any{
				"record_key": nil, "subject": "Group/g1", "period_start": time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), "period_end": nil,
			}},
			{3, entEncounters, extract.ReasonBadValue, nil},
			{4, entConditions, "", map[string]any{
				"id": "c1", "record_key": "p1", "clinical_status": "active", "verification_status": "confirmed",
				"category": []string{"problem-list-item"}, "code_system": SystemSNOMED, "code": "44054006",
				"code_display": "Type 2 diabetes mellitus", "onset": nil, "onset_raw": "2010",
				"recorded_date": time.Date(2010, 5, 1, 0, 0, 0, 0, time.UTC), "encounter": "Encounter/e1",
			}},
			{5, entMedications, "", map[string]any{
				"resource_type": "MedicationRequest", "id": "m1", "record_key": "p1", "status": "active", "intent": "order",
				"medication_system": "https://dmd.nhs.uk", "medication_code": "39720311000001101",
				"medication_display": "Metformin 500mg tablets", "medication_reference": "#med1",
				"authored_on": ts("2025-01-10T09:20:00Z"), "dosage_text": "one tablet twice daily; with food",
				"requester": "Practitioner/dr1", "effective_start": nil,
			}},
			{6, entMedications, "", map[string]any{
				"resource_type": "MedicationStatement", "id": "ms1", "record_key": "p2", "intent": nil,
				"medication_code": nil, "medication_display": "Aspirin 75mg",
				"effective_start": time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), "effective_end_raw": "2024-12-01",
				"dosage_text": "daily",
			}},
			{7, entAllergies, "", map[string]any{
				"id": "a1", "record_key": "p1", "patient": "Patient/p1", "clinical_status": "active", "type": "allergy",
				"category": []string{"medication"}, "criticality": "high", "code": "91936005",
				"recorded_date": ts("2020-02-02T12:00:00Z"),
			}},
			{8, entReferrals, "", map[string]any{
				"id": "sr1", "record_key": "p1", "status": "active", "intent": "order", "priority": "routine",
				"category": []string{"306206005"}, "category_display": []string{"Referral to service"},
				"code": "1082421000000101", "authored_on": ts("2025-02-01T11:00:00Z"),
				"requester": "Practitioner/dr1", "requester_display": "Dr A Clinician",
				"performer":         []string{"HealthcareService/lr1", "Organization/ORG9"},
				"performer_display": []string{"The Life Rooms"},
				"reason_code":       []string{"35489007"}, "reason_display": []string{"Depressive disorder"},
				"note": "first note\nsecond note", "occurrence": nil,
			}},
			{9, entPractitioners, "", map[string]any{
				"id": "dr1", "name": "Dr Alex Clinician", "given_name": "Alex", "family_name": "Clinician", "title": "Dr",
				"identifiers": []string{"https://fhir.hl7.org.uk/Id/gmc-number|C1234567"},
			}},
			{10, entOrganizations, "", map[string]any{
				"id": "RVJ", "name": "North Bristol NHS Trust", "ods_code": "RVJ", "type_code": "prov",
				"type_display": "Healthcare Provider", "active": "true",
			}},
			{11, entConditions, extract.ReasonBadValue, nil},
		}},
		{"bundle/transaction.json", []want{
			{1, entPatients, "", map[string]any{
				"record_key": "6f1c2b3a-0000-4000-8000-000000000001", "nhs_number": "9000000009",
				"date_of_birth": nil, "birth_date_raw": "1990",
			}},
			{2, entEncounters, "", map[string]any{
				"id": "enc-b1", "record_key": "6f1c2b3a-0000-4000-8000-000000000001",
				"subject": "Patient/6f1c2b3a-0000-4000-8000-000000000001",
			}},
			{3, entUnrouted, extract.ReasonMissingField, nil},
			{4, entConditions, "", map[string]any{"id": "cb1", "record_key": "6f1c2b3a-0000-4000-8000-000000000001"}},
			{4, entUnrouted, ReasonUnsupported, nil},
			{5, entUnrouted, ReasonOperationOutcome, nil},
		}},
		{"single/patient-linked.json", []want{
			{1, entPatients, "", map[string]any{
				"record_key": "old-1", "active": "false", "links": []string{"replaced-by|Patient/new-1"},
			}},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got := extractFile(t, c.file)
			if len(got) != len(c.want) {
				for _, o := range got {
					t.Logf("%d %s %s %s", o.pos.N, Schemas[o.entity].Entity, o.reason, o.msg)
				}
				t.Fatalf("%d outcomes, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				o := got[i]
				if o.pos.N != w.n || o.entity != w.entity || o.reason != w.reason {
					t.Errorf("record %d: got position %d %s %q (%s), want %d %s %q", i, o.pos.N, Schemas[o.entity].Entity, o.reason, o.msg, w.n, Schemas[w.entity].Entity, w.reason)
					continue
				}
				for name, v := range w.cols {
					if g := col(o, name); !reflect.DeepEqual(g, v) {
						t.Errorf("record %d %s = %#v, want %#v", i, name, g, v)
					}
				}
			}
		})
	}
}

// TestRejectMessagesQuoteNoPatientValue checks that no reject message
// repeats a value from the rejected records.
func TestRejectMessagesQuoteNoPatientValue(t *testing.T) {
	secrets := []string{"9434765919", "Noid", "Nora", "Baddate", "1980-02-30", "Wrongtype", "Wendy", "p6", "Notype", "trailing", "yesterday", "10/01/2025", "not found"}
	for _, f := range []string{"ndjson/Patient.ndjson", "ndjson/Clinical.ndjson", "bundle/transaction.json"} {
		for _, o := range extractFile(t, f) {
			for _, s := range secrets {
				if o.reason != "" && strings.Contains(o.msg, s) {
					t.Errorf("%s:%d: message %q quotes %q", f, o.pos.N, o.msg, s)
				}
			}
		}
	}
}

func TestRejectMessages(t *testing.T) {
	got := extractFile(t, "ndjson/Patient.ndjson")
	want := map[int64]string{
		3:  "ndjson/Patient.ndjson line 3: Patient: Patient has no id",
		4:  "ndjson/Patient.ndjson line 4: Patient: field birthDate is not a valid FHIR date/time",
		5:  "ndjson/Patient.ndjson line 5: Patient: field name has the wrong JSON type",
		10: "ndjson/Patient.ndjson line 10: resource type Observation is not landed",
		11: "ndjson/Patient.ndjson line 11: OperationOutcome: error/not-found (RESOURCE_NOT_FOUND)",
		12: "ndjson/Patient.ndjson line 12: not a JSON object",
	}
	for _, o := range got {
		if w, ok := want[o.pos.N]; ok && o.msg != w {
			t.Errorf("line %d: message %q, want %q", o.pos.N, o.msg, w)
		}
	}
}

func TestLongLine(t *testing.T) {
	var m memSink
	x := &extractor{ctx: context.Background(), sink: &m, maxLn: 100, maxDoc: 200}
	in := `{"resourceType":"Patient","id":"` + strings.Repeat("x", 500) + `"}` + "\r\n" + `{"resourceType":"Patient","id":"short"}` + "\n"
	if err := x.ndjson("a.ndjson", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if len(m.out) != 2 || m.out[0].reason != extract.ReasonRecordTooLong || m.out[1].reason != "" || m.out[1].pos.N != 2 {
		t.Fatalf("got %+v", m.out)
	}
	m.out = nil
	if err := x.document("a.json", strings.NewReader(strings.Repeat(" ", 201))); err != nil {
		t.Fatal(err)
	}
	if len(m.out) != 1 || m.out[0].reason != extract.ReasonRecordTooLong {
		t.Fatalf("got %+v", m.out)
	}
}

func TestDeepBundles(t *testing.T) {
	doc := `{"resourceType":"Patient","id":"deep"}`
	for range maxBundleDepth + 2 {
		doc = `{"resourceType":"Bundle","entry":[{"resource":` + doc + `}]}`
	}
	got := extractBytes(t, "deep.json", []byte(doc))
	if len(got) != 1 || got[0].reason != extract.ReasonBadValue {
		t.Fatalf("got %+v", got)
	}
}

func TestNormRef(t *testing.T) {
	rs := &refs{byURL: map[string]string{"urn:uuid:abc": "Patient/abc-id"}}
	cases := []struct {
		ref  reference
		want any
	}{
		{reference{Reference: "Patient/1"}, "Patient/1"},
		{reference{Reference: "https://x.org/fhir/r4/Patient/1"}, "Patient/1"},
		{reference{Reference: "https://x.org/fhir/Patient/1/_history/7"}, "Patient/1"},
		{reference{Reference: "urn:uuid:abc"}, "Patient/abc-id"},
		{reference{Reference: "urn:uuid:zzz"}, "urn:uuid:zzz"},
		{reference{Reference: "#c1"}, "#c1"},
		{reference{Reference: "1", Type: "Practitioner"}, "Practitioner/1"},
		{reference{Reference: "Patient?identifier=a|b"}, "Patient?identifier=a|b"},
		{reference{Identifier: &identifier{System: SystemODSOrgCode, Value: "Y1"}}, "Organization?identifier=" + SystemODSOrgCode + "|Y1"},
		{reference{Display: "only a display"}, nil},
	}
	for _, c := range cases {
		if got := normRef(&c.ref, rs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("normRef(%+v) = %v, want %v", c.ref, got, c.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	cases := []struct {
		in   string
		want any
		bad  bool
	}{
		{"", nil, false},
		{"2020", nil, false},
		{"2020-02", nil, false},
		{"2020-02-29", time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"2020-02-29T23:30:00+01:00", time.Date(2020, 2, 29, 22, 30, 0, 0, time.UTC), false},
		{"2020-02-29T23:30:00.123Z", time.Date(2020, 2, 29, 23, 30, 0, 123e6, time.UTC), false},
		{"2020-02-29T23:30:00", nil, false},
		{"2021-02-29", nil, true},
		{"2020-13", nil, true},
		{"0000", nil, true},
		{"20200229", nil, true},
		{"2020-02-29 23:30:00Z", nil, true},
		{"2020-02-29T25:30:00Z", nil, true},
	}
	for _, c := range cases {
		got, err := parseDateTime("x", c.in)
		if (err != nil) != c.bad || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseDateTime(%q) = %v, %v; want %v, bad %v", c.in, got, err, c.want, c.bad)
		}
	}
}
