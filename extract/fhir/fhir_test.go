package fhir_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/fhir"
)

var testdataFiles = []string{"ndjson/*.ndjson", "bundle/*.json", "single/*.json"}

func TestConformance(t *testing.T) {
	extracttest.Run(t, func(t *testing.T) extract.Source {
		src, err := fhir.New("testdata", testdataFiles)
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct {
		root  string
		files []string
	}{{"", []string{"*.ndjson"}}, {"x", nil}, {"x", []string{"[bad"}}} {
		if _, err := fhir.New(c.root, c.files); err == nil {
			t.Errorf("New(%q, %q): want error", c.root, c.files)
		}
	}
}

func TestMissingFileIsSystemic(t *testing.T) {
	src, _ := fhir.New(t.TempDir(), []string{"*.ndjson"})
	run, _ := extract.NewRun(t.TempDir(), time.Now(), nil)
	if _, err := run.Land(context.Background(), "mh", "fhir", src); err == nil {
		t.Fatal("want an error when no file matches")
	}
}

// land runs a source over root and returns its manifest and lake.
func land(t testing.TB, root string, patterns []string) (extract.SourceManifest, string) {
	t.Helper()
	src, err := fhir.New(root, patterns)
	if err != nil {
		t.Fatal(err)
	}
	lake := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), mem)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "mh", "fhir", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Commit(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if tb, ok := t.(*testing.T); ok {
		mem.AssertSize(tb, 0)
	}
	return sm, lake
}

type counts struct {
	read, landed, rejected int64
	reasons                map[string]int64
}

// checkCounts asserts the exact per-entity totals, so that a change in what
// the connector lands shows up as a failing test.
func checkCounts(t *testing.T, sm extract.SourceManifest, want map[string]counts) {
	t.Helper()
	if len(sm.Entities) != len(fhir.Schemas) {
		t.Errorf("%d entities, want %d", len(sm.Entities), len(fhir.Schemas))
	}
	for _, e := range sm.Entities {
		if e.Read != e.Landed+e.Rejected {
			t.Errorf("%s does not reconcile: %+v", e.Entity, e)
		}
		w := want[e.Entity]
		if e.Read != w.read || e.Landed != w.landed || e.Rejected != w.rejected {
			t.Errorf("%s: read %d landed %d rejected %d %v; want %d/%d/%d %v", e.Entity, e.Read, e.Landed, e.Rejected, e.RejectsByReason, w.read, w.landed, w.rejected, w.reasons)
			continue
		}
		for k, n := range w.reasons {
			if e.RejectsByReason[k] != n {
				t.Errorf("%s: %s = %d, want %d (%v)", e.Entity, k, e.RejectsByReason[k], n, e.RejectsByReason)
			}
		}
		if len(e.RejectsByReason) != len(w.reasons) {
			t.Errorf("%s: rejects by reason %v, want %v", e.Entity, e.RejectsByReason, w.reasons)
		}
	}
}

func TestTestdataLandsParquet(t *testing.T) {
	sm, lake := land(t, "testdata", testdataFiles)
	checkCounts(t, sm, map[string]counts{
		"patients":      {9, 5, 4, map[string]int64{"missing_field": 1, "bad_value": 3}},
		"encounters":    {4, 3, 1, map[string]int64{"bad_value": 1}},
		"conditions":    {3, 2, 1, map[string]int64{"bad_value": 1}},
		"medications":   {2, 2, 0, nil},
		"allergies":     {1, 1, 0, nil},
		"referrals":     {1, 1, 0, nil},
		"practitioners": {1, 1, 0, nil},
		"organizations": {1, 1, 0, nil},
		"unrouted":      {10, 0, 10, map[string]int64{"parse_error": 3, "missing_field": 2, "blank_line": 1, "unsupported_resource": 2, "operation_outcome": 2}},
	})
	tbl := readEntity(t, lake, sm, "patients")
	defer tbl.Release()
	dob := column(t, tbl, "date_of_birth")
	if got := dob["p1"]; got != "1950-07-14" {
		t.Errorf("p1 date_of_birth = %v", got)
	}
	if got := column(t, tbl, "links")["old-1"]; got != `["replaced-by|Patient/new-1"]` {
		t.Errorf("old-1 links = %v", got)
	}
}

// realdata is the shared directory of public samples, relative to this
// package.
const realdata = "../../../shared/realdata"

func requireDir(t *testing.T, dir string) {
	t.Helper()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("real data directory %s is missing: %v", dir, err)
	}
}

// TestRealBulkNDJSON lands the Synthea Bulk Data export. log.ndjson is left
// out: it is the export client's log, not FHIR resources (its 4 lines would
// be rejected as missing_field under unrouted).
func TestRealBulkNDJSON(t *testing.T) {
	root := filepath.Join(realdata, "fhir-bulk-ndjson")
	requireDir(t, root)
	sm, _ := land(t, root, []string{"[A-Z]*.ndjson"})
	if len(sm.Inputs) != 13 {
		t.Errorf("%d input files, want 13", len(sm.Inputs))
	}
	checkCounts(t, sm, map[string]counts{
		"patients":      {13, 13, 0, nil},
		"encounters":    {1215, 1215, 0, nil},
		"conditions":    {555, 555, 0, nil},
		"medications":   {1745, 1745, 0, nil},
		"allergies":     {11, 11, 0, nil},
		"referrals":     {0, 0, 0, nil},
		"practitioners": {43, 43, 0, nil},
		"organizations": {43, 43, 0, nil},
		"unrouted":      {3535, 0, 3535, map[string]int64{"unsupported_resource": 3535}},
	})
	// Had log.ndjson been configured, its lines would be counted, not lost.
	sm, _ = land(t, root, []string{"log.ndjson"})
	checkCounts(t, sm, map[string]counts{
		"unrouted": {4, 0, 4, map[string]int64{"missing_field": 4}},
	})
}

