package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/extracttest"
	"github.com/sharedcare/sharedcare/extract/postgres"
	"github.com/sharedcare/sharedcare/extract/postgres/pgtest"
)

// srv is the package's one throwaway server; each test makes its own
// database on it.
var srv *pgtest.Server

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err = pgtest.Start(ctx, dir)
	if err != nil {
		// Fail, never skip: make test installs the server binaries.
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Stop()
	return m.Run()
}

var dbSeq atomic.Int64

// newDB creates a database loaded with testdata/schema.sql and returns its
// DSN with the given application_name (so a test can find its backends).
func newDB(t testing.TB, app string) string {
	t.Helper()
	ctx := context.Background()
	dsn, err := srv.CreateDatabase(ctx, fmt.Sprintf("db%d", dbSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadSQLInto(ctx, dsn, "testdata/schema.sql"); err != nil {
		t.Fatal(err)
	}
	return withApp(dsn, app)
}

func withApp(dsn, app string) string {
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustNew(t testing.TB, cfg postgres.Config) *postgres.Source {
	t.Helper()
	src, err := postgres.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

var clock = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// landRun lands src as source "socialcare" in a new run of lake and
// commits it.
func landRun(t *testing.T, lake string, src extract.Source) *extract.Manifest {
	t.Helper()
	clock = clock.Add(time.Minute)
	run, err := extract.NewRun(lake, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Land(context.Background(), "socialcare", "postgres", src); err != nil {
		t.Fatal(err)
	}
	m, err := run.Commit(clock.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return m
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

// rowsOf reads an entity's landed rows as column name → values (nil for
// null; strings, int64, float64, time.Time in UTC, []string).
func rowsOf(t *testing.T, lake string, m *extract.Manifest, entity string) []map[string]any {
	t.Helper()
	e := m.Entity("socialcare", entity)
	if e == nil {
		t.Fatalf("no entity %s in run %s", entity, m.RunID)
	}
	var out []map[string]any
	for _, f := range e.Files {
		tbl := readTable(t, filepath.Join(lake, f))
		tr := array.NewTableReader(tbl, 0)
		for tr.Next() {
			rec := tr.RecordBatch()
			for r := 0; r < int(rec.NumRows()); r++ {
				row := map[string]any{}
				for c, col := range rec.Columns() {
					name := rec.ColumnName(c)
					if col.IsNull(r) {
						row[name] = nil
						continue
					}
					switch a := col.(type) {
					case *array.String:
						row[name] = a.Value(r)
					case *array.Int64:
						row[name] = a.Value(r)
					case *array.Float64:
						row[name] = a.Value(r)
					case *array.Date32:
						row[name] = a.Value(r).ToTime()
					case *array.Timestamp:
						row[name] = time.UnixMicro(int64(a.Value(r))).UTC()
					case *array.List:
						s, e := a.ValueOffsets(r)
						vals := a.ListValues().(*array.String)
						l := []string{}
						for i := s; i < e; i++ {
							l = append(l, vals.Value(int(i)))
						}
						row[name] = l
					default:
						t.Fatalf("column %s: unexpected %T", name, col)
					}
				}
				out = append(out, row)
			}
		}
		tr.Release()
		tbl.Release()
	}
	return out
}

func peopleAndPackages(dsn string) postgres.Config {
	return postgres.Config{
		DSN: postgres.Secret(dsn),
		Tables: []postgres.Table{
			{Entity: "people", Table: "public.people", Watermark: "updated_at", Key: []string{"person_id"}},
			{Entity: "care_packages", Table: "care_packages", Watermark: "updated_at", Key: []string{"package_id"}},
		},
		Location: mustLoc("Europe/London"),
	}
}

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestConformance(t *testing.T) {
	dsn := newDB(t, "conformance")
	extracttest.Run(t, func(t *testing.T) extract.Source {
		return mustNew(t, peopleAndPackages(dsn))
	})
}

func TestTypesAndValues(t *testing.T) {
	dsn := newDB(t, "types")
	lake := t.TempDir()
	m := landRun(t, lake, mustNew(t, peopleAndPackages(dsn)))
	e := m.Entity("socialcare", "people")
	if e.Read != 5 || e.Landed != 5 || e.Rejected != 0 {
		t.Fatalf("people read %d landed %d rejected %d, want 5/5/0", e.Read, e.Landed, e.Rejected)
	}
	// Landed schema follows the columns' types.
	tbl := readTable(t, filepath.Join(lake, e.Files[0]))
	wantTypes := map[string]arrow.DataType{
		"person_id": arrow.PrimitiveTypes.Int64, "nhs_number": arrow.BinaryTypes.String,
		"surname": arrow.BinaryTypes.String, "gender": arrow.BinaryTypes.String,
		"date_of_birth": arrow.FixedWidthTypes.Date32, "active": arrow.BinaryTypes.String,
		"score": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64,
		"visits": arrow.PrimitiveTypes.Int64, "ref": arrow.BinaryTypes.String,
		"tags": arrow.ListOf(arrow.BinaryTypes.String), "extra": arrow.BinaryTypes.String,
		"created_local": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		"updated_at":    &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	}
	for name, want := range wantTypes {
		fs, ok := tbl.Schema().FieldsByName(name)
		if !ok {
			t.Errorf("no landed column %s", name)
			continue
		}
		if !arrow.TypeEqual(fs[0].Type, want) {
			t.Errorf("column %s: type %s, want %s", name, fs[0].Type, want)
		}
	}
	tbl.Release()

	rows := rowsOf(t, lake, m, "people")
	byID := map[int64]map[string]any{}
	for _, r := range rows {
		byID[r["person_id"].(int64)] = r
	}
	check := func(id int64, col string, want any) {
		t.Helper()
		got := byID[id][col]
		if fmt.Sprint(got) != fmt.Sprint(want) || (got == nil) != (want == nil) {
			t.Errorf("person %d %s = %#v, want %#v", id, col, got, want)
		}
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	check(1, "surname", "O'Brien")
	check(1, "forename", "Siobhán")
	check(2, "forename", "Zoë 🙂")
	check(2, "surname", "Nguyễn")
	check(2, "nhs_number", nil)
	check(4, "nhs_number", "")
	check(4, "forename", `Ann "Annie"`)
	check(5, "forename", "Line\nBreak")
	check(1, "gender", "F")
	check(1, "active", "true")
	check(2, "active", "false")
	check(3, "active", nil)
	check(1, "score", 12.5)
	check(3, "score", -0.01)
	check(4, "score", 99999999.99)
	check(4, "weight", 1e30)
	check(3, "visits", int64(32767))
	check(1, "ref", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
	check(1, "tags", []string{"carer", "lives alone"})
	check(3, "tags", []string{})
	check(4, "tags", []string{`a\b`, "x,y"})
	check(2, "tags", nil)
	check(1, "extra", `{"lang": "ga"}`)
	check(1, "date_of_birth", time.Date(1950, 2, 28, 0, 0, 0, 0, time.UTC))
	// timestamptz across the DST changes keeps the instant.
	check(1, "updated_at", utc("2024-03-31T00:30:00Z"))
	check(2, "updated_at", utc("2024-10-27T00:30:00Z"))
	check(3, "updated_at", utc("2024-10-27T01:30:00.123456Z"))
	check(5, "updated_at", utc("2024-06-01T11:00:00Z"))
	check(4, "updated_at", nil)
	// timestamp without time zone is London wall time: BST in June, GMT in
	// January. 01:30 on 27 October 2024 happened twice and Go's time.Date
	// takes the second (GMT); 01:30 on 31 March 2024 never happened and
	// lands as 01:30 GMT too (02:30 BST).
	check(4, "created_local", utc("2024-06-01T11:00:00Z"))
	check(5, "created_local", utc("2024-01-01T00:00:00Z"))
	check(2, "created_local", utc("2024-10-27T01:30:00Z"))
	check(1, "created_local", utc("2024-03-31T01:30:00Z"))

	// Positions are row numbers in key order; files name no credentials.
	for i, r := range rows {
		if r[extract.ColPosition] != int64(i+1) || r[extract.ColSourceFile] != "postgres:people" {
			t.Errorf("row %d: position %v file %v", i, r[extract.ColPosition], r[extract.ColSourceFile])
		}
	}
	ins := m.Sources[0].Inputs
	if len(ins) != 2 || ins[0].File != "postgres:people" || ins[1].File != "postgres:care_packages" || ins[0].Bytes == 0 || len(ins[0].SHA256) != 64 {
		t.Errorf("inputs %+v", ins)
	}
}

func TestRejectsNameTheColumn(t *testing.T) {
	dsn := newDB(t, "rejects")
	lake := t.TempDir()
	m := landRun(t, lake, mustNew(t, postgres.Config{DSN: postgres.Secret(dsn), Tables: []postgres.Table{
		{Entity: "oddities", Table: "oddities", Key: []string{"id"}},
	}}))
	e := m.Entity("socialcare", "oddities")
	if e.Read != 7 || e.Landed != 1 || e.Rejected != 6 || e.RejectsByReason[extract.ReasonBadValue] != 6 {
		t.Fatalf("read %d landed %d rejected %d %v, want 7/1/6 all bad_value", e.Read, e.Landed, e.Rejected, e.RejectsByReason)
	}
	rf := m.Sources[0].RejectFiles
	if len(rf) != 1 {
		t.Fatalf("reject files %v", rf)
	}
	tbl := readTable(t, filepath.Join(lake, rf[0]))
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	var msgs []string
	for tr.Next() {
		rec := tr.RecordBatch()
		msg := rec.Column(7).(*array.String)
		raw := rec.Column(8).(*array.Binary)
		for i := 0; i < msg.Len(); i++ {
			msgs = append(msgs, msg.Value(i))
			if !bytes.HasPrefix(raw.Value(i), []byte(`{"id":"`)) {
				t.Errorf("reject raw %q is not the row's JSON", raw.Value(i))
			}
		}
	}
	want := []string{"column big", "column d", "column d", "column ts", "column tags holds a NULL", "column tags"}
	if len(msgs) != len(want) {
		t.Fatalf("reject messages %q", msgs)
	}
	for i, w := range want {
		if !strings.HasPrefix(msgs[i], w) {
			t.Errorf("reject %d: %q, want it to start %q", i, msgs[i], w)
		}
	}
}

func TestIncremental(t *testing.T) {
	dsn := newDB(t, "incremental")
	lake := t.TempDir()
	cfg := peopleAndPackages(dsn)

	m1 := landRun(t, lake, mustNew(t, cfg))
	p1 := m1.Entity("socialcare", "people")
	c1 := m1.Entity("socialcare", "care_packages")
	if p1.Landed != 5 || c1.Landed != 3 {
		t.Fatalf("full run landed %d people, %d packages", p1.Landed, c1.Landed)
	}
	if p1.Watermark != "2024-10-27T01:30:00.123456Z" {
		t.Errorf("people watermark %q", p1.Watermark)
	}
	// timestamp without time zone: wall-clock value, no offset.
	if c1.Watermark != "2024-05-02T10:30:00.5" {
		t.Errorf("care_packages watermark %q", c1.Watermark)
	}

	// Change two people (one new, one updated) and one package; person 4
	// (NULL updated_at) is touched without a watermark and is not re-read.
	exec(t, dsn, `INSERT INTO people (person_id, forename, surname, updated_at) VALUES (6, 'New', 'Person', '2025-01-02 03:04:05.678901+00')`)
	exec(t, dsn, `UPDATE people SET surname = 'O''Brien-Murphy', updated_at = '2025-01-01 00:00:00+00' WHERE person_id = 1`)
	exec(t, dsn, `UPDATE people SET surname = 'Lee' WHERE person_id = 4`)
	exec(t, dsn, `UPDATE people SET surname = 'Old' , updated_at = '2024-01-01 00:00:00+00' WHERE person_id = 5`)
	exec(t, dsn, `UPDATE care_packages SET status = 'active', updated_at = '2025-01-01 08:00:00' WHERE package_id = 11`)

	m2 := landRun(t, lake, mustNew(t, cfg))
	p2 := m2.Entity("socialcare", "people")
	if p2.Read != 2 || p2.Landed != 2 {
		t.Fatalf("incremental run read %d landed %d people, want 2", p2.Read, p2.Landed)
	}
	rows := rowsOf(t, lake, m2, "people")
	if rows[0]["person_id"] != int64(1) || rows[0]["surname"] != "O'Brien-Murphy" || rows[1]["person_id"] != int64(6) {
		t.Errorf("incremental rows %v", rows)
	}
	if rows[0][extract.ColPosition] != int64(1) || rows[1][extract.ColPosition] != int64(2) {
		t.Errorf("positions %v %v", rows[0][extract.ColPosition], rows[1][extract.ColPosition])
	}
	if p2.Watermark != "2025-01-02T03:04:05.678901Z" {
		t.Errorf("people watermark after incremental %q", p2.Watermark)
	}
	c2 := m2.Entity("socialcare", "care_packages")
	if c2.Landed != 1 || c2.Watermark != "2025-01-01T08:00:00" {
		t.Errorf("care_packages incremental landed %d watermark %q", c2.Landed, c2.Watermark)
	}

	// Nothing changed: nothing landed, watermarks carried forward.
	m3 := landRun(t, lake, mustNew(t, cfg))
	p3 := m3.Entity("socialcare", "people")
	if p3.Read != 0 || p3.Watermark != p2.Watermark {
		t.Errorf("unchanged run read %d, watermark %q want %q", p3.Read, p3.Watermark, p2.Watermark)
	}
	if c3 := m3.Entity("socialcare", "care_packages"); c3.Watermark != c2.Watermark || len(c3.Files) != 1 {
		t.Errorf("unchanged care_packages watermark %q files %v", c3.Watermark, c3.Files)
	}

	// A full run reads everything again, including the NULL-watermark row.
	run, err := extract.NewRun(lake, clock.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	run.Full()
	sm, err := run.Land(context.Background(), "socialcare", "postgres", mustNew(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if sm.Entities[0].Landed != 6 || sm.Entities[0].Watermark != p2.Watermark {
		t.Errorf("full run landed %d watermark %q", sm.Entities[0].Landed, sm.Entities[0].Watermark)
	}
}

// watchSleeper calls fn with the pid of the backend of application app once
// it is sleeping in pg_sleep, for as long as ctx lasts; fn returns false to
// stop.
func watchSleeper(ctx context.Context, t *testing.T, dsn, app string, fn func(conn *pgx.Conn, pid int32) bool) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close(context.Background())
	for ctx.Err() == nil {
		var pid int32
		err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'PgSleep' LIMIT 1`, app).Scan(&pid)
		if err == nil {
			if !fn(conn, pid) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func terminate(t *testing.T, conn *pgx.Conn, pid int32) {
	if _, err := conn.Exec(context.Background(), "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Error(err)
	}
	// Wait until it is gone, so the next look does not find it again.
	for i := 0; i < 100; i++ {
		var n int
		conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// slowPeople is people read through a query that sleeps before its first
// row.
func slowPeople(d string) postgres.Table {
	return postgres.Table{Entity: "people", Watermark: "updated_at", Key: []string{"person_id"},
		Query: "WITH s AS MATERIALIZED (SELECT pg_sleep(" + d + ")) SELECT p.* FROM people p, s"}
}

func TestSnapshotIsConsistent(t *testing.T) {
	dsn := newDB(t, "snapshot")
	admin := withApp(dsn, "admin")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// While the extract sleeps inside its first table, another session
		// adds a person and a package and commits.
		watchSleeper(ctx, t, admin, "snapshot", func(conn *pgx.Conn, pid int32) bool {
			if _, err := conn.Exec(ctx, `INSERT INTO people (person_id, forename, surname, updated_at) VALUES (7, 'Late', 'Comer', now())`); err != nil {
				t.Error(err)
			}
			if _, err := conn.Exec(ctx, `INSERT INTO care_packages VALUES (13, 7, 'active', '2025-01-01', now())`); err != nil {
				t.Error(err)
			}
			return false
		})
	}()
	cfg := peopleAndPackages(dsn)
	cfg.Tables[0] = slowPeople("1")
	m := landRun(t, t.TempDir(), mustNew(t, cfg))
	cancel()
	wg.Wait()
	var n int
	conn, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	conn.QueryRow(context.Background(), "SELECT count(*) FROM care_packages").Scan(&n)
	if n != 4 {
		t.Fatalf("the concurrent insert did not happen: %d packages", n)
	}
	if p, c := m.Entity("socialcare", "people"), m.Entity("socialcare", "care_packages"); p.Landed != 5 || c.Landed != 3 {
		t.Errorf("landed %d people and %d packages, want the snapshot's 5 and 3", p.Landed, c.Landed)
	}
}

func TestConnectionDropRetriesThenFails(t *testing.T) {
	dsn := newDB(t, "victim")
	admin := withApp(dsn, "admin")
	lake := t.TempDir()
	cfg := peopleAndPackages(dsn)
	cfg.Tables[0] = slowPeople("0")
	m1 := landRun(t, lake, mustNew(t, cfg))
	w1 := m1.Entity("socialcare", "people").Watermark

	// Every attempt is killed in the middle of its first query, before any
	// row reaches the landing zone.
	cfg.Tables[0] = slowPeople("2")
	cfg.Retries, cfg.Backoff = 2, 10*time.Millisecond
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var kills atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchSleeper(ctx, t, admin, "victim", func(conn *pgx.Conn, pid int32) bool {
			terminate(t, conn, pid)
			kills.Add(1)
			return true
		})
	}()
	run, err := extract.NewRun(lake, clock.Add(time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = run.Land(context.Background(), "socialcare", "postgres", mustNew(t, cfg))
	cancel()
	wg.Wait()
	if err == nil {
		t.Fatal("extract succeeded although every attempt lost its connection")
	}
	t.Logf("error after %s: %v", time.Since(start), err)
	if !strings.Contains(err.Error(), "all 3 attempts") {
		t.Errorf("error does not say the attempts were used up: %v", err)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); !ok || pe.Code != "57P01" {
		t.Errorf("error does not wrap the server's admin_shutdown: %v", err)
	}
	if kills.Load() != 3 {
		t.Errorf("%d backends terminated, want 3", kills.Load())
	}
	if n := strings.Count(logs.String(), "retrying"); n != 2 {
		t.Errorf("%d retry warnings logged, want 2:\n%s", n, logs.String())
	}
	// The failed run is not committed: the last run is still the first, and
	// a later good run starts from (and, with nothing new, keeps) its
	// watermark.
	if last, err := extract.LatestRun(lake); err != nil || last.RunID != m1.RunID {
		t.Fatalf("latest run %v, %v; want %s", last, err, m1.RunID)
	}
	cfg.Tables[0] = slowPeople("0")
	clock = clock.Add(time.Hour)
	m3 := landRun(t, lake, mustNew(t, cfg))
	if p := m3.Entity("socialcare", "people"); p.Watermark != w1 || p.Read != 0 {
		t.Errorf("run after the failure: watermark %q read %d, want %q and 0", p.Watermark, p.Read, w1)
	}
}

func TestConnectionDropRetrySucceeds(t *testing.T) {
	dsn := newDB(t, "flaky")
	cfg := peopleAndPackages(dsn)
	cfg.Tables[0] = slowPeople("1")
	cfg.Retries, cfg.Backoff = 3, 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchSleeper(ctx, t, withApp(dsn, "admin"), "flaky", func(conn *pgx.Conn, pid int32) bool {
			terminate(t, conn, pid)
			return false // once
		})
	}()
	m := landRun(t, t.TempDir(), mustNew(t, cfg))
	cancel()
	wg.Wait()
	if p, c := m.Entity("socialcare", "people"), m.Entity("socialcare", "care_packages"); p.Read != 5 || p.Landed != 5 || c.Landed != 3 {
		t.Errorf("after one retry: people read %d landed %d, packages %d; want 5, 5, 3", p.Read, p.Landed, c.Landed)
	}
	if n := len(m.Sources[0].Inputs); n != 2 {
		t.Errorf("%d inputs recorded, want 2 (none from the failed attempt)", n)
	}
}

func TestConnectionDropAfterRowsLandedFailsAtOnce(t *testing.T) {
	dsn := newDB(t, "midstream")
	// 100 rows of 500 bytes; the server sleeps producing row 50, after rows
	// it has already sent.
	cfg := postgres.Config{DSN: postgres.Secret(dsn), Retries: 3, Backoff: 10 * time.Millisecond, Tables: []postgres.Table{{
		Entity: "series",
		Query:  "SELECT n, repeat('x', 500) AS pad FROM generate_series(1, 100) AS n WHERE CASE WHEN n = 50 THEN pg_sleep(3)::text = '' ELSE true END",
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchSleeper(ctx, t, withApp(dsn, "admin"), "midstream", func(conn *pgx.Conn, pid int32) bool {
			terminate(t, conn, pid)
			return true
		})
	}()
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.Land(context.Background(), "socialcare", "postgres", mustNew(t, cfg))
	cancel()
	wg.Wait()
	if err == nil || !strings.Contains(err.Error(), "49 rows of this run were landed; not retried") {
		t.Fatalf("want a not-retried error after 49 rows, got %v", err)
	}
}

func TestCancelDuringQuery(t *testing.T) {
	dsn := newDB(t, "cancel")
	cfg := peopleAndPackages(dsn)
	cfg.Tables[0] = slowPeople("5")
	cfg.Retries = 3
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = run.Land(ctx, "socialcare", "postgres", mustNew(t, cfg))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancellation took %s", d)
	}
}

func TestSecretNeverShown(t *testing.T) {
	const pw = "s3cr3t-Pw"
	// Port 1 on localhost refuses connections.
	dsn := "postgres://carer:" + pw + "@127.0.0.1:1/socialcare?sslmode=disable&connect_timeout=2"
	cfg := postgres.Config{DSN: postgres.Secret(dsn), Retries: 1, Backoff: time.Millisecond,
		Tables: []postgres.Table{{Entity: "people", Table: "people", Key: []string{"person_id"}}}}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "dsn", cfg.DSN)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg, "dsn", cfg.DSN)
	shown := fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg.DSN, cfg.DSN, cfg.DSN)
	src := mustNew(t, cfg)
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.Land(context.Background(), "socialcare", "postgres", src)
	if err == nil {
		t.Fatal("extract from a closed port succeeded")
	}
	if !strings.Contains(err.Error(), "all 2 attempts") {
		t.Errorf("refused connection was not retried: %v", err)
	}
	// A DSN pgx cannot parse is refused without echoing it.
	_, perr := postgres.New(postgres.Config{DSN: postgres.Secret("host=x password=" + pw + " port=notaport"),
		Tables: cfg.Tables})
	if perr == nil {
		t.Fatal("unparsable DSN accepted")
	}
	for what, text := range map[string]string{"error": err.Error(), "parse error": perr.Error(), "log": logs.String(), "formatting": shown} {
		if strings.Contains(text, pw) {
			t.Errorf("%s shows the password: %s", what, text)
		}
		if !strings.Contains(text, "REDACTED") && what == "formatting" {
			t.Errorf("formatting does not say REDACTED: %s", text)
		}
	}
	if !strings.Contains(logs.String(), "REDACTED") || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	const dsn = postgres.Secret("postgres://u@localhost/db")
	ok := postgres.Table{Entity: "people", Table: "people", Key: []string{"person_id"}}
	cases := map[string]postgres.Config{
		"hostile table":       {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "people; DROP TABLE x", Key: []string{"id"}}}},
		"quoted table":        {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: `people"--`, Key: []string{"id"}}}},
		"three-part table":    {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "a.b.c", Key: []string{"id"}}}},
		"hostile key":         {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "people", Key: []string{"id) UNION SELECT 1 --"}}}},
		"hostile watermark":   {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "people", Key: []string{"id"}, Watermark: "updated_at'"}}},
		"bad entity":          {DSN: dsn, Tables: []postgres.Table{{Entity: "../people", Table: "people", Key: []string{"id"}}}},
		"table and query":     {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "people", Query: "SELECT 1", Key: []string{"id"}}}},
		"neither":             {DSN: dsn, Tables: []postgres.Table{{Entity: "people"}}},
		"table without key":   {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "people"}}},
		"entity twice":        {DSN: dsn, Tables: []postgres.Table{ok, ok}},
		"no tables":           {DSN: dsn},
		"no DSN":              {Tables: []postgres.Table{ok}},
		"negative retries":    {DSN: dsn, Tables: []postgres.Table{ok}, Retries: -1},
		"unparsable DSN":      {DSN: "postgres://u@localhost:notaport/db", Tables: []postgres.Table{ok}},
		"hostile schema part": {DSN: dsn, Tables: []postgres.Table{{Entity: "people", Table: "public;.people", Key: []string{"id"}}}},
	}
	for name, cfg := range cases {
		if _, err := postgres.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := postgres.New(postgres.Config{DSN: dsn, Tables: []postgres.Table{ok, {Entity: "q", Query: "SELECT 1 AS one;"}}}); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

func TestColumnsMustBeNameable(t *testing.T) {
	dsn := newDB(t, "names")
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.Land(context.Background(), "socialcare", "postgres", mustNew(t, postgres.Config{DSN: postgres.Secret(dsn), Retries: 2,
		Tables: []postgres.Table{{Entity: "mixed", Table: "Mixed", Key: []string{"id"}}}}))
	if err == nil || !strings.Contains(err.Error(), "rename it in a Query") {
		t.Fatalf("want a column-name error, got %v", err)
	}
	// The same table through a Query with an alias lands.
	m := landRun(t, t.TempDir(), mustNew(t, postgres.Config{DSN: postgres.Secret(dsn),
		Tables: []postgres.Table{{Entity: "mixed", Query: `SELECT id, "BadName" AS bad_name FROM "Mixed"`, Key: []string{"id"}}}}))
	if e := m.Entity("socialcare", "mixed"); e.Landed != 1 {
		t.Errorf("landed %d", e.Landed)
	}
}

func TestHostileNameIsQuotedNotRun(t *testing.T) {
	// A table literally named with SQL in it is read, not executed, when it
	// is reached through a Query: identifiers in config never reach SQL
	// unquoted, and New refuses them in Table.
	dsn := newDB(t, "hostile")
	exec(t, dsn, `CREATE TABLE x (id int PRIMARY KEY)`)
	exec(t, dsn, `CREATE TABLE "people; DROP TABLE x" (id int PRIMARY KEY, v text)`)
	exec(t, dsn, `INSERT INTO "people; DROP TABLE x" VALUES (1, 'a')`)
	if _, err := postgres.New(postgres.Config{DSN: postgres.Secret(dsn), Tables: []postgres.Table{{Entity: "people", Table: "people; DROP TABLE x", Key: []string{"id"}}}}); err == nil {
		t.Fatal("hostile table name accepted")
	}
	m := landRun(t, t.TempDir(), mustNew(t, postgres.Config{DSN: postgres.Secret(dsn),
		Tables: []postgres.Table{{Entity: "people", Query: `SELECT * FROM "people; DROP TABLE x"`, Key: []string{"id"}}}}))
	if e := m.Entity("socialcare", "people"); e.Landed != 1 {
		t.Errorf("landed %d", e.Landed)
	}
	exec(t, dsn, `SELECT 1 FROM x`) // still there
}

func TestNaNAndInfinity(t *testing.T) {
	// NaN and infinities in float and numeric columns land as floats.
	dsn := newDB(t, "floats")
	m := landRun(t, t.TempDir(), mustNew(t, postgres.Config{DSN: postgres.Secret(dsn), Tables: []postgres.Table{{
		Entity: "floats", Query: `SELECT 1 AS id, 'NaN'::float8 AS a, 'Infinity'::float8 AS b, 'NaN'::numeric AS c, 0.1::float4 AS d`,
	}}}))
	if e := m.Entity("socialcare", "floats"); e.Landed != 1 {
		t.Fatalf("landed %d rejected %v", e.Landed, e.RejectsByReason)
	}
}

func BenchmarkExtract(b *testing.B) {
	dsn := newDB(b, "bench")
	const n = 100_000
	exec(b, dsn, `CREATE TABLE big AS SELECT g AS id, 'Name '||g AS name, md5(g::text) AS nhs, date '1950-01-01' + (g % 20000) AS dob,
		timestamptz '2024-01-01' + g * interval '1 second' AS updated_at, (g % 1000)::numeric / 7 AS score FROM generate_series(1, $1::int) g`, n)
	exec(b, dsn, `ALTER TABLE big ADD PRIMARY KEY (id)`)
	src := mustNew(b, postgres.Config{DSN: postgres.Secret(dsn), Tables: []postgres.Table{{Entity: "big", Table: "big", Key: []string{"id"}, Watermark: "updated_at"}}})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run, err := extract.NewRun(b.TempDir(), time.Now(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := run.Land(context.Background(), "socialcare", "postgres", src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
