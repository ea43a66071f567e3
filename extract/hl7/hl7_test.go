package hl7

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

func TestExtractTestdata(t *testing.T) {
	src, err := New("testdata", []string{"*.hl7"})
	if err != nil {
		t.Fatal(err)
	}
	lake, sm := landed(t, src)
	want := map[string]struct {
		read, landed int64
		reasons      map[string]int64
	}{
		// adt-mllp 6 + adt-batch-crlf 5 + oru-lf 3 (one of them the stray PID).
		"messages":     {14, 9, map[string]int64{"parse_error": 2, "missing_field": 1, "bad_value": 1, "unsupported_message": 1}},
		"patients":     {9, 8, map[string]int64{"missing_field": 1}},
		"encounters":   {4, 4, nil},
		"merges":       {1, 1, nil},
		"observations": {3, 3, nil},
	}
	if len(sm.Entities) != len(want) {
		t.Fatalf("%d entities, want %d", len(sm.Entities), len(want))
	}
	for _, e := range sm.Entities {
		w := want[e.Entity]
		if e.Read != w.read || e.Landed != w.landed || e.Read != e.Landed+e.Rejected {
			t.Errorf("%s: read %d landed %d rejected %d, want read %d landed %d", e.Entity, e.Read, e.Landed, e.Rejected, w.read, w.landed)
		}
		for k, n := range w.reasons {
			if e.RejectsByReason[k] != n {
				t.Errorf("%s: %s = %d, want %d (%v)", e.Entity, k, e.RejectsByReason[k], n, e.RejectsByReason)
			}
		}
	}
	if len(sm.Inputs) != 3 {
		t.Errorf("%d inputs, want 3", len(sm.Inputs))
	}

	pats := rows(t, lake, sm, "patients")
	byKey := map[string]map[string]string{}
	for _, p := range pats {
		byKey[p["record_key"]+"/"+p["message_control_id"]] = p
	}
	check := func(key string, want map[string]string) {
		t.Helper()
		p, ok := byKey[key]
		if !ok {
			t.Errorf("no patient row %s", key)
			return
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s %s = %q, want %q", key, k, p[k], v)
			}
		}
	}
	check("H00000001/MSG000000001", map[string]string{
		"nhs_number": "9434765919", "given_name": "JANE", "family_name": "SMITH", "middle_names": "ANNE",
		"title": "MRS", "date_of_birth": "1980-01-01", "sex": "F", "postcode": "BS1 4DJ",
		"address_line_1": "1 HIGH STREET", "address_line_2": "FLAT 2", "town": "BRISTOL", "phone": "0117 496 0000",
		"identifiers": `["H00000001^MR^RXX","9434765919^NH^NHS"]`, "message_type": "ADT", "trigger_event": "A04",
		"message_time": "2025-03-01T09:30:00Z", "_position": "1", "_source_file": "adt-mllp.hl7",
	})
	// \T\ decoded; 14:30 BST is 13:30 UTC; EVN-6 (event occurred) wins over EVN-2.
	check("H00000002/MSG000000002", map[string]string{
		"address_line_1": "MARKS & SPENCER HOUSE", "family_name": "O'BRIEN", "nhs_number": "<nil>",
		"event_time": "2025-07-15T13:00:00Z", "message_time": "2025-07-15T13:30:00Z",
	})
	// An impossible date of birth lands as null; the patient still lands.
	check("H00000003/MSG000000004", map[string]string{"date_of_birth": "<nil>", "nhs_number": "4010232137"})
	// The NHS number in an untyped PID-2; the trigger from MSH-9 with EVN-1 empty.
	check("H00000004/MSG000000101", map[string]string{"nhs_number": "9434765919", "trigger_event": "A31", "message_time": "2025-03-01T10:00:00Z"})
	// PID-2 typed NH; a message time with an explicit offset.
	check("H00000001/LAB000001", map[string]string{"nhs_number": "9434765919", "message_type": "ORU", "message_time": "2025-04-01T07:30:00Z"})

	encs := rows(t, lake, sm, "encounters")
	var disch map[string]string
	for _, e := range encs {
		if e["trigger_event"] == "A03" {
			disch = e
		}
	}
	for k, v := range map[string]string{
		"record_key": "H00000002", "visit_number": "V0000000200", "patient_class": "I", "assigned_location": "WARD 7^^^RXX",
		"attending_doctor": "C1000002^JONES^GARETH", "hospital_service": "300",
		"admit_time": "2025-07-15T13:00:00Z", "discharge_time": "2025-07-18T09:15:00Z",
	} {
		if disch[k] != v {
			t.Errorf("A03 encounter %s = %q, want %q", k, disch[k], v)
		}
	}

	merges := rows(t, lake, sm, "merges")
	if len(merges) != 1 || merges[0]["record_key"] != "H00000001" || merges[0]["prior_record_key"] != "H00000009" ||
		merges[0]["prior_nhs_number"] != "9434765919" || merges[0]["message_control_id"] != "MSG000000006" {
		t.Errorf("merges = %v", merges)
	}

	obs := rows(t, lake, sm, "observations")
	if len(obs) != 3 {
		t.Fatalf("%d observations", len(obs))
	}
	for k, v := range map[string]string{"record_key": "H00000001", "sequence": "1", "identifier": "718-7^Haemoglobin^LN", "value": "132",
		"units": "g/L", "status": "F", "value_type": "NM", "observation_time": "2025-04-01T07:00:00Z"} {
		if obs[0][k] != v {
			t.Errorf("observation 1 %s = %q, want %q", k, obs[0][k], v)
		}
	}
	if got := obs[1]["value"]; got != "Sample haemolysed\nrepeat & review" {
		t.Errorf("text value %q", got)
	}
	if got := obs[2]["observation_time"]; got != "2025-04-01T07:00:00Z" {
		t.Errorf("hour-precision observation time %q", got)
	}

	// Rejects name fields and positions, never patient values.
	rej := rows(t, lake, sm, "rejects")
	if len(rej) != 6 {
		t.Errorf("%d rejects, want 6", len(rej))
	}
	for _, r := range rej {
		for _, secret := range []string{"NOBODY", "9434765919", "H0000", "BROWN", "GREEN", "WHITE", "19900101"} {
			if strings.Contains(r["message"], secret) {
				t.Errorf("reject message quotes a patient value: %q", r["message"])
			}
		}
		if r["message"] == "" || r["reason"] == "" {
			t.Errorf("reject without reason or message: %v", r)
		}
	}
}