func TestRealR4Examples(t *testing.T) {
	root := filepath.Join(realdata, "fhir-r4-examples")
	requireDir(t, root)
	sm, lake := land(t, root, []string{"*.json"})
	if len(sm.Inputs) != 302 {
		t.Errorf("%d input files, want 302", len(sm.Inputs))
	}
	// 302 files, 6 of them Bundles (patient-examples-cypress-template.json
	// alone holds 225 Patients). The 210
	// resources of types no entity lands are rejected, as are the 6
	// OperationOutcomes.
	checkCounts(t, sm, map[string]counts{
		"patients":      {257, 257, 0, nil},
		"encounters":    {10, 10, 0, nil},
		"conditions":    {12, 12, 0, nil},
		"medications":   {10, 10, 0, nil},
		"allergies":     {1, 1, 0, nil},
		"referrals":     {19, 19, 0, nil},
		"practitioners": {73, 73, 0, nil},
		"organizations": {13, 13, 0, nil},
		"unrouted":      {216, 0, 216, map[string]int64{"operation_outcome": 6, "unsupported_resource": 210}},
	})
	tbl := readEntity(t, lake, sm, "patients")
	defer tbl.Release()
	links := column(t, tbl, "links")
	for id, want := range map[string]string{
		"pat1": `["seealso|Patient/pat2"]`,
		"pat2": `["seealso|Patient/pat1"]`,
		"mom":  `["seealso|RelatedPerson/newborn-mom"]`,
	} {
		if links[id] != want {
			t.Errorf("%s links = %v, want %s", id, links[id], want)
		}
	}
}

func TestRealPDSMocks(t *testing.T) {
	root := filepath.Join(realdata, "pds-fhir-mocks")
	requireDir(t, root)
	// Every JSON file, recursively.
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sm, lake := land(t, root, files)
	if len(sm.Inputs) != len(files) || len(files) != 89 {
		t.Errorf("%d inputs of %d files, want 89", len(sm.Inputs), len(files))
	}
	// 27 Patient files and 40 Bundles (searchsets, related persons,
	// coverage); 22 error responses are OperationOutcomes; the 8
	// RelatedPerson and Coverage resources are not landed.
	checkCounts(t, sm, map[string]counts{
		"patients":      {112, 112, 0, nil},
		"encounters":    {0, 0, 0, nil},
		"conditions":    {0, 0, 0, nil},
		"medications":   {0, 0, 0, nil},
		"allergies":     {0, 0, 0, nil},
		"referrals":     {0, 0, 0, nil},
		"practitioners": {0, 0, 0, nil},
		"organizations": {0, 0, 0, nil},
		"unrouted":      {30, 0, 30, map[string]int64{"operation_outcome": 22, "unsupported_resource": 8}},
	})
	tbl := readEntity(t, lake, sm, "patients")
	defer tbl.Release()
	nhs := column(t, tbl, "nhs_number")
	keys := column(t, tbl, "record_key")
	if len(keys) == 0 || len(nhs) != len(keys) {
		t.Fatalf("%d of %d patients have an nhs_number", len(nhs), len(keys))
	}
	// The number is landed as written. Upstream's compound-name mock
	// (PatientCompoundName.json, john_paul_smith_searchset.json) carries
	// 9000000015, which fails Modulus 11; every other one is valid.
	var invalid []string
	for key, n := range nhs {
		if !validNHSNumber(n) {
			invalid = append(invalid, key+"="+n)
		}
	}
	if len(invalid) != 1 || invalid[0] != "9000000015=9000000015" {
		t.Errorf("invalid NHS numbers %v, want only 9000000015", invalid)
	}
}

// validNHSNumber applies the Modulus 11 check.
func validNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && s[9] == byte('0'+check)
}

func readEntity(t *testing.T, lake string, sm extract.SourceManifest, entity string) arrow.Table {
	t.Helper()
	for _, e := range sm.Entities {
		if e.Entity != entity {
			continue
		}
		if len(e.Files) != 1 {
			t.Fatalf("%s: %d files", entity, len(e.Files))
		}
		f, err := file.OpenParquetFile(filepath.Join(lake, e.Files[0]), false)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fr, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	t.Fatalf("no entity %s", entity)
	return nil
}

// column maps the first column (the record key) to the named column's
// non-null values, rendered as text.
func column(t *testing.T, tbl arrow.Table, name string) map[string]string {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	keys := tbl.Column(0).Data().Chunks()
	vals := tbl.Column(idx[0]).Data().Chunks()
	out := map[string]string{}
	for c := range keys {
		k := keys[c].(*array.String)
		v := vals[c]
		for i := 0; i < k.Len(); i++ {
			if v.IsNull(i) {
				continue
			}
			out[k.Value(i)] = v.ValueStr(i)
		}
	}
	return out
}

func BenchmarkExtractNDJSON(b *testing.B) {
	root := filepath.Join(realdata, "fhir-bulk-ndjson")
	patterns := []string{"Patient.000.ndjson", "Encounter.000.ndjson", "Condition.000.ndjson", "MedicationRequest.000.ndjson", "AllergyIntolerance.000.ndjson"}
	var size int64
	for _, p := range patterns {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	b.SetBytes(size)
	for b.Loop() {
		land(b, root, patterns)
	}
}
