package csv_test

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
	"github.com/sharedcare/sharedcare/extract/csv"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

func mapping() []csv.Entity {
	return []csv.Entity{{Entity: "patients", Files: []string{"patients.csv"}, Columns: []csv.Column{
		{Name: "practice_code", Type: extract.String, Required: true},
		{Name: "patient_id", Type: extract.String, Required: true},
		{Name: "nhs", From: "nhs_number", Type: extract.String},
		{Name: "date_of_birth", Type: extract.Date, Format: "02/01/2006"},
		{Name: "count", Type: extract.Int64},
	}}}
}

func land(t *testing.T, src extract.Source, mem memory.Allocator) (string, *extract.Manifest) {
	t.Helper()
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Land(context.Background(), "gp", "csv", src); err != nil {
		t.Fatal(err)
	}
	m, err := run.Commit(time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return lake, m
}

func TestExtractRejectsAndReconciles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src, err := csv.New("testdata", mapping(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	lake, m := land(t, src, mem)
	e := m.Entity("gp", "patients")
	if e == nil {
		t.Fatal("no patients entity in manifest")
	}
	// 9 data rows: 1, 2 and 7 land; 3 (31 Feb), 4 (no patient id), 5 (4 fields),
	// 6 (bare quote), 8 (not UTF-8), 9 (count not an integer) are rejected.
	if e.Read != 9 || e.Landed != 3 || e.Rejected != 6 {
		t.Fatalf("read %d landed %d rejected %d, want 9/3/6", e.Read, e.Landed, e.Rejected)
	}
	want := map[string]int64{"bad_value": 2, "missing_field": 1, "field_count": 1, "parse_error": 1, "bad_encoding": 1}
	for k, v := range want {
		if e.RejectsByReason[k] != v {
			t.Errorf("rejects %s = %d, want %d (all: %v)", k, e.RejectsByReason[k], v, e.RejectsByReason)
		}
	}
	if len(m.Sources[0].Inputs) != 1 || m.Sources[0].Inputs[0].SHA256 == "" {
		t.Errorf("inputs not recorded: %+v", m.Sources[0].Inputs)
	}
	if len(e.Files) != 1 {
		t.Fatalf("files %v", e.Files)
	}
	if want := "landing/source=gp/entity=patients/run=" + m.RunID + "/part-00000.parquet"; e.Files[0] != want {
		t.Errorf("file %s, want %s", e.Files[0], want)
	}
	tbl := readTable(t, filepath.Join(lake, e.Files[0]))
	defer tbl.Release()
	if tbl.NumRows() != 3 {
		t.Fatalf("parquet has %d rows", tbl.NumRows())
	}
	s := tbl.Schema()
	for _, c := range []string{"nhs", extract.ColSource, extract.ColRunID, extract.ColSourceFile, extract.ColPosition, extract.ColRecordHash, extract.ColExtractedAt} {
		if len(s.FieldIndices(c)) != 1 {
			t.Errorf("column %s missing", c)
		}
	}
	nhs := tbl.Column(s.FieldIndices("nhs")[0]).Data().Chunk(0).(*array.String)
	if nhs.Value(0) != "943 476 5919" || !nhs.IsNull(1) || nhs.Value(2) != `O'Brien, "Bob"` {
		t.Errorf("nhs values %v", nhs)
	}
	pos := tbl.Column(s.FieldIndices(extract.ColPosition)[0]).Data().Chunk(0).(*array.Int64)
	if pos.Value(0) != 2 || pos.Value(2) != 8 {
		t.Errorf("positions %v, want lines 2 and 8", pos)
	}
	rej := readTable(t, filepath.Join(lake, m.Sources[0].RejectFiles[0]))
	defer rej.Release()
	if rej.NumRows() != 6 {
		t.Errorf("rejects file has %d rows", rej.NumRows())
	}
	// Partial files must not remain.
	filepath.Walk(lake, func(p string, info os.FileInfo, err error) error {
		if filepath.Ext(p) == ".partial" {
			t.Errorf("partial file left: %s", p)
		}
		return nil
	})
}

func TestMissingColumnFailsRun(t *testing.T) {
	m := mapping()
	m[0].Columns = append(m[0].Columns, csv.Column{Name: "postcode", Type: extract.String})
	src, err := csv.New("testdata", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := extract.NewRun(t.TempDir(), time.Now(), nil)
	if _, err := run.Land(context.Background(), "gp", "csv", src); err == nil {
		t.Fatal("want an error for a header without a mapped column")
	}
}

func TestNewValidates(t *testing.T) {
	bad := [][]csv.Entity{
		nil,
		{{Entity: "Bad Name", Files: []string{"x"}, Columns: []csv.Column{{Name: "a"}}}},
		{{Entity: "e", Files: []string{"x"}, Columns: []csv.Column{{Name: "d", Type: extract.Date}}}},
		{{Entity: "e", Columns: []csv.Column{{Name: "a"}}}},
	}
	for i, b := range bad {
		if _, err := csv.New("root", b, nil); err == nil {
			t.Errorf("case %d: want error", i)
		}
	}
}

func readTable(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := file.OpenParquetFile(path, false)
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

func TestConformance(t *testing.T) {
	extracttest.Run(t, func(t *testing.T) extract.Source {
		src, err := csv.New("testdata", mapping(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}

func TestWindows1252(t *testing.T) {
	src, err := csv.New("testdata/cp1252", []csv.Entity{{Entity: "people", Files: []string{"people.csv"}, Encoding: csv.Windows1252,
		Columns: []csv.Column{{Name: "id", Type: extract.Int64}, {Name: "name", Type: extract.String}, {Name: "town", Type: extract.String}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lake, m := land(t, src, memory.DefaultAllocator)
	e := m.Entity("gp", "people")
	if e.Landed != 2 || e.Rejected != 0 {
		t.Fatalf("landed %d rejected %d", e.Landed, e.Rejected)
	}
	tbl := readTable(t, filepath.Join(lake, e.Files[0]))
	defer tbl.Release()
	names := tbl.Column(1).Data().Chunk(0).(*array.String)
	towns := tbl.Column(2).Data().Chunk(0).(*array.String)
	if names.Value(0) != "Renée O’Brien" || towns.Value(0) != "São Paulo" || names.Value(1) != "Zoë" || towns.Value(1) != "€uro" {
		t.Errorf("decoded %q %q %q %q", names.Value(0), towns.Value(0), names.Value(1), towns.Value(1))
	}
}

func TestRejectKeepsExactRawText(t *testing.T) {
	dir := t.TempDir()
	body := "a,b\n1,x\n\"2\",\"multi\nline\",extra\n3,\"y\"\n"
	if err := os.WriteFile(filepath.Join(dir, "f.csv"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	src, _ := csv.New(dir, []csv.Entity{{Entity: "f", Files: []string{"f.csv"}, Columns: []csv.Column{{Name: "a", Type: extract.Int64}, {Name: "b", Type: extract.String}}}}, nil)
	lake, m := land(t, src, memory.DefaultAllocator)
	rej := readTable(t, filepath.Join(lake, m.Sources[0].RejectFiles[0]))
	defer rej.Release()
	raw := rej.Column(rej.Schema().FieldIndices("raw")[0]).Data().Chunk(0).(*array.Binary)
	if got := string(raw.Value(0)); got != "\"2\",\"multi\nline\",extra" {
		t.Errorf("raw %q", got)
	}
	pos := rej.Column(rej.Schema().FieldIndices(extract.ColPosition)[0]).Data().Chunk(0).(*array.Int64)
	if pos.Value(0) != 3 {
		t.Errorf("position %d, want line 3", pos.Value(0))
	}
	if e := m.Entity("gp", "f"); e.Landed != 2 {
		t.Errorf("landed %d", e.Landed)
	}
}

// The NHS ODS extract of GP practices has no header and quotes every field;
// all 14,303 rows must land through a positional mapping.
func TestRealODSPractices(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "realdata", "ods")
	if _, err := os.Stat(filepath.Join(root, "epraccur.csv")); err != nil {
		t.Fatalf("real ODS data missing (../shared must sit beside the checkout): %v", err)
	}
	src, err := csv.New(root, []csv.Entity{{Entity: "practices", Files: []string{"epraccur.csv"}, NoHeader: true, Columns: []csv.Column{
		{Name: "org_code", Position: 1, Type: extract.String, Required: true},
		{Name: "name", Position: 2, Type: extract.String},
		{Name: "postcode", Position: 10, Type: extract.String},
		{Name: "open_date", Position: 11, Type: extract.Date, Format: "20060102"},
		{Name: "close_date", Position: 12, Type: extract.Date, Format: "20060102"},
		{Name: "status", Position: 13, Type: extract.String},
	}}, {Entity: "trusts", Files: []string{"etr.csv"}, NoHeader: true, Columns: []csv.Column{
		{Name: "org_code", Position: 1, Type: extract.String, Required: true},
		{Name: "name", Position: 2, Type: extract.String},
	}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, m := land(t, src, memory.DefaultAllocator)
	p, tr := m.Entity("gp", "practices"), m.Entity("gp", "trusts")
	if p.Read != 14303 || p.Landed != 14303 || tr.Read != 241 || tr.Landed != 241 {
		t.Errorf("practices %d/%d, trusts %d/%d; reasons %v %v", p.Read, p.Landed, tr.Read, tr.Landed, p.RejectsByReason, tr.RejectsByReason)
	}
}

func FuzzCSV(f *testing.F) {
	seed, _ := os.ReadFile("testdata/patients.csv")
	f.Add(seed)
	f.Add([]byte("practice_code,patient_id,nhs_number,date_of_birth,count\n\"a\nb\",1,2,01/01/2000,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "patients.csv"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := csv.New(dir, mapping(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := run.Land(context.Background(), "gp", "csv", src)
		if err != nil {
			return // a feed-level error (no header, missing column) is allowed
		}
		e := sm.Entities[0]
		if e.Read != e.Landed+e.Rejected {
			t.Fatalf("does not reconcile: %+v", e)
		}
	})
}
