package load

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
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
