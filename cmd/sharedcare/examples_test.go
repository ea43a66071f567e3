package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/load"
	sqlfiles "github.com/sharedcare/sharedcare/sql"
	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// testKey is a pseudonymisation key for tests only.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, load.MinKeyBytes) }

// TestWarehouseAndAnalytics builds a synthetic region's warehouse with the
// pipeline, then its analytics database, and checks the unified record, the
// pseudonymisation, the dictionary, the example queries and the exports.
func TestWarehouseAndAnalytics(t *testing.T) {
	ctx := context.Background()
	r := newRegion(t, 1500, 7, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	sum, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2026, 1, 2, 1, 30, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wh := openDB(t, sum.Warehouse)
	an := filepath.Join(filepath.Dir(sum.Warehouse), "analytics.duckdb")
	if err := load.BuildAnalytics(ctx, sum.Warehouse, an, testKey(1), load.AnalyticsOptions{Logger: r.log}); err != nil {
		t.Fatal(err)
	}

	t.Run("core tables have rows from every source, keyed to persons", func(t *testing.T) {
		landed := func(source, entity string) int64 {
			var n int64
			wh.QueryRow(`SELECT coalesce(sum(records_landed), 0) FROM meta.source_counts WHERE source = ? AND entity = ?`, source, entity).Scan(&n)
			return n
		}
		for _, c := range []struct{ table, source, entity string }{
			{"core.encounter", "acute", "encounters"},
			{"core.encounter", "mentalhealth", "encounters"},
			{"core.medication", "gp", "medications"},
			{"core.medication", "mentalhealth", "medications"},
			{"core.allergy", "gp", "allergies"},
			{"core.allergy", "mentalhealth", "allergies"},
			{"core.condition", "gp", "problems"},
			{"core.condition", "mentalhealth", "conditions"},
			{"core.care_package", "socialcare", "care_packages"},
			{"core.safeguarding_referral", "socialcare", "safeguarding_referrals"},
		} {
			var n, linked int64
			if err := wh.QueryRow(`SELECT count(*), count(person_id) FROM `+c.table+` WHERE source = ?`, c.source).Scan(&n, &linked); err != nil {
				t.Fatal(err)
			}
			switch l := landed(c.source, c.entity); {
			case l == 0:
				// The synthetic region's mental health EPR sends no
				// medications or allergies; the table must then be empty.
				if n != 0 {
					t.Errorf("%s has %d %s rows though none landed", c.table, n, c.source)
				}
				t.Logf("%s: %s lands no %s", c.table, c.source, c.entity)
			case n == 0:
				t.Errorf("%s has no rows from %s (%d %s landed)", c.table, c.source, l, c.entity)
			default:
				var reported int64
				wh.QueryRow(`SELECT linked_records FROM meta.unlinked_records WHERE core_table = ? AND source = ?`, c.table, c.source).Scan(&reported)
				if reported != linked {
					t.Errorf("meta.unlinked_records says %d linked %s rows of %s, table has %d", reported, c.source, c.table, linked)
				}
				if linked == 0 {
					t.Errorf("no %s row of %s is linked to a person", c.source, c.table)
				}
				t.Logf("%s from %s: %d rows, %.1f%% with person_id", c.table, c.source, n, 100*float64(linked)/float64(n))
			}
		}
	})

	t.Run("an HL7 visit is one encounter with admit and discharge", func(t *testing.T) {
		var rows, visits, discharged, badOrder int64
		wh.QueryRow(`SELECT count(*), count(DISTINCT (source, encounter_id)),
			count(*) FILTER (WHERE status = 'finished' AND end_at IS NOT NULL AND start_at IS NOT NULL),
			count(*) FILTER (WHERE end_at < start_at)
			FROM core.encounter WHERE system = 'acute'`).Scan(&rows, &visits, &discharged, &badOrder)
		if rows != visits {
			t.Errorf("%d acute encounter rows for %d visits", rows, visits)
		}
		var a03 int64
		wh.QueryRow(`SELECT count(*) FROM core.encounter WHERE system = 'acute' AND last_event = 'A03' AND messages >= 2`).Scan(&a03)
		if discharged == 0 || a03 == 0 || badOrder != 0 {
			t.Errorf("discharged visits %d, admit+discharge collapsed %d, discharged before admitted %d", discharged, a03, badOrder)
		}
	})

	t.Run("person history ends in the golden record", func(t *testing.T) {
		var persons, current, mismatched, overlapping int64
		wh.QueryRow(`SELECT count(*) FROM core.person`).Scan(&persons)
		wh.QueryRow(`SELECT count(*) FROM core.person_history WHERE is_current`).Scan(&current)
		wh.QueryRow(`SELECT count(*) FROM core.person p JOIN core.person_history h ON h.person_id = p.person_id AND h.is_current
			WHERE row(p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode, p.source_records, p.source_systems)
			IS DISTINCT FROM row(h.nhs_number, h.given_name, h.family_name, h.date_of_birth, h.sex, h.postcode, h.source_records, h.source_systems)`).Scan(&mismatched)
		wh.QueryRow(`SELECT count(*) FROM core.person_history a JOIN core.person_history b
			ON a.person_id = b.person_id AND a.version + 1 = b.version WHERE a.valid_to IS DISTINCT FROM b.valid_from OR a.valid_from >= b.valid_from`).Scan(&overlapping)
		if persons == 0 || current != persons || mismatched != 0 || overlapping != 0 {
			t.Errorf("persons %d, current versions %d, current unlike core.person %d, versions not contiguous %d", persons, current, mismatched, overlapping)
		}
		var multi int64
		wh.QueryRow(`SELECT count(DISTINCT person_id) FROM core.person_history WHERE version > 1`).Scan(&multi)
		if multi == 0 {
			t.Error("no person's golden record has more than one version")
		}
	})

	t.Run("uptake mart agrees with usage_monthly", func(t *testing.T) {
		var diff, rows int64
		wh.QueryRow(`SELECT count(*) FROM marts.uptake_by_organisation`).Scan(&rows)
		wh.QueryRow(`SELECT count(*) FROM marts.uptake_by_organisation u FULL JOIN marts.usage_monthly m USING (month, org_code)
			WHERE row(u.authorised_users, u.active_users, u.records_viewed) IS DISTINCT FROM row(m.authorised_users, m.active_users, m.records_viewed)`).Scan(&diff)
		if rows == 0 || diff != 0 {
			t.Errorf("uptake_by_organisation has %d rows, %d disagree with usage_monthly", rows, diff)
		}
	})

	t.Run("analytics is owner-only, atomic and reproducible", func(t *testing.T) {
		st, err := os.Stat(an)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("analytics mode %v, want owner-only", st.Mode().Perm())
		}
		if _, err := os.Stat(an + ".building"); !os.IsNotExist(err) {
			t.Error("build file left beside the analytics database")
		}
		again := filepath.Join(t.TempDir(), "analytics.duckdb")
		if err := load.BuildAnalytics(ctx, sum.Warehouse, again, testKey(1), load.AnalyticsOptions{}); err != nil {
			t.Fatal(err)
		}
		first, second := checksums(t, an), checksums(t, again)
		if len(first) < 10 {
			t.Fatalf("only %d analytics tables checksummed", len(first))
		}
		for k, v := range first {
			if second[k] != v {
				t.Errorf("%s differs between two builds from the same warehouse and key", k)
			}
		}
		other := filepath.Join(t.TempDir(), "analytics.duckdb")
		if err := load.BuildAnalytics(ctx, sum.Warehouse, other, testKey(2), load.AnalyticsOptions{}); err != nil {
			t.Fatal(err)
		}
		if checksums(t, other)["core.person"] == first["core.person"] {
			t.Error("another key gave the same pseudonyms")
		}
		if err := load.BuildAnalytics(ctx, sum.Warehouse, other, []byte("short"), load.AnalyticsOptions{}); err == nil {
			t.Error("a short key was accepted")
		}
	})

	t.Run("analytics carries no NHS numbers, names or postcodes", func(t *testing.T) {
		truth := filepath.Join(r.dir, "truth", "persons.csv")
		for _, f := range scanIdentifiers(t, openDB(t, an), truth) {
			t.Error(f)
		}
		// The scan itself works: the identifiable warehouse fails it.
		kinds := map[string]bool{}
		for _, f := range scanIdentifiers(t, wh, truth) {
			kinds[f[strings.Index(f, " holds ")+7:]] = true
		}
		for _, k := range []string{"a valid NHS number", "a name", "a full postcode"} {
			if !kinds[k] {
				t.Errorf("the scan finds no %s in the warehouse (found %v)", k, kinds)
			}
		}
	})

	t.Run("a reader keeps working while a new analytics file is published", func(t *testing.T) {
		var persons int64
		db := openDB(t, an)
		db.QueryRow(`SELECT count(*) FROM core.person`).Scan(&persons)
		old := map[string]bool{}
		rows, err := db.Query(`SELECT pseudo_id FROM core.person ORDER BY pseudo_id`)
		if err != nil {
			t.Fatal(err)
		}
		// Another process: the CLI with a query that runs for seconds.
		cmd, out := cli(t, "sql", "--csv", "--db", an,
			`SELECT (SELECT count(*) FROM core.person) AS persons, (SELECT count(*) FROM range(600000000) t(i) WHERE hash(i) % 7 = 0) AS spin`)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		time.Sleep(1500 * time.Millisecond) // let it open the file and start
		rows.Next()
		var id string
		rows.Scan(&id)
		old[id] = true
		// Publish a different analytics database (another key) over it.
		if err := load.BuildAnalytics(ctx, sum.Warehouse, an, testKey(3), load.AnalyticsOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("the reader finished before the new file was published (%v); make its query longer", err)
		default:
		}
		for rows.Next() {
			rows.Scan(&id)
			old[id] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("in-process reader failed after the publish: %v", err)
		}
		rows.Close()
		if int64(len(old)) != persons {
			t.Errorf("in-process reader read %d persons, want %d", len(old), persons)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("reader process failed: %v\n%s", err, out)
			}
		case <-time.After(5 * time.Minute):
			cmd.Process.Kill()
			t.Fatal("reader process did not finish")
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		got := strings.SplitN(lines[len(lines)-1], ",", 2)[0]
		if got != strconv.FormatInt(persons, 10) {
			t.Errorf("reader process saw %s persons, want %d; output:\n%s", got, persons, out)
		}
		// In one process DuckDB shares a database instance between handles
		// on the same path, so the old handle must go before a fresh one.
		db.Close()
		fresh := openDB(t, an)
		var n int64
		fresh.QueryRow(`SELECT count(*) FROM core.person WHERE pseudo_id = ?`, id).Scan(&n)
		if n != 0 {
			t.Error("a new reader still sees the old pseudonyms")
		}
	})

	t.Run("the dictionary lists every table", func(t *testing.T) {
		for _, db := range []string{sum.Warehouse, an} {
			dir := t.TempDir()
			files, err := writeDictionary(ctx, db, dir, "Data dictionary")
			if err != nil {
				t.Fatal(err)
			}
			md, _ := os.ReadFile(files[0])
			html, _ := os.ReadFile(files[1])
			conn := openDB(t, db)
			rows, err := conn.Query(`SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = current_database()
				UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal`)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for rows.Next() {
				var name string
				rows.Scan(&name)
				n++
				if !bytes.Contains(md, []byte("## "+name+"\n")) || !bytes.Contains(html, []byte("<code>"+name+"</code>")) {
					t.Errorf("%s: dictionary lacks %s", filepath.Base(db), name)
				}
			}
			rows.Close()
			if n < 10 {
				t.Errorf("%s has only %d tables", filepath.Base(db), n)
			}
			if bytes.Contains(html, []byte("<script")) || bytes.Contains(html, []byte("http://")) || bytes.Contains(html, []byte("https://")) {
				t.Error("HTML dictionary is not self-contained")
			}
		}
	})

	t.Run("example queries run", func(t *testing.T) {
		names, err := fs.Glob(sqlfiles.FS, "examples/*.sql")
		if err != nil || len(names) < 5 {
			t.Fatalf("%d examples (%v)", len(names), err)
		}
		dbs := map[string]*sql.DB{"warehouse": wh, "analytics": openDB(t, an)}
		for _, name := range names {
			text, _ := fs.ReadFile(sqlfiles.FS, name)
			m := regexp.MustCompile(`(?m)^-- Database: (.*)$`).FindSubmatch(text)
			if m == nil || !bytes.HasPrefix(text, []byte("-- ")) {
				t.Errorf("%s: no header comment with a Database: line", name)
				continue
			}
			ran := 0
			for _, target := range []string{"warehouse", "analytics"} {
				if !bytes.Contains(m[1], []byte(target)) {
					continue
				}
				ran++
				rows, err := dbs[target].Query(string(text))
				if err != nil {
					t.Errorf("%s on %s: %v", name, target, err)
					continue
				}
				for rows.Next() {
				}
				if err := rows.Err(); err != nil {
					t.Errorf("%s on %s: %v", name, target, err)
				}
				rows.Close()
			}
			if ran == 0 {
				t.Errorf("%s names neither warehouse nor analytics", name)
			}
		}
	})

	t.Run("marts export as Parquet", func(t *testing.T) {
		dir := t.TempDir()
		files, err := load.ExportMarts(ctx, wh, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 5 {
			t.Fatalf("exported %d marts", len(files))
		}
		for _, f := range files {
			table := strings.TrimSuffix(filepath.Base(f), ".parquet")
			var want, got int64
			wh.QueryRow(`SELECT count(*) FROM marts.` + table).Scan(&want)
			lit, _ := load.QuoteLiteral(f)
			if err := wh.QueryRow(`SELECT count(*) FROM read_parquet(` + lit + `)`).Scan(&got); err != nil || got != want {
				t.Errorf("%s: %d rows in Parquet, %d in the mart (%v)", f, got, want, err)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*.partial")); len(left) != 0 {
			t.Errorf("partial files left: %v", left)
		}
	})
}

func checksums(t *testing.T, path string) map[string]string {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	cs, err := load.Checksums(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// scanIdentifiers reports where any VARCHAR or VARCHAR[] value of any table
// holds a valid NHS number (a ten-digit token passing Modulus 11, spaces or
// dashes allowed), the name of a true person of the region (their given and
// family names both in the value as whole words, any case, or a value that
// is exactly one of their names) or one of their full postcodes. A single
// name word inside a longer value is not a hit: names such as Ward, Foster
// or Vale are also ordinary words ("WARD 12", "Foster placement").
func scanIdentifiers(t *testing.T, db *sql.DB, personsCSV string) (found []string) {
	t.Helper()
	names := map[string]bool{}         // every given or family name
	fullNames := map[string][]string{} // family name → given names
	postcodes := map[string]bool{}
	for _, p := range readCSV(t, personsCSV) {
		g, f := strings.ToLower(strings.TrimSpace(p["given_name"])), strings.ToLower(strings.TrimSpace(p["family_name"]))
		for _, n := range []string{g, f} {
			if n != "" {
				names[n] = true
			}
		}
		if g != "" && f != "" {
			fullNames[f] = append(fullNames[f], g)
		}
		if pc := strings.ToUpper(strings.TrimSpace(p["postcode"])); pc != "" {
			postcodes[pc] = true
		}
	}
	if len(names) == 0 || len(postcodes) == 0 {
		t.Fatal("truth has no names or postcodes")
	}
	rows, err := db.Query(`SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() AND (data_type = 'VARCHAR' OR data_type = 'VARCHAR[]') ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ s, t, c, typ string }
	var cols []col
	for rows.Next() {
		var c col
		rows.Scan(&c.s, &c.t, &c.c, &c.typ)
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) < 20 {
		t.Fatalf("only %d text columns to scan", len(cols))
	}
	nhsRE := regexp.MustCompile(`\d[\d -]{8,14}\d`)
	var scanned int
	for _, c := range cols {
		q := `SELECT DISTINCT "` + c.c + `" FROM "` + c.s + `"."` + c.t + `" WHERE "` + c.c + `" IS NOT NULL`
		if c.typ == "VARCHAR[]" {
			q = `SELECT DISTINCT v FROM "` + c.s + `"."` + c.t + `", unnest("` + c.c + `") AS u(v) WHERE v IS NOT NULL`
		}
		vals, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		for vals.Next() {
			var v string
			vals.Scan(&v)
			scanned++
			why := ""
			for _, cand := range nhsRE.FindAllString(v, -1) {
				if d := strings.NewReplacer(" ", "", "-", "").Replace(cand); len(d) == 10 && nhsnumber.Valid(d) && !hexAround(v, cand) {
					why = "a valid NHS number"
				}
			}
			lower := strings.ToLower(strings.TrimSpace(v))
			if names[lower] {
				why = "a name"
			}
			words := map[string]bool{}
			for _, w := range wordRE.FindAllString(lower, -1) {
				words[w] = true
			}
			for w := range words {
				for _, g := range fullNames[w] {
					if words[g] && g != w {
						why = "a full name"
					}
				}
			}
			up := strings.ToUpper(v)
			for pc := range postcodes {
				if strings.Contains(up, pc) {
					why = "a full postcode"
					break
				}
			}
			if why != "" {
				hits++
				if hits <= 3 { // never print the value itself
					found = append(found, fmt.Sprintf("%s.%s.%s holds %s", c.s, c.t, c.c, why))
				}
			}
		}
		vals.Close()
	}
	t.Logf("scanned %d distinct values in %d text columns", scanned, len(cols))
	return found
}

var wordRE = regexp.MustCompile(`[a-z][a-z']*[a-z]|[a-z]`)

// hexAround reports whether cand sits inside a longer run of hex digits (a
// pseudonym), where ten decimal digits are chance, not an NHS number.
func hexAround(v, cand string) bool {
	i := strings.Index(v, cand)
	isHex := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' }
	return (i > 0 && isHex(v[i-1])) || (i+len(cand) < len(v) && isHex(v[i+len(cand)]))
}