func TestLocationOption(t *testing.T) {
	dir := t.TempDir()
	msg := "MSH|^~\\&|PAS|RXX|||20250715120000||ADT^A04|M1|P|2.4\rPID|1||H1^^^RXX^MR\r"
	if err := os.WriteFile(filepath.Join(dir, "a.hl7"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	for loc, want := range map[*time.Location]string{nil: "2025-07-15T11:00:00Z", time.UTC: "2025-07-15T12:00:00Z"} {
		src, err := New(dir, []string{"*.hl7"}, WithLocation(loc))
		if err != nil {
			t.Fatal(err)
		}
		lake, sm := landed(t, src)
		if got := rows(t, lake, sm, "messages")[0]["message_time"]; got != want {
			t.Errorf("location %v: message_time %s, want %s", loc, got, want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct {
		root  string
		files []string
	}{{"", []string{"*.hl7"}}, {"x", nil}, {"x", []string{""}}} {
		if _, err := New(c.root, c.files); err == nil {
			t.Errorf("New(%q, %q): want error", c.root, c.files)
		}
	}
	if _, err := New("does-not-exist", []string{"*.hl7"}); err != nil {
		t.Errorf("New opened something: %v", err)
	}
}

func TestMissingFileIsSystemic(t *testing.T) {
	src, _ := New(t.TempDir(), []string{"*.hl7"})
	run, _ := extract.NewRun(t.TempDir(), time.Now(), nil)
	if _, err := run.Land(context.Background(), "acute", "hl7", src); err == nil {
		t.Fatal("want an error when no file matches")
	}
}

func TestUnreadableFileIsSystemic(t *testing.T) {
	dir := t.TempDir()
	// A directory matches the pattern: opening works, reading fails.
	if err := os.Mkdir(filepath.Join(dir, "x.hl7"), 0o700); err != nil {
		t.Fatal(err)
	}
	src, _ := New(dir, []string{"*.hl7"})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	run, _ := extract.NewRun(t.TempDir(), time.Now(), mem)
	if _, err := run.Land(context.Background(), "acute", "hl7", src); err == nil {
		t.Fatal("want an error for an unreadable file")
	}
}

func TestConformance(t *testing.T) {
	extracttest.Run(t, func(t *testing.T) extract.Source {
		src, err := New("testdata", []string{"*.hl7"})
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}

// TestMessageTooLong checks that a message over the limit is rejected as
// too long, naming its file and number, and that the messages after it
// land: read, landed and rejected still add up.
func TestMessageTooLong(t *testing.T) {
	dir := t.TempDir()
	msg := func(id, name string, obx int) string {
		s := "MSH|^~\\&|PAS|RXX|SHAREDCARE|ICS|20250301100000||ADT^A08^ADT_A01|" + id + "|P|2.5\r" +
			"EVN||20250301100000\r" +
			"PID|1||" + id + "^^^RXX^MR||" + name + "^ANN||19900101|F\r"
		for k := range obx {
			s += "OBX|" + strconv.Itoa(k+1) + "|TX|NOTE||" + strings.Repeat("x", 100) + "\r"
		}
		return s
	}
	data := msg("M1", "GREEN", 0) + msg("M2", "BROWN", 50) + msg("M3", "WHITE", 0)
	if err := os.WriteFile(filepath.Join(dir, "feed.hl7"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := New(dir, []string{"*.hl7"})
	if err != nil {
		t.Fatal(err)
	}
	src.maxMsg = 1000
	lake, sm := landed(t, src)
	m := entityStats(sm, "messages")
	if m.Read != 3 || m.Landed != 2 || m.Rejected != 1 || m.RejectsByReason[extract.ReasonRecordTooLong] != 1 {
		t.Fatalf("messages: read %d, landed %d, rejected %d (%v); want 3, 2, 1 too long", m.Read, m.Landed, m.Rejected, m.RejectsByReason)
	}
	var ids []string
	for _, r := range rows(t, lake, sm, "messages") {
		ids = append(ids, r["message_control_id"])
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"M1", "M3"}) {
		t.Errorf("landed messages %v, want M1 and M3", ids)
	}
	rej := rows(t, lake, sm, "rejects")
	if len(rej) != 1 {
		t.Fatalf("%d rejects, want 1", len(rej))
	}
	r := rej[0]
	if r["reason"] != extract.ReasonRecordTooLong || !strings.Contains(r["message"], "feed.hl7 message 2") || !strings.Contains(r["message"], "1000 bytes") || strings.Contains(r["message"], "BROWN") {
		t.Errorf("reject %v", r)
	}
}
