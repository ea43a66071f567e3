package personindex

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
)

// landedRow is one row of a person entity's landing.
type landedRow struct {
	key, given, run, file string
	links                 []string // FHIR-style references, in the column "links"
}

// writePersonLanding writes rows as a person entity's landing file, with row groups of three rows.
func writePersonLanding(t *testing.T, lake, rel string, rows []landedRow) {
	t.Helper()
	names := append(append([]string{"record_key"}, PersonColumns...), extract.ColRunID, extract.ColSourceFile, "links")
	fs := make([]arrow.Field, len(names))
	for i, n := range names {
		fs[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
		switch n {
		case "date_of_birth":
			fs[i].Type = arrow.FixedWidthTypes.Date32
		case "links":
			fs[i].Type = arrow.ListOf(arrow.BinaryTypes.String)
		}
	}
	schema := arrow.NewSchema(fs, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		for i, n := range names {
			switch n {
			case "date_of_birth":
				b.Field(i).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)))
			case "links":
				lb := b.Field(i).(*array.ListBuilder)
				lb.Append(true)
				for _, l := range r.links {
					lb.ValueBuilder().(*array.StringBuilder).Append(l)
				}
			default:
				v := map[string]string{"record_key": r.key, "given_name": r.given, extract.ColRunID: r.run, extract.ColSourceFile: r.file}[n]
				b.Field(i).(*array.StringBuilder).Append(v)
			}
		}
	}
	writeBatch(t, filepath.Join(lake, filepath.FromSlash(rel)), b, parquet.WithMaxRowGroupLength(3))
}

// writeBatch writes what b holds as a Parquet file at path.
func writeBatch(t *testing.T, path string, b *array.RecordBuilder, props ...parquet.WriterProperty) {
	t.Helper()
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeMerges writes rows of record_key and prior_record_key (HL7 A40
// merges) as a Parquet file.
func writeMerges(t *testing.T, lake, rel string, rows [][2]string) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "record_key", Type: arrow.BinaryTypes.String}, {Name: "prior_record_key", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r[0])
		b.Field(1).(*array.StringBuilder).Append(r[1])
	}
	writeBatch(t, filepath.Join(lake, rel), b)
}

// TestReadPersons reads a landing of row groups of three rows into a slice
// that already holds another source's record, and holds it to the rules:
// a repeated key keeps its first place and its last values, rows without
// a key are dropped, a superseded landing of a file is not read (file
// feeds), every landing counts (database feeds).
func TestReadPersons(t *testing.T) {
	lake := t.TempDir()
	writePersonLanding(t, lake, "a.parquet", []landedRow{
		{"k1", "A1", "r1", "f1", nil}, {"k2", "A2", "r1", "f1", nil}, {"k3", "A3", "r1", "f1", nil},
		{"k2", "A2b", "r1", "f1", nil}, {"", "none", "r1", "f1", nil}, {"k4", "A4", "r1", "f1", nil},
		{"k5", "A5", "r1", "f1", nil},
	})
	writePersonLanding(t, lake, "b.parquet", []landedRow{
		{"k6", "B6", "r2", "f2", nil}, {"k1", "B1", "r2", "f2", nil}, {"k7", "B7", "r2", "f2", nil},
		{"k8", "B8", "r2", "f2", nil},
	})
	// f1 landed again in run r3: under a file feed its r1 rows are old.
	writePersonLanding(t, lake, "c.parquet", []landedRow{{"k3", "C3", "r3", "f1", nil}, {"k9", "C9", "r3", "f1", nil}})
	landing := extract.Landing{Files: []string{"a.parquet", "b.parquet", "c.parquet"}, LatestRun: map[string]string{"f1": "r3", "f2": "r2"}}
	// Merges into a key read twice, into one read once, twice into one
	// record, and into a key never landed (ignored).
	writeMerges(t, lake, "m.parquet", [][2]string{{"k1", "old1"}, {"k8", "old8"}, {"k1", "older1"}, {"zz", "old"}, {"k6", ""}})
	merges := &extract.Landing{Files: []string{"m.parquet"}}

	for _, tc := range []struct {
		byFile bool
		want   string
	}{
		{false, "k1=B1<gp/patients/old1<gp/patients/older1 k2=A2b k3=C3 k4=A4 k5=A5 k6=B6 k7=B7 k8=B8<gp/patients/old8 k9=C9"},
		{true, "k6=B6 k1=B1<gp/patients/old1<gp/patients/older1 k7=B7 k8=B8<gp/patients/old8 k3=C3 k9=C9"},
	} {
		ps := PersonSource{Source: "gp", System: "gp", Entity: "patients", Landing: landing, ByFile: tc.byFile, Merges: merges}
		max, _, err := PersonRows(lake, ps)
		if err != nil {
			t.Fatal(err)
		}
		dst := PersonsOf([]Record{{Source: "acute", RecordKey: "x"}})
		dst.recs = slices.Grow(dst.recs, max)
		before := &dst.recs[0]
		if _, err := ReadPersons(context.Background(), lake, ps, nil, dst); err != nil {
			t.Fatal(err)
		}
		got := dst.Records()
		if &dst.recs[0] != before {
			t.Errorf("byFile=%v: the records went to a new slice although dst had room for %d", tc.byFile, max)
		}
		if got[0].Source != "acute" || got[0].RecordKey != "x" {
			t.Fatalf("byFile=%v: the record already in dst was changed: %+v", tc.byFile, got[0])
		}
		s := ""
		for i, r := range got[1:] {
			if r.Source != "gp" || r.Entity != "patients" || r.BirthDate.IsZero() {
				t.Fatalf("record %d: %+v", i, r)
			}
			if i > 0 {
				s += " "
			}
			s += fmt.Sprintf("%s=%s", r.RecordKey, r.GivenName)
			for _, l := range r.Links {
				s += "<" + l
			}
		}
		if s != tc.want {
			t.Errorf("byFile=%v:\n got %s\nwant %s", tc.byFile, s, tc.want)
		}
		// The tail past the records holds no stale copies.
		for i, r := range dst.recs[len(dst.recs):cap(dst.recs)] {
			if r != (personRec{}) {
				t.Errorf("byFile=%v: slot %d past the end still holds %s", tc.byFile, len(dst.recs)+i, dst.key(&r))
			}
		}
	}
}

// TestForEachKey groups positions by key when hashes collide: keys sharing
// a hash are told apart, each key's positions come ascending, and every
// position comes once.
func TestForEachKey(t *testing.T) {
	keys := []string{"a", "b", "a", "c", "b", "a", "d", "c"}
	hash := map[string]uint64{"a": 7, "b": 7, "c": 1 << 63, "d": 3} // a and b collide
	var s []hashPos
	for p, k := range keys {
		s = append(s, hashPos{hash[k], int32(p)})
	}
	sortOnTwoCores(s, byHashPos)
	var got []string
	forEachKey(s, func(p int32) string { return keys[p] }, func(ps []hashPos) {
		g := keys[ps[0].p] + ":"
		for _, x := range ps {
			g += fmt.Sprint(x.p)
		}
		got = append(got, g)
	})
	slices.Sort(got)
	if want := []string{"a:025", "b:14", "c:37", "d:6"}; !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
}
