package load

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
