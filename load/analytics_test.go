package load

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// smallWarehouse writes a warehouse with the few tables the analytics
// person and allergy files read, each commented, and returns its path.
func smallWarehouse(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := append([]string{
		`CREATE SCHEMA core`,
		`CREATE SCHEMA meta`,
		`CREATE TABLE meta.runs (extract_finished_at TIMESTAMPTZ)`,
		`INSERT INTO meta.runs VALUES ('2026-01-02 01:30:00+00')`,
		`COMMENT ON TABLE meta.runs IS 'Runs.'`,
		`COMMENT ON COLUMN meta.runs.extract_finished_at IS 'End of the extract.'`,
		`CREATE TABLE core.person AS
			SELECT i AS person_id, DATE '1950-03-01' + CAST(i * 1000 AS INTEGER) AS date_of_birth, 'F' AS sex, 'BS1' AS postcode_district,
			       1::BIGINT AS source_records, 1::BIGINT AS source_systems
			FROM range(1, 9) t(i)`,
		// Two GP allergies for persons 1 to 8, one without a person, one
		// from mental health for person 2.
		`CREATE TABLE core.allergy AS
			SELECT i AS person_id, 'gp' AS source, 'gp' AS system, '91936005' AS snomed_code, 'Penicillin' AS description,
			       DATE '2020-01-01' - CAST(i AS INTEGER) + CAST(j * 400 AS INTEGER) AS recorded_date,
			       'active' AS status, 'confirmed' AS verification_status, 'high' AS criticality
			FROM range(8, 0, -1) t(i), range(2) u(j)
			UNION ALL SELECT NULL, 'gp', 'gp', '300913006', 'Shellfish', DATE '2022-01-01', 'active', 'confirmed', 'low'
			UNION ALL SELECT 2, 'mh', 'mentalhealth', '300913006', 'Shellfish', DATE '2019-01-01', 'active', NULL, NULL`,
	}, extra...)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Analytics inherits the warehouse's comments and fails without them.
	rows, err := db.Query(`SELECT 'TABLE core.' || table_name FROM duckdb_tables() WHERE schema_name = 'core'
		UNION ALL SELECT 'COLUMN core.' || table_name || '.' || column_name FROM duckdb_columns() WHERE schema_name = 'core'`)
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		targets = append(targets, s)
	}
	rows.Close()
	for _, target := range targets {
		if _, err := db.Exec("COMMENT ON " + target + " IS 'Test.'"); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// The analytics tables take each person's pseudonym from a table computed
// once and sort on its rank: the pseudonyms must still be
// Pseudonym(key, "person:<id>"), and the rows in the files' order.
func TestAnalyticsPseudonymsAndOrder(t *testing.T) {
	ctx := context.Background()
	key := []byte(strings.Repeat("k", MinKeyBytes))
	an := filepath.Join(t.TempDir(), "analytics.duckdb")
	if err := BuildAnalytics(ctx, smallWarehouse(t), an, key, AnalyticsOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", an)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	column := func(q string) []string {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s.String)
		}
		return out
	}
	p := func(id int) string { return Pseudonym(key, fmt.Sprint("person:", id)) }
	var persons []string
	for id := 1; id <= 8; id++ {
		persons = append(persons, p(id))
	}
	slices.Sort(persons)
	if got := column(`SELECT pseudo_id FROM core.person ORDER BY rowid`); !slices.Equal(got, persons) {
		t.Errorf("core.person pseudonyms in stored order:\n%q\nwant\n%q", got, persons)
	}
	// ORDER BY source, pseudo_id, recorded_date, …: the GP rows by
	// pseudonym (NULL last), then the mental health row.
	var want []string
	for _, ps := range persons {
		for id := 1; id <= 8; id++ {
			if p(id) == ps {
				d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -id)
				want = append(want, ps+" "+d.Format(time.DateOnly), ps+" "+d.AddDate(0, 0, 400).Format(time.DateOnly))
			}
		}
	}
	want = append(want, " 2022-01-01", p(2)+" 2019-01-01")
	got := column(`SELECT coalesce(pseudo_id, '') || ' ' || recorded_date FROM core.allergy ORDER BY rowid`)
	if !slices.Equal(got, want) {
		t.Errorf("core.allergy in stored order:\n%q\nwant\n%q", got, want)
	}
}

func TestAnalyticsFailsOnAPersonOutsideTheIndex(t *testing.T) {
	wh := smallWarehouse(t, `INSERT INTO core.allergy VALUES (99, 'gp', 'gp', NULL, 'Latex', NULL, 'active', NULL, NULL)`)
	an := filepath.Join(t.TempDir(), "analytics.duckdb")
	err := BuildAnalytics(context.Background(), wh, an, []byte(strings.Repeat("k", MinKeyBytes)), AnalyticsOptions{})
	if err == nil || !strings.Contains(err.Error(), "not in core.person") {
		t.Fatalf("want an error about a person_id not in core.person, got %v", err)
	}
}
