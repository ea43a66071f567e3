package main

import (
	"bytes"
	"context"
	"database/sql"
	stdcsv "encoding/csv"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/standardise"
)

var updateHostile = flag.Bool("update-hostile", false, "rewrite testdata/hostile from hostileCorpus")

// hostileDir is the project's hostile input corpus, shared by the connector
// tests (extract/*/hostile_test.go) and the pipeline test in hostile_test.go.
const hostileDir = "../../testdata/hostile"

// Hostile values planted in the corpus. They must land verbatim and never
// appear in a reject message.
var hostileNames = []string{
	"O'Brien",
	"Robert'); DROP TABLE person;--",
	"Zoë 😀",
	"محمد الأحمد",                     // right-to-left
	"\u202Eevil\u202C",                // right-to-left override
	`"; DROP SCHEMA core CASCADE; --`, // a double-quoted identifier breakout
	"' OR '1'='1",
}

// hostileCorpus returns the corpus, file name → bytes. The files are small;
// the very long lines are made by the tests that need them.
func hostileCorpus() map[string][]byte {
	c := map[string][]byte{}
	rnd := rand.New(rand.NewPCG(9, 9))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.UintN(256))
		}
		return b
	}
	utf16le := func(s string) []byte {
		out := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	lines := func(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

	// CSV: mapped as practice_code (required), patient_id (required),
	// nhs_number, given_name, family_name, date_of_birth (02/01/2006),
	// postcode.
	const h = "practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode"
	c["csv/empty.csv"] = nil
	c["csv/header_only.csv"] = lines(h)
	c["csv/truncated.csv"] = []byte(h + "\nP1,1,9434765919,Ann,Smith,01/02/1980,LS1 4AP\nP1,2,9434765919,Bob,Jones,01/02/1980,LS1 4AP\nP1,3,\"943 476 5919,Ann")
	c["csv/ragged.csv"] = lines(h,
		"P1,1,9434765919,Ann,Smith,01/02/1980,LS1 4AP",
		"P1,2,9434765919",
		"P1,3,9434765919,Ann,Smith,01/02/1980,LS1 4AP,extra,extra,extra",
		"",
		"P1,4",
		",,,,,,",
		"P1,5,9434765919,Ann,Smith,01/02/1980,LS1 4AP")
	c["csv/latin1_in_utf8.csv"] = []byte(h + "\nP1,1,,Zoë,Smith,01/02/1980,LS1 4AP\nP1,2,,Ren\xe9e,Smith,01/02/1980,LS1 4AP\nP1,3,,Ann,M\xfcller,01/02/1980,LS1 4AP\n")
	c["csv/utf16_bom.csv"] = utf16le(h + "\r\nP1,1,9434765919,Ann,Smith,01/02/1980,LS1 4AP\r\n")
	c["csv/binary.csv"] = garbage(4096)
	c["csv/binary_rows.csv"] = append([]byte(h+"\n"), garbage(4096)...)
	c["csv/bare_quote.csv"] = lines(h, `P1,1,,O"Brien,Smith,01/02/1980,LS1 4AP`, "P1,2,,Ann,Smith,01/02/1980,LS1 4AP")
	c["csv/bom_crlf.csv"] = []byte("\uFEFF" + h + "\r\nP1,1,9434765919,Ann,Smith,01/02/1980,LS1 4AP\r\nP1,2,9434765919,Bob,Jones,01/02/1980,LS1 4AP\r\n")
	c["csv/dates.csv"] = lines(h,
		"P1,1,,A,B,31/02/1990,",  // impossible
		"P1,2,,A,B,29/02/2023,",  // not a leap year
		"P1,3,,A,B,29/02/2024,",  // leap day
		"P1,4,,A,B,31/12/9999,",  // year 9999
		"P1,5,,A,B,01/01/1800,",  // 1800
		"P1,6,,A,B,01/01/2090,",  // future
		"P1,7,,A,B,00/01/2000,",  // day 0
		"P1,8,,A,B,1990-01-01,",  // wrong layout
		"P1,9,,A,B,01/01/10000,", // five-digit year
		"P1,10,,A,B,01/13/2000,", // month 13
		"P1,11,,A,B,01/01/0001,", // year 1
		"P1,12,,A,B,01/01/-001,") // negative year
	c["csv/nhs_numbers.csv"] = lines(h,
		"P1,1,943 476 5919,A,B,,",
		"P1,2,943-476-5919,A,B,,",
		"P1,3,94347659l9,A,B,,",
		"P1,4,NHS9434765919,A,B,,",
		"P1,5, 9434765919 ,A,B,,",
		"P1,6,9434765918,A,B,,",
		"P1,7,0000000000,A,B,,",
		"P1,8,94347659190000000000,A,B,,",
		"P1,9,９４３４７６５９１９,A,B,,") // full-width digits
	var names bytes.Buffer
	names.WriteString(h + "\n")
	for i, n := range hostileNames {
		q := `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		names.WriteString("P1,N" + string(rune('0'+i)) + ",," + q + "," + q + ",01/02/1980,LS1 4AP\n")
	}
	names.WriteString("P1,M1,,\"multi\nline\",\"tab\there\",01/02/1980,LS1 4AP\n")
	names.WriteString("P1,M2,,\"nul\x00byte\",\"bell\a\",01/02/1980,LS1 4AP\n")
	c["csv/names.csv"] = names.Bytes()

	// Audit JSON Lines.
	ev := func(id, extra string) string {
		return `{"event_id":"` + id + `","timestamp":"2025-01-03T09:12:44Z","user_id":"U1","org_code":"A81001","role":"GP","nhs_number":"9434765919","sections":["medications"],"reason":"Direct care"` + extra + `}`
	}
	c["audit/empty.jsonl"] = nil
	c["audit/truncated.jsonl"] = []byte(ev("E1", "") + "\n" + `{"event_id":"E2","timest`)
	c["audit/trailing_garbage.jsonl"] = lines(ev("E1", "")+" garbage", ev("E2", "")+ev("E3", ""), ev("E4", "")+",", ev("E5", ""))
	c["audit/deep_nesting.jsonl"] = lines(
		strings.Repeat("[", 10000)+strings.Repeat("]", 10000),
		`{"event_id":"E1","sections":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`,
		ev("E2", ""))
	c["audit/binary.jsonl"] = garbage(4096)
	c["audit/utf16_bom.jsonl"] = utf16le(ev("E1", "") + "\n" + ev("E2", "") + "\n")
	c["audit/latin1.jsonl"] = []byte(ev("E1", `,"x":"Ren`+"\xe9"+`e"`) + "\n" + ev("E2", "") + "\n")
	c["audit/wrong_types.jsonl"] = lines(
		`{"event_id":"E1","timestamp":"2025-01-03T09:12:44Z","user_id":"U1","org_code":"A81001","nhs_number":9434765919}`,
		`{"event_id":"E2","timestamp":"2025-01-03T09:12:44Z","user_id":"U1","org_code":"A81001","nhs_number":"9434765919","sections":"medications"}`,
		`{"event_id":null,"timestamp":"2025-01-03T09:12:44Z","user_id":"U1","org_code":"A81001","nhs_number":"9434765919"}`,
		`[1,2,3]`, `"a string"`, `null`, `42`, `{}`)
	c["audit/dates.jsonl"] = lines(
		`{"event_id":"E1","timestamp":"2025-02-31T10:00:00Z","user_id":"U1","org_code":"A","nhs_number":"1"}`,
		`{"event_id":"E2","timestamp":"9999-12-31T23:59:59Z","user_id":"U1","org_code":"A","nhs_number":"1"}`,
		`{"event_id":"E3","timestamp":"1800-01-01T00:00:00Z","user_id":"U1","org_code":"A","nhs_number":"1"}`,
		`{"event_id":"E4","timestamp":"2025-01-03 09:12:44","user_id":"U1","org_code":"A","nhs_number":"1"}`,
		`{"event_id":"E5","timestamp":"2025-01-03T25:00:00Z","user_id":"U1","org_code":"A","nhs_number":"1"}`,
		`{"event_id":"E6","timestamp":"2090-01-01T00:00:00+14:00","user_id":"U1","org_code":"A","nhs_number":"1"}`)
	var audNames []string
	for i, n := range hostileNames {
		q, _ := jsonQuote(n)
		audNames = append(audNames, `{"event_id":"N`+string(rune('0'+i))+`","timestamp":"2025-01-03T09:12:44Z","user_id":`+q+`,"org_code":"A81001","role":`+q+`,"nhs_number":"943 476-591X","reason":`+q+`}`)
	}
	c["audit/names.jsonl"] = lines(audNames...)

	// HL7 v2.
	msh := func(id string) string {
		return "MSH|^~\\&|PAS|RXX|SHAREDCARE|ICS|20250301100000||ADT^A08^ADT_A01|" + id + "|P|2.5\r"
	}
	pid := func(name, dob, nhs string) string {
		return "PID|1||H1^^^RXX^MR~" + nhs + "^^^NHS^NH||" + name + "||" + dob + "|F|||1 HIGH ST^^LEEDS^^LS1 4AP\r"
	}
	good := msh("G1") + "EVN||20250301100000\r" + pid("SMITH^ANN", "19800102", "9434765919")
	c["hl7/empty.hl7"] = nil
	c["hl7/no_msh.hl7"] = []byte("EVN||20250301100000\r" + pid("SMITH^ANN", "19800102", "9434765919") + "\r\n" + good)
	c["hl7/broken_msh.hl7"] = []byte("MSH\r" + pid("A^B", "", "") + "\nMSH|\r" + "\nMSH|^~\\&\r\nMSH|^~\\&|PAS|RXX|SHAREDCARE|ICS||||\r" + "\nMSX|^~\\&|PAS\r\n" + good)
	c["hl7/wrong_delimiters.hl7"] = []byte(
		strings.ReplaceAll(strings.ReplaceAll(good, "|", "#"), "MSH#^~\\&", "MSH#^~\\&") + "\n" + // '#' as field separator: legal
			"MSH|^|PAS|RXX|SHAREDCARE|ICS|20250301100000||ADT^A08|W2|P|2.5\r" + pid("SMITH^ANN", "19800102", "") + "\n" + // short MSH-2
			"MSH||||PAS|RXX\r\n" + // empty encoding characters
			"MSH^|~\\&^PAS\r\n" + // component separator where the field one should be
			"MSH|||||\r\n" + good)
	c["hl7/truncated.hl7"] = []byte(good + "\n" + msh("T2") + "PID|1||H2^^^RX")
	c["hl7/binary.hl7"] = garbage(4096)
	c["hl7/binary_after_msh.hl7"] = append([]byte(msh("B1")), garbage(2048)...)
	c["hl7/utf16_bom.hl7"] = utf16le(good)
	c["hl7/latin1.hl7"] = []byte(msh("L1") + pid("M\xdcLLER^REN\xc9E", "19800102", "9434765919") + "\n" + msh("L2") + pid("MÜLLER^ZOË", "19800102", "9434765919"))
	c["hl7/dates.hl7"] = []byte(
		msh("D1") + pid("A^B", "19900231", "") + "\n" +
			msh("D2") + pid("A^B", "99991231", "") + "\n" +
			msh("D3") + pid("A^B", "18000101", "") + "\n" +
			msh("D4") + pid("A^B", "20900101", "") + "\n" +
			strings.Replace(msh("D5"), "20250301100000", "20250231100000", 1) + pid("A^B", "19800102", "") + "\n" +
			strings.Replace(msh("D6"), "20250301100000", "99991231235959", 1) + pid("A^B", "19800102", "") + "\n" +
			strings.Replace(msh("D7"), "20250301100000", "not-a-time", 1) + pid("A^B", "19800102", ""))
	var hl7Names strings.Builder
	for i, n := range hostileNames {
		// Names go through the HL7 escape sequences for the delimiters.
		esc := strings.NewReplacer(`\`, `\E\`, `|`, `\F\`, `^`, `\S\`, `&`, `\T\`, `~`, `\R\`).Replace(n)
		hl7Names.WriteString(msh("N"+string(rune('0'+i))) + pid(esc+"^"+esc, "19800102", "943 476-591X") + "\n")
	}
	c["hl7/names.hl7"] = []byte(hl7Names.String())
	c["hl7/mllp_garbage.hl7"] = []byte("\x0b" + good + "\x1c\rjunk between frames\x0b" + strings.Replace(good, "G1", "G2", 1) + "\x1c\r\x0b" + msh("G3"))

	// FHIR NDJSON (and one document).
	pat := func(id, extra string) string {
		return `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1980-02-01"` + extra + `}`
	}
	c["fhir/empty.ndjson"] = nil
	c["fhir/truncated.ndjson"] = []byte(pat("p1", "") + "\n" + `{"resourceType":"Patient","id":"p2","name":[{"fam`)
	c["fhir/trailing_garbage.ndjson"] = lines(pat("p1", "")+" xyz", pat("p2", "")+pat("p3", ""), pat("p4", "")+",", pat("p5", ""))
	c["fhir/deep_nesting.ndjson"] = lines(
		strings.Repeat("[", 10000)+strings.Repeat("]", 10000),
		`{"resourceType":"Patient","id":"p1","extension":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`,
		strings.Repeat(`{"a":`, 10000)+"1"+strings.Repeat("}", 10000),
		pat("p2", ""))
	bundle := pat("inner", "")
	for range 20 {
		bundle = `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:x","resource":` + bundle + `}]}`
	}
	c["fhir/deep_bundle.json"] = []byte(bundle)
	c["fhir/binary.ndjson"] = garbage(4096)
	c["fhir/utf16_bom.ndjson"] = utf16le(pat("p1", "") + "\n")
	c["fhir/latin1.ndjson"] = []byte(pat("p1", `,"gender":"f`+"\xe9"+`male"`) + "\n" + pat("p2", "") + "\n")
	c["fhir/not_objects.ndjson"] = lines(`[1,2]`, `"Patient"`, `null`, `42`, `{}`, `{"resourceType":42}`, `{"resourceType":"Patient","id":7}`)
	c["fhir/dates.ndjson"] = lines(
		`{"resourceType":"Patient","id":"d1","birthDate":"1990-02-31"}`,
		`{"resourceType":"Patient","id":"d2","birthDate":"9999-12-31"}`,
		`{"resourceType":"Patient","id":"d3","birthDate":"1800-01-01"}`,
		`{"resourceType":"Patient","id":"d4","birthDate":"2090-01-01"}`,
		`{"resourceType":"Patient","id":"d5","birthDate":"1990"}`,
		`{"resourceType":"Patient","id":"d6","birthDate":"01/02/1990"}`,
		`{"resourceType":"Patient","id":"d7","birthDate":"1990-02-01","deceasedDateTime":"2025-02-30T10:00:00Z","meta":{"lastUpdated":"9999-12-31T23:59:59Z"}}`)
	var fhirNames []string
	for i, n := range hostileNames {
		q, _ := jsonQuote(n)
		fhirNames = append(fhirNames, `{"resourceType":"Patient","id":"n`+string(rune('0'+i))+`","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476-591X"}],"name":[{"family":`+q+`,"given":[`+q+`]}],"birthDate":"1980-02-01"}`)
	}
	c["fhir/names.ndjson"] = lines(fhirNames...)
	return c
}

// TestHostileCorpus keeps testdata/hostile equal to hostileCorpus; run with
// -update-hostile to rewrite it.
func TestHostileCorpus(t *testing.T) {
	want := hostileCorpus()
	if *updateHostile {
		os.RemoveAll(hostileDir)
		for name, data := range want {
			p := filepath.Join(hostileDir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var total int
	err := filepath.Walk(hostileDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(hostileDir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		total += len(data)
		w, ok := want[rel]
		if !ok {
			t.Errorf("%s is not in the corpus (run go test -run TestHostileCorpus -update-hostile)", rel)
		} else if !bytes.Equal(data, w) {
			t.Errorf("%s differs from the generator (run go test -run TestHostileCorpus -update-hostile)", rel)
		}
		delete(want, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		t.Errorf("%s is missing (run go test -run TestHostileCorpus -update-hostile)", name)
	}
	if total > 512<<10 {
		t.Errorf("corpus is %d bytes; keep it small", total)
	}
}

func jsonQuote(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// copyHostile copies corpus files into a region's source directory.
func copyHostile(t *testing.T, dstDir string, names map[string]string) {
	t.Helper()
	for from, to := range names {
		data, err := os.ReadFile(filepath.Join(hostileDir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dstDir, to), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostilePipeline runs the whole pipeline over a region whose sources
// carry the hostile corpus beside their real files: hostile names, NHS
// numbers written with spaces, dashes and letters, impossible and extreme
// dates, ragged and mis-encoded rows, HL7 without MSH, FHIR and audit lines
// with trailing garbage or 10,000-deep nesting, binary garbage. The run
// succeeds; every entity reconciles in meta.source_counts with its rejects
// by reason in meta.reject_counts; hostile names land verbatim in the lake
// and standardised in core.person, and none of them ran as SQL.
func TestHostilePipeline(t *testing.T) {
	ctx := context.Background()
	r := newRegion(t, 300, 23, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	src := func(p ...string) string { return filepath.Join(append([]string{r.dir, "sources"}, p...)...) }

	// GP: hostile rows appended to the real extract, through a CSV writer so
	// that quoting is right.
	gpFile := src("gp", "patients.csv")
	rows := readCSVRows(t, gpFile)
	header, first := rows[0], rows[1]
	var add bytes.Buffer
	w := csvWriter(&add)
	for i, name := range hostileNames {
		row := slicesClone(first)
		set := func(col, v string) {
			for j, h := range header {
				if h == col {
					row[j] = v
				}
			}
		}
		set("patient_id", "HOSTILE"+strconv.Itoa(i))
		set("nhs_number", []string{"943 476 5919", "943-476-5919", "94347659l9", "", "NHS9434765919", "", ""}[i])
		set("given_name", name)
		set("family_name", name)
		set("date_of_birth", []string{"31/12/9999", "01/01/1800", "01/01/2090", "29/02/2024", "01/02/1980", "01/02/1980", "01/02/1980"}[i])
		set("postcode", []string{"ls1 4ap", "LS14AP", "L S 1", "'; --", "", "😀", "LS1 4AP"}[i])
		w.Write(row)
	}
	bad := slicesClone(first)
	for j, h := range header {
		if h == "date_of_birth" {
			bad[j] = "31/02/1990" // impossible: rejected
		}
		if h == "patient_id" {
			bad[j] = "HOSTILE_BADDATE"
		}
	}
	w.Write(bad)
	w.Flush()
	add.WriteString(strings.Join(first[:3], ",") + "\n")                                       // ragged: rejected
	add.WriteString("P1,HOSTILE_LATIN1,,Ren\xe9e" + strings.Repeat(",", len(header)-4) + "\n") // Latin-1 byte: rejected
	appendFile(t, gpFile, add.Bytes())

	copyHostile(t, src("acute", "adt"), map[string]string{
		"hl7/names.hl7": "zz-names.hl7", "hl7/no_msh.hl7": "zz-no-msh.hl7", "hl7/dates.hl7": "zz-dates.hl7",
		"hl7/binary.hl7": "zz-binary.hl7", "hl7/wrong_delimiters.hl7": "zz-delims.hl7", "hl7/latin1.hl7": "zz-latin1.hl7",
		"hl7/truncated.hl7": "zz-truncated.hl7", "hl7/empty.hl7": "zz-empty.hl7",
	})
	copyHostile(t, src("mentalhealth"), map[string]string{
		"fhir/names.ndjson": "zz-names.ndjson", "fhir/dates.ndjson": "zz-dates.ndjson", "fhir/deep_nesting.ndjson": "zz-deep.ndjson",
		"fhir/binary.ndjson": "zz-binary.ndjson", "fhir/not_objects.ndjson": "zz-not-objects.ndjson", "fhir/latin1.ndjson": "zz-latin1.ndjson",
		"fhir/utf16_bom.ndjson": "zz-utf16.ndjson", "fhir/empty.ndjson": "zz-empty.ndjson",
	})
	copyHostile(t, src("portal", "audit"), map[string]string{
		"audit/names.jsonl": "zz-names.jsonl", "audit/wrong_types.jsonl": "zz-types.jsonl", "audit/trailing_garbage.jsonl": "zz-garbage.jsonl",
		"audit/deep_nesting.jsonl": "zz-deep.jsonl", "audit/binary.jsonl": "zz-binary.jsonl", "audit/dates.jsonl": "zz-dates.jsonl",
		"audit/latin1.jsonl": "zz-latin1.jsonl", "audit/empty.jsonl": "zz-empty.jsonl",
	})

	sum, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, 1, 1, 0, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatalf("hostile inputs failed the run: %v", err)
	}
	db := openDB(t, sum.Warehouse)

	// Counts reconcile in the warehouse, entity by entity, and equal the
	// manifest's.
	rs, err := db.Query(`SELECT s.source, s.entity, s.records_read, s.records_landed, s.records_rejected,
		coalesce((SELECT sum(records) FROM meta.reject_counts c WHERE c.source = s.source AND c.entity = s.entity), 0)
		FROM meta.source_counts s`)
	if err != nil {
		t.Fatal(err)
	}
	var entities int
	for rs.Next() {
		var source, entity string
		var read, landed, rejected, byReason int64
		if err := rs.Scan(&source, &entity, &read, &landed, &rejected, &byReason); err != nil {
			t.Fatal(err)
		}
		entities++
		if read != landed+rejected || rejected != byReason {
			t.Errorf("%s.%s: read %d, landed %d, rejected %d, rejects by reason %d", source, entity, read, landed, rejected, byReason)
		}
		if e := sum.Manifest.Entity(source, entity); e == nil || e.Read != read || e.Rejected != rejected {
			t.Errorf("%s.%s: warehouse counts differ from the manifest %+v", source, entity, e)
		}
	}
	rs.Close()
	if entities < 10 {
		t.Fatalf("only %d entities counted", entities)
	}
	for _, want := range []struct{ source, entity, reason string }{
		{"gp", "patients", "bad_value"}, {"gp", "patients", "field_count"}, {"gp", "patients", "bad_encoding"},
		{"acute", "messages", "parse_error"}, {"mentalhealth", "unrouted", "parse_error"}, {"mentalhealth", "unrouted", "bad_encoding"},
		{"portal_audit", "access_events", "parse_error"}, {"portal_audit", "access_events", "bad_encoding"},
	} {
		var n int64
		db.QueryRow(`SELECT coalesce(sum(records), 0) FROM meta.reject_counts WHERE source = ? AND entity = ? AND reason = ?`, want.source, want.entity, want.reason).Scan(&n)
		if n == 0 {
			t.Errorf("no %s rejects counted for %s.%s", want.reason, want.source, want.entity)
		}
	}

	// Every hostile file is an input with its hash.
	for _, s := range sum.Manifest.Sources {
		for _, in := range s.Inputs {
			if strings.Contains(in.File, "zz-") && (len(in.SHA256) != 64 || in.LandedIn != "") {
				t.Errorf("%s/%s: input recorded as %+v", s.Name, in.File, in)
			}
		}
	}

	// Hostile names land verbatim in the lake (read back through DuckDB) ...
	lake := r.cfg.Path(r.cfg.Lake)
	for _, se := range [][2]string{{"gp", "patients"}, {"acute", "patients"}, {"mentalhealth", "patients"}} {
		e := sum.Manifest.Entity(se[0], se[1])
		var lits []string
		for _, f := range e.Files {
			l, err := load.QuoteLiteral(filepath.Join(lake, f))
			if err != nil {
				t.Fatal(err)
			}
			lits = append(lits, l)
		}
		for _, name := range hostileNames {
			var n int64
			q := "SELECT count(*) FROM read_parquet([" + strings.Join(lits, ",") + "]) WHERE given_name = ? AND family_name = ?"
			if err := db.QueryRow(q, name, name).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s.%s: %q did not land verbatim", se[0], se[1], name)
			}
		}
	}
	// ... reach the person index standardised, and never ran as SQL: the
	// tables they name are all there.
	var persons int64
	if err := db.QueryRow(`SELECT count(*) FROM core.person`).Scan(&persons); err != nil || persons < 300 {
		t.Fatalf("core.person has %d rows (%v)", persons, err)
	}
	var n int64
	db.QueryRow(`SELECT count(*) FROM core.person WHERE family_name = ?`, standardise.Name("Robert'); DROP TABLE person;--")).Scan(&n)
	if n == 0 {
		t.Error("the standardised hostile family name is not in core.person")
	}
	db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'core'`).Scan(&n)
	if n < 5 {
		t.Errorf("core has %d tables", n)
	}

	// A rerun over the same hostile inputs gives the same warehouse.
	before, err := load.Checksums(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, 2, 1, 0, 0, 0, time.UTC)), runOptions{Full: true}); err != nil {
		t.Fatal(err)
	}
	after, err := load.Checksums(ctx, openDB(t, sum.Warehouse))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s differs on a full rerun of the hostile inputs", k)
		}
	}
}

// TestHostileFileFailsNamingIt: a file that cannot be read at all (an empty
// CSV with no header, a UTF-16 one) fails the run with an error naming the
// file, and the published warehouse is untouched.
func TestHostileFileFailsNamingIt(t *testing.T) {
	ctx := context.Background()
	r := newRegion(t, 300, 29, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	sum, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, 1, 1, 0, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	for i, corpus := range []string{"csv/empty.csv", "csv/utf16_bom.csv", "csv/binary.csv"} {
		copyHostile(t, filepath.Join(r.dir, "sources", "portal"), map[string]string{corpus: "users.csv"})
		_, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, 2+i, 1, 0, 0, 0, time.UTC)), runOptions{})
		if err == nil {
			t.Fatalf("%s as users.csv: the run succeeded", corpus)
		}
		if !strings.Contains(err.Error(), "users.csv") {
			t.Errorf("%s: error %q does not name the file", corpus, err)
		}
		after, _ := os.ReadFile(sum.Warehouse)
		if !bytes.Equal(before, after) {
			t.Fatalf("%s: the failed run changed the published warehouse", corpus)
		}
	}
}

func readCSVRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := stdcsv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func csvWriter(w *bytes.Buffer) *stdcsv.Writer { return stdcsv.NewWriter(w) }

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHostileConfigRefused: names that could escape a lake directory or a
// SQL identifier, SQL keywords as names, and file patterns leaving the
// source directory are refused at load, with the key and line.
func TestHostileConfigRefused(t *testing.T) {
	base := string(config.SyntheticRegion("Hostile"))
	dir := t.TempDir()
	for _, d := range []string{"sources/gp", "sources/acute", "sources/mentalhealth", "sources/portal", "sources/socialprescribing", "sources/reference"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	if _, err := config.Parse(filepath.Join(dir, "sharedcare.yaml"), []byte(base)); err != nil {
		t.Fatalf("the synthetic config is refused: %v", err)
	}
	cases := []struct{ from, to, key string }{
		{"- name: gp\n", "- name: \"../gp\"\n", "sources[0].name"},
		{"- name: gp\n", "- name: \"gp'; DROP TABLE x; --\"\n", "sources[0].name"},
		{"- name: gp\n", "- name: \"gp;\"\n", "sources[0].name"},
		{"- name: gp\n", "- name: 'g\"p'\n", "sources[0].name"},
		{"- name: gp\n", "- name: select\n", "sources[0].name"},
		{"- entity: patients\n        files: [patients.csv]", "- entity: \"patients\\\"; --\"\n        files: [patients.csv]", "sources[0].entities[0].entity"},
		{"- entity: patients\n        files: [patients.csv]", "- entity: table\n        files: [patients.csv]", "sources[0].entities[0].entity"},
		{"- entity: patients\n        files: [patients.csv]", "- entity: patients\n        files: [../../etc/passwd]", "sources[0].entities[0].files[0]"},
		{`files: ["adt/*.hl7"]`, `files: ["../*/adt/*.hl7"]`, "sources[1].files[0]"},
		{`files: ["adt/*.hl7"]`, `files: ["/etc/*"]`, "sources[1].files[0]"},
		{"{name: practice_code, type: string, required: true}", "{name: \"order\", type: string, required: true}", "sources[0].entities[0].columns[0].name"},
		{"{entity: care_packages, table: care_packages", "{entity: \"from\", table: care_packages", "sources[3].tables[1].entity"},
	}
	for _, c := range cases {
		if !strings.Contains(base, c.from) {
			t.Fatalf("the synthetic config has no %q", c.from)
		}
		text := strings.Replace(base, c.from, c.to, 1)
		_, err := config.Parse(filepath.Join(dir, "sharedcare.yaml"), []byte(text))
		if err == nil {
			t.Errorf("%s = %q accepted", c.key, c.to)
			continue
		}
		if !regexp.MustCompile(`sharedcare\.yaml:\d+: ` + regexp.QuoteMeta(c.key) + `: `).MatchString(err.Error()) {
			t.Errorf("%q: error %q does not give the file, line and key %s", c.to, err, c.key)
		}
	}
}

// TestReservedKeywordsInStep keeps extract.ValidName's list of reserved SQL
// keywords equal to DuckDB's.
func TestReservedKeywordsInStep(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		var k string
		rows.Scan(&k)
		n++
		if !extract.ReservedSQL(k) {
			t.Errorf("DuckDB reserves %q; extract.ValidName accepts it", k)
		}
	}
	if n < 50 {
		t.Errorf("only %d reserved keywords", n)
	}
}
