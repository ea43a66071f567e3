package load

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZZCompare(t *testing.T) {
	a, b := os.Getenv("ZZ_A"), os.Getenv("ZZ_B")
	db, _ := sql.Open("duckdb", "")
	for _, f := range []string{"person_link.parquet", "person_match.parquet", "person_change.parquet"} {
		pa, pb := filepath.Join(a, f), filepath.Join(b, f)
		var cols string
		rows, err := db.Query("SELECT name FROM parquet_schema('" + pa + "') WHERE name <> 'schema' AND name <> 'run' AND num_children IS NULL")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, `"`+n+`"`)
		}
		rows.Close()
		cols = strings.Join(names, ", ")
		var na, nb, d1, d2 int64
		q := func(x string, out *int64) {
			if err := db.QueryRow(x).Scan(out); err != nil {
				t.Fatal(x, err)
			}
		}
		q("SELECT count(*) FROM '"+pa+"'", &na)
		q("SELECT count(*) FROM '"+pb+"'", &nb)
		q("SELECT count(*) FROM (SELECT "+cols+" FROM '"+pa+"' EXCEPT ALL SELECT "+cols+" FROM '"+pb+"')", &d1)
		q("SELECT count(*) FROM (SELECT "+cols+" FROM '"+pb+"' EXCEPT ALL SELECT "+cols+" FROM '"+pa+"')", &d2)
		t.Logf("%s: %d and %d rows, %d and %d differ (%d columns)", f, na, nb, d1, d2, len(names))
		if d1 != 0 || d2 != 0 || na != nb {
			t.Errorf("%s differs", f)
		}
	}
}
