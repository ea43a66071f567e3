package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// TestIncrementalWarehouse runs a region's first night, then a night with
// new hospital messages (the bench's night: GP moves, portal views, a day
// of ADT messages), and checks that the second warehouse was updated in
// place and is row for row, in every core and marts table, the warehouse
// a full build makes from the same lake.
func TestIncrementalWarehouse(t *testing.T) {
	r := newRegion(t, 400, 51, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	build := func(wh string) (bool, string) {
		t.Helper()
		db, err := openWarehouse(wh)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close() // closed at once: the next night publishes over it
		var inPlace bool
		var reason string
		if err := db.QueryRowContext(ctx, "SELECT updated_in_place, reason FROM meta.build").Scan(&inPlace, &reason); err != nil {
			t.Fatal(err)
		}
		return inPlace, reason
	}
	sum, err := runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if inPlace, reason := build(sum.Warehouse); inPlace {
		t.Fatalf("the first night updated a warehouse in place (%s)", reason)
	}
	first := tableDigests(t, sum.Warehouse)
	// Before the second night a reviewer joins a hospital record with
	// encounters to another person, so that the night moves encounters it
	// may bring no message about.
	recA, recB, source, key, person, nhs := mergePair(t, sum.Warehouse)
	viewedAs := func(wh string) string {
		t.Helper()
		db, err := openWarehouse(wh)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var ids string
		if err := db.QueryRow("SELECT string_agg(DISTINCT coalesce(CAST(person_id AS VARCHAR), 'none'), ',') FROM core.record_access WHERE nhs_number = ?", nhs).Scan(&ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	viewedBefore := viewedAs(sum.Warehouse)
	var changedEncounter string
	for night := 1; night <= 2; night++ {
		if night == 2 {
			if err := personindex.AppendDecision(r.cfg.Path(r.cfg.Lake), personindex.Decision{A: recA, B: recB, Accept: true, At: time.Now(), By: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := applyNight(ctx, r.cfg, r.dir, 51, night); err != nil {
			t.Fatal(err)
		}
		if night == 1 {
			// The reference feed gives the acute trust another type:
			// every month of the usage marts by organisation type moves,
			// and night 1 makes them in full; night 2 makes only the
			// months it brought views for.
			ref := filepath.Join(r.dir, "sources", "reference", "organisations.csv")
			b, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			retyped := strings.Replace(string(b), ",Acute trust,", ",Community trust,", 1)
			if retyped == string(b) {
				t.Fatal("no acute trust in the reference feed")
			}
			if err := os.WriteFile(ref, []byte(retyped), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if night == 2 {
			newVisits(t, filepath.Join(r.dir, "sources", "acute", "adt", "adt-night-2.hl7"))
			changedEncounter = mentalHealthNight(t, filepath.Join(r.dir, "sources", "mentalhealth"))
		}
		if sum, err = runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{}); err != nil {
			t.Fatal(err)
		}
		if inPlace, reason := build(sum.Warehouse); !inPlace {
			t.Fatalf("night %d was built in full: %s", night, reason)
		}
		if retyped := countRows(t, sum.Warehouse, "meta.organisation_types_changed WHERE changed") > 0; retyped != (night == 1) {
			t.Fatalf("night %d: organisation types changed %v, want %v", night, retyped, night == 1)
		}
	}
	// The nights read the hospital's patients from the last index's
	// snapshot and the files landed since (transform/personindex tests that
	// this reads the same records as every file).
	snapshotReads := 0
	for _, line := range strings.Split(r.logs.String(), "\n") {
		if strings.Contains(line, `msg="person records read" source=acute `) && !strings.Contains(line, "from_snapshot_of=\"\"") && strings.Contains(line, "from_snapshot_of=") {
			snapshotReads++
		}
	}
	if snapshotReads != 2 {
		t.Errorf("%d nights read the hospital's patients from a snapshot, want 2; the log:\n%s", snapshotReads, r.logs)
	}
	if n := countRows(t, sum.Warehouse, "core.encounter WHERE encounter_id LIKE '%N2'"); n == 0 {
		t.Fatal("the second night brought no new visit: the test shows nothing")
	}
	got := tableDigests(t, sum.Warehouse)
	if got["core.encounter"] == first["core.encounter"] {
		t.Fatal("the nights changed no encounter: the test shows nothing")
	}
	if n := countRows(t, sum.Warehouse, fmt.Sprintf("core.encounter WHERE source = '%s' AND record_key = '%s' AND person_id IS DISTINCT FROM %d", source, key, person)); n == 0 {
		t.Fatal("no encounter of the merged record moved to another person: the test shows nothing")
	}
	if n := countRows(t, sum.Warehouse, "core.encounter WHERE source = 'mentalhealth' AND encounter_id = 'night-2-"+changedEncounter+"'"); n != 1 {
		t.Fatalf("%d copies of the mental health encounter the second night added, want 1", n)
	}
	if n := countRows(t, sum.Warehouse, "core.encounter WHERE source = 'mentalhealth' AND encounter_id = '"+changedEncounter+"' AND status = 'entered-in-error'"); n != 1 {
		t.Fatal("the mental health encounter the second night changed is not entered in error")
	}
	if got["core.record_access"] == first["core.record_access"] {
		t.Fatal("the nights changed no record view: the test shows nothing")
	}
	if after := viewedAs(sum.Warehouse); after == viewedBefore {
		t.Fatalf("the views of the merged record's NHS number stayed with person %s: the test shows nothing", after)
	}

	// Each in-place night's warehouse is row for row the one a full build
	// makes from the same lake, and its analytics database, updated in
	// place too, the one a full build makes from that warehouse.
	sameAsFull := func(night int) {
		t.Helper()
		got := tableDigests(t, sum.Warehouse)
		lake := r.cfg.Path(r.cfg.Lake)
		all, err := extract.CompleteRuns(lake)
		if err != nil {
			t.Fatal(err)
		}
		runs := extract.SinceLastFull(all)
		opt := loadOptions(r.cfg, runs[len(runs)-1], runs, r.log)
		opt.Warehouse, opt.Full, opt.Checkpoint = filepath.Join(t.TempDir(), "full.duckdb"), true, nil
		if err := load.Build(ctx, opt); err != nil {
			t.Fatal(err)
		}
		if inPlace, _ := build(opt.Warehouse); inPlace {
			t.Fatal("the full build was made in place")
		}
		want := tableDigests(t, opt.Warehouse)
		if len(want) < 20 {
			t.Fatalf("only %d tables", len(want))
		}
		for name, d := range want {
			if got[name] != d {
				t.Errorf("night %d: %s differs from the full build's:\n in place %s\n full     %s", night, name, got[name], d)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s is not in the full build", name)
			}
		}

		// The analytics database was updated in place too, and is row for row
		// the one a full build makes from the same warehouse.
		an := r.cfg.Path(r.cfg.Analytics)
		adb, err := openWarehouse(an)
		if err != nil {
			t.Fatal(err)
		}
		var anInPlace bool
		var anReason string
		err = adb.QueryRow("SELECT updated_in_place, reason FROM meta.analytics_build").Scan(&anInPlace, &anReason)
		adb.Close()
		if err != nil || !anInPlace {
			t.Fatalf("the analytics database was not updated in place: %v %q", err, anReason)
		}
		pk, err := load.LoadKey(r.cfg.Path(r.cfg.PseudonymKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		fullAn := filepath.Join(t.TempDir(), "analytics.duckdb")
		if err := load.BuildAnalytics(ctx, sum.Warehouse, fullAn, pk, load.AnalyticsOptions{}); err != nil {
			t.Fatal(err)
		}
		gotAn, wantAn := tableDigests(t, an), tableDigests(t, fullAn)
		if gotAn["core.encounter"] == "" || len(wantAn) < 10 {
			t.Fatalf("analytics tables: %v", wantAn)
		}
		for name, d := range wantAn {
			if gotAn[name] != d {
				t.Errorf("night %d: analytics %s differs from the full build's:\n in place %s\n full     %s", night, name, gotAn[name], d)
			}
		}
	}

	sameAsFull(2)

	// Night 3: the portal sends an audit file of night 1 again, with a
	// line changed. The night is still made in place, but core.record_access
	// is built in full (the new landing supersedes events it held), and
	// with it every month of the marts and of the analytics copy.
	audit := filepath.Join(r.dir, "sources", "portal", "audit", "audit-night-1.jsonl")
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) < 2 {
		t.Fatalf("night 1 sent %d record views", len(lines))
	}
	lines = lines[1:] // its first view is taken back
	if err := os.WriteFile(audit, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := applyNight(ctx, r.cfg, r.dir, 51, 3); err != nil {
		t.Fatal(err)
	}
	if sum, err = runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{}); err != nil {
		t.Fatal(err)
	}
	if inPlace, reason := build(sum.Warehouse); !inPlace || !strings.Contains(reason, "core.record_access built in full: source portal_audit landed a file again (audit/audit-night-1.jsonl)") {
		t.Fatalf("night 3: in place %v, %q", inPlace, reason)
	}
	sameAsFull(3)
}

// mergePair finds a hospital record with encounters whose person has one
// or two records (one if it can), and whose person was viewed in the portal, and
// a record of a person with four or more: it returns their record ids, and
// the hospital record's source, key and person id, and an NHS number its
// person was viewed under. An accepted
// decision on the pair moves the hospital record, and so its encounters,
// to the bigger person.
func mergePair(t *testing.T, wh string) (a, b, source, key string, person int64, nhs string) {
	t.Helper()
	db, err := openWarehouse(wh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.QueryRow(`
		WITH sizes AS (SELECT person_id, count(*) AS n FROM core.person_link GROUP BY person_id),
		alone AS (
			SELECT l.* FROM core.person_link l JOIN sizes USING (person_id)
			WHERE n <= 2 AND l.system = 'acute'
			  AND EXISTS (SELECT 1 FROM core.encounter e WHERE e.source = l.source AND e.record_key = l.record_key)
			  AND EXISTS (SELECT 1 FROM core.record_access r WHERE r.person_id = l.person_id)
			ORDER BY n, l.record_key LIMIT 1
		),
		other AS (
			SELECT l.* FROM core.person_link l JOIN sizes USING (person_id)
			WHERE n >= 4 ORDER BY l.person_id, l.source, l.record_key LIMIT 1
		)
		SELECT a.source || '/' || a.entity || '/' || a.record_key, o.source || '/' || o.entity || '/' || o.record_key,
		       a.source, a.record_key, a.person_id,
		       (SELECT min(r.nhs_number) FROM core.record_access r WHERE r.person_id = a.person_id)
		FROM alone a, other o`).Scan(&a, &b, &source, &key, &person, &nhs)
	if err != nil {
		t.Fatalf("no hospital record to merge: %v", err)
	}
	return a, b, source, key, person, nhs
}

// countRows counts the rows of a query's FROM clause in the warehouse.
func countRows(t *testing.T, wh, from string) int {
	t.Helper()
	db, err := openWarehouse(wh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + from).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newVisits adds to the ADT file at path, for each of its messages about
// a visit, a copy with a visit number (PV1-19) no earlier message has, so
// that the night brings new visits as well as messages about known ones.
func newVisits(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames := bytes.SplitAfter(b, []byte{0x1c, 0x0d})
	out := append([][]byte{}, frames...)
	for _, fr := range frames {
		segs := bytes.Split(fr, []byte{'\r'})
		visit := false
		for j, seg := range segs {
			f := bytes.Split(seg, []byte{'|'})
			if bytes.HasSuffix(f[0], []byte("PV1")) && len(f) > 19 && len(f[19]) > 0 {
				id, rest, comps := bytes.Cut(f[19], []byte{'^'}) // CX: the id is the first component
				id = append(append([]byte{}, id...), "N2"...)
				if comps {
					id = append(append(id, '^'), rest...)
				}
				f[19] = id
				segs[j] = bytes.Join(f, []byte{'|'})
				visit = true
			}
		}
		if visit {
			out = append(out, bytes.Join(segs, []byte{'\r'}))
		}
	}
	if len(out) == len(frames) {
		t.Fatalf("no visit number in %s", path)
	}
	if err := os.WriteFile(path, bytes.Join(out, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// mentalHealthNight writes a FHIR Bulk file of Encounters into the mental
// health source directory dir: the first Encounter of the earliest file
// again, now entered in error (an encounter the warehouse has, whose
// earlier version is in another file), and a copy of it under a new id
// (one it has not). It returns the first Encounter's id.
func mentalHealthNight(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "Encounter.*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Encounter file in %s (%v)", dir, err)
	}
	b, err := os.ReadFile(files[0]) // Glob sorts
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	var enc map[string]any
	if err := json.Unmarshal(line, &enc); err != nil {
		t.Fatal(err)
	}
	if enc["status"] == "entered-in-error" {
		t.Fatal("the first encounter is already entered in error: the test shows nothing")
	}
	id, _ := enc["id"].(string)
	if id == "" {
		t.Fatalf("the first Encounter of %s has no id", files[0])
	}
	enc["status"] = "entered-in-error"
	changed, err := json.Marshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	enc["id"], enc["status"] = "night-2-"+id, "finished"
	added, err := json.Marshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	out := append(append(append(changed, '\n'), added...), '\n')
	if err := os.WriteFile(filepath.Join(dir, "Encounter.night-2.ndjson"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return id
}

// tableDigests returns, for every core and marts table of the warehouse at
// path, its row count and an MD5 of its rows in stored order.
func tableDigests(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := openWarehouse(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// One thread: string_agg then sees the rows in the order stored.
	if _, err := db.Exec("SET threads = 1"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts') ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	var names [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		names = append(names, [2]string{s, n})
	}
	rows.Close()
	out := map[string]string{}
	for _, n := range names {
		var count int64
		var digest sql.NullString
		if err := db.QueryRow("SELECT count(*), md5(string_agg(CAST(r AS VARCHAR), chr(10))) FROM "+n[0]+"."+n[1]+" r").Scan(&count, &digest); err != nil {
			t.Fatal(err)
		}
		out[n[0]+"."+n[1]] = fmt.Sprintf("%s (%d rows)", digest.String, count)
	}
	return out
}

// TestInPlaceFailureBuildsInFull breaks the published warehouse's
// core.encounter so that updating it in place fails, and checks that the
// night still succeeds, with a warehouse built in full that says so.
func TestInPlaceFailureBuildsInFull(t *testing.T) {
	r := newRegion(t, 300, 53, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	sum, err := runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ALTER TABLE core.encounter DROP COLUMN messages"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := applyNight(ctx, r.cfg, r.dir, 53, 1); err != nil {
		t.Fatal(err)
	}
	r.logs.Reset()
	if sum, err = runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{}); err != nil {
		t.Fatalf("the night failed: %v", err)
	}
	if !strings.Contains(r.logs.String(), "updating the previous warehouse in place failed; building it in full") {
		t.Errorf("the log does not say the in-place update failed:\n%s", r.logs.String())
	}
	db, err = openWarehouse(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	var inPlace bool
	var reason string
	var messages int64
	if err := db.QueryRow("SELECT updated_in_place, reason FROM meta.build").Scan(&inPlace, &reason); err != nil {
		t.Fatal(err)
	}
	if inPlace || !strings.Contains(reason, "failed") {
		t.Errorf("meta.build: in place %v, reason %q; want a full build that says the update failed", inPlace, reason)
	}
	if err := db.QueryRow("SELECT sum(messages) FROM core.encounter").Scan(&messages); err != nil || messages == 0 {
		t.Errorf("core.encounter was not built again: %v, %d messages", err, messages)
	}
	db.Close()

	// The same for the analytics database: the next night updates the
	// warehouse in place, fails to update the broken analytics table, and
	// builds the analytics database in full.
	an := r.cfg.Path(r.cfg.Analytics)
	adb, err := sql.Open("duckdb", an)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adb.Exec("ALTER TABLE core.encounter DROP COLUMN messages"); err != nil {
		t.Fatal(err)
	}
	adb.Close()
	if _, err := applyNight(ctx, r.cfg, r.dir, 53, 2); err != nil {
		t.Fatal(err)
	}
	r.logs.Reset()
	if sum, err = runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{}); err != nil {
		t.Fatalf("the second night failed: %v", err)
	}
	for _, want := range []string{"updating the previous warehouse in place", "updating the previous analytics database in place failed; building it in full"} {
		if !strings.Contains(r.logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, r.logs.String())
		}
	}
	adb, err = openWarehouse(an)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	if err := adb.QueryRow("SELECT updated_in_place, reason FROM meta.analytics_build").Scan(&inPlace, &reason); err != nil {
		t.Fatal(err)
	}
	if inPlace || !strings.Contains(reason, "failed") {
		t.Errorf("meta.analytics_build: in place %v, reason %q; want a full build that says the update failed", inPlace, reason)
	}
	if err := adb.QueryRow("SELECT sum(messages) FROM core.encounter").Scan(&messages); err != nil || messages == 0 {
		t.Errorf("the analytics core.encounter was not built again: %v, %d messages", err, messages)
	}
}
