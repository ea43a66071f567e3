package load

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	sqlfiles "github.com/sharedcare/sharedcare/sql"
)

func TestQuoteLiteralRoundTrips(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"plain", "O'Brien", "''", `a\b`, "x'); DROP TABLE person; --", "emoji 🙂 and ‏RTL‏", "line\nbreak"} {
		q, err := QuoteLiteral(s)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.QueryRow("SELECT " + q).Scan(&got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got != s {
			t.Errorf("round trip %q → %q", s, got)
		}
		id, err := QuoteIdent(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT 1 AS " + id).Scan(new(int)); err != nil {
			t.Errorf("identifier %q: %v", s, err)
		}
	}
	if _, err := QuoteLiteral("a\x00b"); err == nil {
		t.Error("NUL accepted")
	}
}

func TestBuildNeedsEveryRequiredEntity(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse.duckdb")
	if err := os.WriteFile(wh, []byte("published"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &extract.Manifest{RunID: "r1", Sources: []extract.SourceManifest{{Name: "gp", Entities: []extract.EntityManifest{{Entity: "patients", Files: []string{"x.parquet"}}}}}}
	err := Build(context.Background(), Options{Lake: dir, Manifest: m, IndexRun: "r1", Systems: map[string]string{"gp": "gp"}, Warehouse: wh, TimeZone: "Europe/London"})
	if err == nil || !strings.Contains(err.Error(), "access_events") {
		t.Fatalf("want an error naming the missing entity, got %v", err)
	}
	if b, _ := os.ReadFile(wh); string(b) != "published" {
		t.Error("failed build touched the published warehouse")
	}
	if _, err := os.Stat(wh + ".building"); !os.IsNotExist(err) {
		t.Error("failed build left its file")
	}
}

// Build and BuildAnalytics turn preserve_insertion_order off: a table made
// without an ORDER BY would then come out in whatever order the threads
// finish, so every table the SQL makes must be ordered.
func TestEveryPublishedTableIsOrdered(t *testing.T) {
	n := 0
	for _, dir := range []string{"core", "marts", "analytics"} {
		names, err := fs.Glob(sqlfiles.FS, dir+"/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			text, err := fs.ReadFile(sqlfiles.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			stmt, _, _ := strings.Cut(string(text), "\nCOMMENT ON")
			if !strings.Contains(stmt, "CREATE TABLE") || strings.Contains(stmt, "CREATE TEMP TABLE") {
				continue
			}
			n++
			// The statement's own ORDER BY is its last and is not closed
			// by a parenthesis, as one in a window or aggregate is.
			i := strings.LastIndex(stmt, "ORDER BY")
			depth := 0
			for _, r := range stmt[max(i, 0):] {
				switch r {
				case '(':
					depth++
				case ')':
					depth--
				}
				if depth < 0 {
					break
				}
			}
			if i < 0 || depth < 0 {
				t.Errorf("sql/%s makes a table without a final ORDER BY", name)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d tables checked", n)
	}
}

// writeLandingFile writes a landing file whose rows come from the given
// (source file, run) pairs, one row group per pair.
func writeLandingFile(t *testing.T, lake, rel string, rows ...[2]string) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "v", Type: arrow.BinaryTypes.String},
		{Name: extract.ColSourceFile, Type: arrow.BinaryTypes.String},
		{Name: extract.ColRunID, Type: arrow.BinaryTypes.String},
	}, nil)
	pf, err := extract.CreateParquet(lake, rel, schema, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append("x")
		b.Field(1).(*array.StringBuilder).Append(r[0])
		b.Field(2).(*array.StringBuilder).Append(r[1])
		rec := b.NewRecordBatch()
		if err := pf.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if _, err := pf.Close(); err != nil {
		t.Fatal(err)
	}
}

// A file feed landed every night leaves one file per night; the views read
// only files that may hold current rows.
func TestCurrentFilesLeaveOutSupersededLandings(t *testing.T) {
	lake := t.TempDir()
	writeLandingFile(t, lake, "r1.parquet", [2]string{"patients.csv", "R1"})                                // superseded by R2
	writeLandingFile(t, lake, "r1b.parquet", [2]string{"patients.csv", "R1"}, [2]string{"other.csv", "R1"}) // other.csv still current
	writeLandingFile(t, lake, "r2.parquet", [2]string{"patients.csv", "R2"})
	l := extract.Landing{Files: []string{"r1.parquet", "r1b.parquet", "r2.parquet"}, LatestRun: map[string]string{"patients.csv": "R2", "other.csv": "R1"}}
	l.Whole = []bool{false, false, true}
	got, whole, err := currentFiles(lake, l)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"r1b.parquet", "r2.parquet"}; !slices.Equal(got, want) || whole {
		t.Errorf("current files %v (whole: %v), want %v, not whole: r1b holds superseded rows", got, whole, want)
	}
	// Without r1b, the one file left is whole: its view needs no filter.
	noB := extract.Landing{Files: []string{"r1.parquet", "r2.parquet"}, Whole: []bool{false, true}, LatestRun: map[string]string{"patients.csv": "R2"}}
	if got, whole, _ := currentFiles(lake, noB); !slices.Equal(got, []string{"r2.parquet"}) || !whole {
		t.Errorf("current files %v (whole: %v), want r2.parquet, whole", got, whole)
	}
	// When nothing would be left, every file is kept for the view's filter.
	l.LatestRun = map[string]string{"patients.csv": "R3", "other.csv": "R3"}
	if got, whole, _ := currentFiles(lake, l); len(got) != 3 || whole {
		t.Errorf("with every landing superseded, kept %v", got)
	}
	if _, _, err := currentFiles(lake, extract.Landing{Files: []string{"missing.parquet"}}); err == nil {
		t.Error("a missing landing file was not an error")
	}
}
