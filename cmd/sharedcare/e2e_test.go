package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/schedule"
	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/reports/truthcheck"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// readCSV reads a CSV file into header-keyed rows.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

type e2e struct {
	dir  string
	cfg  *config.Config
	logs *bytes.Buffer
	log  *slog.Logger
}

func newRegion(t *testing.T, persons int, seed uint64, end time.Time) *e2e {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A directory name with a quote, spaces and a comment marker: paths reach
	// DuckDB only through the quoting helper, and this proves it.
	dir := filepath.Join(t.TempDir(), "O'Brien region; --x")
	cfgPath, err := generateRegion(context.Background(), log, dir, "Test region", persons, seed, end, 13)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	r := &e2e{dir: dir, cfg: cfg, logs: &logs, log: log}
	if err := ensureKey(cfg); err != nil {
		t.Fatal(err)
	}
	serveRegionDB(t, r)
	return r
}

func clock(t0 time.Time) func() time.Time {
	return func() time.Time { t0 = t0.Add(time.Second); return t0 }
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := openWarehouse(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestEndToEnd runs a small synthetic region through run and report and
// checks the figures against the generator's ground truth.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newRegion(t, 3000, 7, end)
	sum, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2026, 1, 2, 1, 30, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, sum.Warehouse)

	t.Run("usage marts equal truth", func(t *testing.T) {
		truth := readCSV(t, filepath.Join(r.dir, "truth", "usage_monthly.csv"))
		rows, err := db.Query(`SELECT strftime(month, '%Y-%m'), org_code, authorised_users, active_users, records_viewed, patients_viewed
			FROM marts.usage_monthly ORDER BY month, org_code`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var month, org string
			var a, act, rv, pv int64
			if err := rows.Scan(&month, &org, &a, &act, &rv, &pv); err != nil {
				t.Fatal(err)
			}
			got[month+" "+org] = fmt.Sprint(a, act, rv, pv)
		}
		if len(got) != len(truth) {
			t.Errorf("marts has %d org-months, truth %d", len(got), len(truth))
		}
		var views int
		for _, tr := range truth {
			k := tr["month"] + " " + tr["org_code"]
			want := strings.Join([]string{tr["authorised_users"], tr["active_users"], tr["records_viewed"], tr["patients_viewed"]}, " ")
			if got[k] != want {
				t.Errorf("%s: warehouse %q, truth %q (authorised active viewed patients)", k, got[k], want)
			}
			n, _ := strconv.Atoi(tr["records_viewed"])
			views += n
		}
		if views < 1000 {
			t.Errorf("truth has only %d views: the test would prove little", views)
		}
	})

	t.Run("report uptake table equals truth", func(t *testing.T) {
		// Figures before disclosure control must equal the truth.
		off := false
		r.cfg.Report.DisclosureControl = &off
		res, err := writeReport(ctx, r.cfg, end, r.log)
		if err != nil {
			t.Fatal(err)
		}
		html, err := os.ReadFile(res.HTML)
		if err != nil || !bytes.Contains(html, []byte("<svg")) {
			t.Fatalf("report HTML without a chart (%v)", err)
		}
		truth := map[string]map[string]string{}
		for _, tr := range readCSV(t, filepath.Join(r.dir, "truth", "usage_monthly.csv")) {
			if tr["month"] == "2025-12" {
				truth[tr["org_code"]] = tr
			}
		}
		uptake := readCSV(t, res.Tables["uptake"])
		if len(uptake) == 0 {
			t.Fatal("uptake table is empty")
		}
		for _, row := range uptake {
			if row["org_code"] == "ALL" {
				continue // the total row
			}
			tr, ok := truth[row["org_code"]]
			if !ok {
				t.Errorf("report lists %s, which the truth does not have", row["org_code"])
				continue
			}
			for _, c := range []string{"authorised_users", "active_users", "records_viewed"} {
				if row[c] != tr[c] {
					t.Errorf("%s %s: report %s, truth %s", row["org_code"], c, row[c], tr[c])
				}
			}
			if !strings.Contains(string(html), row["org_code"]) {
				t.Errorf("HTML does not show %s", row["org_code"])
			}
		}
		// The flags find the organisations the generator made poor or declining
		// among those live long enough to judge.
		flagged := map[string]string{}
		for _, a := range readCSV(t, res.Tables["needs_attention"]) {
			flagged[a["org_code"]] += a["flag"]
		}
		for _, p := range readCSV(t, filepath.Join(r.dir, "truth", "org_profiles.csv")) {
			switch p["profile"] {
			case "declining":
				if !strings.Contains(flagged[p["org_code"]], "declining") {
					t.Errorf("declining organisation %s not flagged (flags %v)", p["org_code"], flagged)
				}
			case "steady":
				if flagged[p["org_code"]] != "" {
					t.Errorf("steady organisation %s flagged %q", p["org_code"], flagged[p["org_code"]])
				}
			}
		}
	})

	t.Run("referral figures equal truth", func(t *testing.T) {
		f, err := os.Open(filepath.Join(r.dir, "truth", "referrals_monthly.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		diffs, err := truthcheck.Referrals(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			t.Error(d)
		}
		var n int64
		db.QueryRow(`SELECT count(*) FROM core.referral`).Scan(&n)
		if n == 0 {
			t.Error("no referrals in the warehouse: the comparison proves nothing")
		}
	})

	t.Run("counts reconcile and rejects match the planted errors", func(t *testing.T) {
		var read, landed, rejected int64
		if err := db.QueryRow(`SELECT records_read, records_landed, records_rejected FROM meta.runs`).Scan(&read, &landed, &rejected); err != nil {
			t.Fatal(err)
		}
		if read != landed+rejected || read == 0 {
			t.Errorf("read %d, landed %d, rejected %d", read, landed, rejected)
		}
		var portalRejects int64
		db.QueryRow(`SELECT coalesce(sum(records), 0) FROM meta.reject_counts WHERE source = 'portal_audit'`).Scan(&portalRejects)
		planted := readCSV(t, filepath.Join(r.dir, "truth", "rejects_portal.csv"))
		if portalRejects != int64(len(planted)) || len(planted) == 0 {
			t.Errorf("portal rejects %d, generator planted %d", portalRejects, len(planted))
		}
		// Every person-level record of every source reaches the person index once.
		truth := map[string]int64{}
		for _, rec := range readCSV(t, filepath.Join(r.dir, "truth", "records.csv")) {
			truth[rec["source"]]++
		}
		for _, src := range []string{"gp", "acute", "mentalhealth", "socialcare", "socialprescribing"} {
			var n int64
			db.QueryRow(`SELECT count(*) FROM core.person_link WHERE source = ?`, src).Scan(&n)
			if n != truth[src] || n == 0 {
				t.Errorf("person_link has %d %s records, truth %d", n, src, truth[src])
			}
		}
	})

	t.Run("every table and column is commented", func(t *testing.T) {
		var n int64
		db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('core','marts','meta') AND (comment IS NULL OR comment = '')`).Scan(&n)
		if n != 0 {
			t.Errorf("%d tables without a comment", n)
		}
		db.QueryRow(`SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('core','marts','meta') AND (comment IS NULL OR comment = '')`).Scan(&n)
		if n != 0 {
			t.Errorf("%d columns without a comment", n)
		}
		var work int64
		db.QueryRow(`SELECT count(*) FROM duckdb_schemas() WHERE schema_name IN ('landing','staging','intermediate')`).Scan(&work)
		if work != 0 {
			t.Error("working schemas left in the published warehouse")
		}
	})

	t.Run("logs carry no patient identifiers", func(t *testing.T) {
		logs := r.logs.String()
		for _, p := range readCSV(t, filepath.Join(r.dir, "truth", "persons.csv")) {
			for _, v := range []string{p["nhs_number"], p["postcode"]} {
				if v != "" && strings.Contains(logs, v) {
					t.Fatalf("log contains a patient identifier from the truth")
				}
			}
		}
	})

	t.Run("rerun gives the same warehouse and person ids", func(t *testing.T) {
		before, err := load.Checksums(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(before) < 7 {
			t.Fatalf("only %d tables checksummed", len(before))
		}
		db.Close()
		if _, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2026, 1, 3, 1, 30, 0, 0, time.UTC)), runOptions{}); err != nil {
			t.Fatal(err)
		}
		db2 := openDB(t, sum.Warehouse)
		after, err := load.Checksums(ctx, db2)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s changed on rerun: %s → %s", k, v, after[k])
			}
		}
		var runs int64
		db2.QueryRow(`SELECT count(*) FROM meta.runs WHERE run_id LIKE '20260103%'`).Scan(&runs)
		if runs != 1 {
			t.Error("warehouse was not rebuilt by the second run")
		}
	})
}

func TestWarehouseFilesAreOwnerOnly(t *testing.T) {
	r := newRegion(t, 300, 3, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	sum, err := runPipeline(context.Background(), r.cfg, r.log, clock(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("warehouse mode %v, want owner-only", st.Mode().Perm())
	}
	if _, err := os.Stat(sum.Warehouse + ".building"); !os.IsNotExist(err) {
		t.Error("build file left beside the warehouse")
	}
}

func TestReportForMonthWithoutDataIsAnError(t *testing.T) {
	r := newRegion(t, 300, 3, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	if _, err := runPipeline(context.Background(), r.cfg, r.log, clock(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)), runOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := writeReport(context.Background(), r.cfg, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), r.log)
	if err == nil {
		t.Fatal("report for a month with no data succeeded")
	}
}

func TestCancelledRunLeavesPublishedWarehouse(t *testing.T) {
	r := newRegion(t, 300, 5, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	sum, err := runPipeline(context.Background(), r.cfg, r.log, clock(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)), runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, 2, 0, 0, 0, 0, time.UTC)), runOptions{}); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	after, err := os.ReadFile(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a cancelled run changed the published warehouse")
	}
}

// TestIncrementalNights: a night with no change lands nothing new and gives
// the same warehouse; a night with one new audit line lands only that file
// and adds exactly that view; a full run agrees with the incremental one.
func TestIncrementalNights(t *testing.T) {
	ctx := context.Background()
	r := newRegion(t, 500, 11, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	night := func(day int, opt runOptions) (*runSummary, map[string]string) {
		t.Helper()
		sum, err := runPipeline(ctx, r.cfg, r.log, clock(time.Date(2025, 7, day, 1, 30, 0, 0, time.UTC)), opt)
		if err != nil {
			t.Fatal(err)
		}
		db := openDB(t, sum.Warehouse)
		defer db.Close()
		cs, err := load.Checksums(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return sum, cs
	}
	s1, first := night(1, runOptions{})
	lake := r.cfg.Path(r.cfg.Lake)
	model := func(s *runSummary) (string, string) {
		t.Helper()
		y, err := os.ReadFile(filepath.Join(lake, personindex.ModelFile(s.Manifest.RunID)))
		if err != nil {
			t.Fatal(err)
		}
		_, origin, err := personindex.ReadModel(lake, s.Manifest.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if origin == "" {
			t.Errorf("run %s recorded no model origin", s.Manifest.RunID)
		}
		return string(y), origin
	}

	s2, second := night(2, runOptions{})
	// The night matches with the model the first run trained.
	if m1, o1 := model(s1); func() bool { m2, o2 := model(s2); return m2 != m1 || o2 != o1 }() || s2.Index.ModelTrained || !s1.Index.ModelTrained {
		t.Errorf("an incremental night did not reuse the trained model (first run trained: %v, night trained: %v)", s1.Index.ModelTrained, s2.Index.ModelTrained)
	}
	for _, src := range s2.Manifest.Sources {
		for _, in := range src.Inputs {
			// A database source is queried every night; unchanged, it reads
			// nothing past its watermark (entity reads are checked below).
			if in.LandedIn == "" && !strings.HasPrefix(in.File, "postgres:") {
				t.Errorf("unchanged %s/%s was landed again", src.Name, in.File)
			}
		}
		for _, e := range src.Entities {
			if e.Read != 0 {
				t.Errorf("unchanged night read %d %s.%s records", e.Read, src.Name, e.Entity)
			}
		}
	}
	for k, v := range first {
		if second[k] != v {
			t.Errorf("%s changed on a night with no new input", k)
		}
	}

	// A new view arrives in the last month's audit file.
	auditFile := filepath.Join(r.dir, "sources", "portal", "audit", "audit-2025-06.jsonl")
	f, err := os.OpenFile(auditFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	users := readCSV(t, filepath.Join(r.dir, "sources", "portal", "users.csv"))
	u := users[0]
	fmt.Fprintf(f, `{"event_id":"EXTRA1","timestamp":"2025-06-30T23:30:00+01:00","user_id":%q,"org_code":%q,"role":"GP","nhs_number":"9434765919","sections":["medications"],"reason":"Direct care"}`+"\n", u["user_id"], u["org_code"])
	f.Close()
	s3, third := night(3, runOptions{})
	var landedFiles []string
	for _, src := range s3.Manifest.Sources {
		for _, in := range src.Inputs {
			if in.LandedIn == "" && in.Bytes > 0 {
				landedFiles = append(landedFiles, src.Name+"/"+in.File)
			}
		}
	}
	if len(landedFiles) != 1 || landedFiles[0] != "portal_audit/audit/audit-2025-06.jsonl" {
		t.Errorf("night 3 landed %v, want only the changed audit file", landedFiles)
	}
	if rows := func(s string) string { return strings.SplitN(s, ":", 2)[0] }; rows(third["core.record_access"]) == rows(second["core.record_access"]) {
		t.Error("the new view is not in core.record_access")
	}
	db := openDB(t, s3.Warehouse)
	var n int64
	db.QueryRow(`SELECT count(*) FROM core.record_access WHERE event_id = 'EXTRA1' AND access_month = DATE '2025-06-01'`).Scan(&n)
	if n != 1 {
		t.Errorf("EXTRA1 appears %d times in June (23:30 BST on 30 June is still June)", n)
	}
	var total, distinct int64
	db.QueryRow(`SELECT count(*), count(DISTINCT event_id) FROM core.record_access`).Scan(&total, &distinct)
	if total != distinct {
		t.Errorf("re-landing the audit file duplicated events: %d rows, %d ids", total, distinct)
	}
	db.Close()

	s4, full := night(4, runOptions{Full: true})
	for k, v := range third {
		if full[k] != v {
			t.Errorf("%s differs between the incremental and the full run", k)
		}
	}

	// Another configured model (here its seed) is trained afresh even on
	// an incremental night.
	r.cfg.Matching.Seed++
	s5, _ := night(5, runOptions{})
	_, o4 := model(s4)
	if _, o5 := model(s5); o5 == o4 || !s5.Index.ModelTrained || !s4.Index.ModelTrained {
		t.Errorf("a changed matching configuration reused the previously trained model (full run trained: %v, night after the change trained: %v)", s4.Index.ModelTrained, s5.Index.ModelTrained)
	}
}

// TestRunLockAndHistory: a run while another holds the lock is refused with
// the locked exit code and the holder named; runs are recorded in the
// history with their steps and counts; the scheduler's jobs resolve.
func TestRunLockAndHistory(t *testing.T) {
	ctx := context.Background()
	r := newRegion(t, 300, 13, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	held, err := runlock.Acquire(lockPath(r.cfg), runlock.Holder{PID: 4242, Command: "run", Started: time.Now(), Host: "elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	err = tracked(ctx, r.cfg, r.log, runInfo{Command: "run", Trigger: history.Manual}, func(ctx context.Context, rec *history.Record) error {
		t.Error("a second run ran while the lock was held")
		return nil
	})
	if !errors.Is(err, runlock.ErrLocked) || !strings.Contains(err.Error(), "4242") {
		t.Fatalf("want a locked error naming pid 4242, got %v", err)
	}
	if code := exitCode(ctx, r.log, err); code != ExitLocked {
		t.Errorf("exit code %d, want %d", code, ExitLocked)
	}
	held.Release()

	err = tracked(ctx, r.cfg, r.log, runInfo{Command: "run", Trigger: history.Manual}, func(ctx context.Context, rec *history.Record) error {
		_, err := runPipeline(ctx, r.cfg, r.log, time.Now, runOptions{Steps: stepRecorder{rec: rec}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	failing := errors.New("boom")
	if err := tracked(ctx, r.cfg, r.log, runInfo{Command: "report", Trigger: history.Manual}, func(context.Context, *history.Record) error { return failing }); err != failing {
		t.Fatalf("tracked returned %v", err)
	}
	recs, skipped, err := history.Read(historyPath(r.cfg))
	if err != nil || len(skipped) != 0 {
		t.Fatal(err, skipped)
	}
	if len(recs) != 2 {
		t.Fatalf("history has %d runs, want 2", len(recs))
	}
	run, rep := recs[0], recs[1]
	if run.Status != history.Succeeded || run.Read == 0 || run.Read != run.Landed+run.Rejected || len(run.Steps) < 3 {
		t.Errorf("run record %+v", run)
	}
	if rep.Status != history.Failed || rep.Error != "boom" {
		t.Errorf("report record %+v", rep)
	}
	d, err := newDaemon(r.cfg, r.log, schedule.NewFakeClock(time.Date(2025, 10, 24, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	next := d.NextRuns(time.Date(2025, 10, 24, 12, 0, 0, 0, time.UTC))
	if got := next["nightly"].In(r.cfg.Location).Format("2006-01-02 15:04 MST"); got != "2025-10-25 01:30 BST" {
		t.Errorf("next nightly run %s", got)
	}
}
