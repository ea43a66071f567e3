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
