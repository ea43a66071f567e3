package load

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// Environment variables of the timing harness below. It is for measuring
// Build and BuildAnalytics on a real region and is skipped unless set:
//
//	SHAREDCARE_LOAD_BENCH_REGION=/tmp/region go test -run TestBenchRegion -v ./load/
//
// The region directory holds sharedcare.yaml, lake/, secrets/ and the
// warehouse and analytics files of an earlier build; the harness builds
// both again into a temporary directory and fails unless every table and
// view is identical to the earlier build's (rows, values, row order, column
// names, types and comments). SHAREDCARE_LOAD_BENCH_REF names another
// directory holding the reference warehouse.duckdb and analytics.duckdb
// (default: the region's warehouse directory); SHAREDCARE_LOAD_BENCH_RUNS
// is how many times to build each (default 1).
const (
	benchRegionEnv = "SHAREDCARE_LOAD_BENCH_REGION"
	benchRefEnv    = "SHAREDCARE_LOAD_BENCH_REF"
	benchRunsEnv   = "SHAREDCARE_LOAD_BENCH_RUNS"
	benchStageEnv  = "SHAREDCARE_LOAD_BENCH_STAGE" // "load", "analytics" or empty for both
	// SHAREDCARE_LOAD_BENCH_NOCOMPARE set skips the comparison (for profiling).
	// SHAREDCARE_LOAD_BENCH_OUT names a directory to build in and keep.
	benchOutEnv       = "SHAREDCARE_LOAD_BENCH_OUT"
	benchNoCompareEnv = "SHAREDCARE_LOAD_BENCH_NOCOMPARE"
	// SHAREDCARE_LOAD_BENCH_MEMORY_LIMIT is DuckDB's memory_limit for both builds
	// (default 1GB, the pipeline's: cmd/sharedcare duckdbMemoryLimit).
	benchMemoryEnv = "SHAREDCARE_LOAD_BENCH_MEMORY_LIMIT"
)

// benchRegion is the part of sharedcare.yaml the load needs.
type benchRegion struct {
	TimeZone         string `yaml:"timezone"`
	Lake             string `yaml:"lake"`
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
	Sources          []struct {
		Name   string `yaml:"name"`
		System string `yaml:"system"`
		Tables []struct {
			Entity string   `yaml:"entity"`
			Key    []string `yaml:"key"`
		} `yaml:"tables"`
	} `yaml:"sources"`
}

func TestBenchRegion(t *testing.T) {
	dir := os.Getenv(benchRegionEnv)
	if dir == "" {
		t.Skip("set " + benchRegionEnv + " to a region directory to time the load")
	}
	ref := os.Getenv(benchRefEnv)
	if ref == "" {
		ref = filepath.Join(dir, "warehouse")
	}
	runs := 1
	if s := os.Getenv(benchRunsEnv); s != "" {
		if _, err := fmt.Sscan(s, &runs); err != nil {
			t.Fatalf("%s: %v", benchRunsEnv, err)
		}
	}
	stage := os.Getenv(benchStageEnv)
	b, err := os.ReadFile(filepath.Join(dir, "sharedcare.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg benchRegion
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	lake := filepath.Join(dir, cfg.Lake)
	systems := map[string]string{}
	keys := map[string]map[string][]string{}
	for _, s := range cfg.Sources {
		systems[s.Name] = s.System
		for _, tb := range s.Tables {
			if keys[s.Name] == nil {
				keys[s.Name] = map[string][]string{}
			}
			keys[s.Name][tb.Entity] = tb.Key
		}
	}
	all, err := extract.CompleteRuns(lake)
	if err != nil {
		t.Fatal(err)
	}
	sinceFull := extract.SinceLastFull(all)
	index, err := personindex.Latest(lake)
	if err != nil {
		t.Fatal(err)
	}
	memLimit := cmp.Or(os.Getenv(benchMemoryEnv), "1GB")
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx := context.Background()
	out := os.Getenv(benchOutEnv)
	if out == "" {
		out = t.TempDir()
	}
	wh := filepath.Join(out, "warehouse.duckdb")
	if stage != "analytics" {
		for i := range runs {
			t0, c0 := time.Now(), cpu()
			err := Build(ctx, Options{
				Lake: lake, Manifest: sinceFull[len(sinceFull)-1], Runs: sinceFull, IndexRun: index,
				Systems: systems, Keys: keys, Warehouse: wh, TimeZone: cfg.TimeZone, MemoryLimit: memLimit, Logger: log,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("load run %d: %.2f s, %.2f s CPU", i+1, time.Since(t0).Seconds(), cpu()-c0)
		}
		compareDatabases(t, filepath.Join(ref, "warehouse.duckdb"), wh)
	} else {
		wh = filepath.Join(ref, "warehouse.duckdb")
	}
	if stage == "load" {
		return
	}
	key, err := LoadKey(filepath.Join(dir, cfg.PseudonymKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	an := filepath.Join(out, "analytics.duckdb")
	for i := range runs {
		t0, c0 := time.Now(), cpu()
		if err := BuildAnalytics(ctx, wh, an, key, AnalyticsOptions{MemoryLimit: memLimit, Logger: log}); err != nil {
			t.Fatal(err)
		}
		t.Logf("analytics run %d: %.2f s, %.2f s CPU", i+1, time.Since(t0).Seconds(), cpu()-c0)
	}
	compareDatabases(t, filepath.Join(ref, "analytics.duckdb"), an)
}

// cpu is the process's user and system time so far, in seconds: on a
// machine shared with other work it varies less than the wall clock.
func cpu() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// compareDatabases fails t unless the databases at want and got have the
// same tables and views, each with the same columns (name, position, type,
// comment), comment, rows and row order.
func compareDatabases(t *testing.T, want, got string) {
	t.Helper()
	if os.Getenv(benchNoCompareEnv) != "" {
		t.Logf("%s not compared", got)
		return
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for name, file := range map[string]string{"want": want, "got": got} {
		lit, err := QuoteLiteral(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "ATTACH "+lit+" AS "+name+" (READ_ONLY)"); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(dbName string) map[string]string {
		rows, err := db.QueryContext(ctx, `
			SELECT schema_name || '.' || table_name, 'table ' || coalesce(comment, '') FROM duckdb_tables() WHERE database_name = ?
			UNION ALL
			SELECT schema_name || '.' || view_name, 'view ' || coalesce(comment, '') || ' ' || sql FROM duckdb_views() WHERE database_name = ? AND NOT internal
			UNION ALL
			SELECT schema_name || '.' || table_name || '.' || column_name,
			       column_index || ' ' || data_type || ' ' || coalesce(comment, '')
			FROM duckdb_columns() WHERE database_name = ?`, dbName, dbName, dbName)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			m[k] = v
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	w, g := describe("want"), describe("got")
	var names []string
	for k := range w {
		names = append(names, k)
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if w[k] != g[k] {
			t.Errorf("%s: want %q, got %q", k, w[k], g[k])
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'want' ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	var tables [][2]string
	for rows.Next() {
		var s, tb string
		if err := rows.Scan(&s, &tb); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, [2]string{s, tb})
	}
	rows.Close()
	same := 0
	for _, st := range tables {
		if _, ok := g[st[0]+"."+st[1]]; !ok {
			continue
		}
		qs, _ := QuoteIdent(st[0])
		qt, _ := QuoteIdent(st[1])
		sum := func(dbName string) string {
			// The sum over rows checks contents; the one over row id and
			// row checks the order rows are stored (and read) in.
			var n int64
			var unordered, ordered string
			q := `SELECT count(*), coalesce(sum(hash(CAST(r AS VARCHAR))::HUGEINT), 0)::VARCHAR,
				coalesce(sum(hash(rowid, CAST(r AS VARCHAR))::HUGEINT), 0)::VARCHAR
				FROM ` + dbName + "." + qs + "." + qt + ` AS r`
			if err := db.QueryRowContext(ctx, q).Scan(&n, &unordered, &ordered); err != nil {
				t.Fatalf("checksumming %s.%s.%s: %v", dbName, st[0], st[1], err)
			}
			return fmt.Sprintf("%d rows, contents %s, order %s", n, unordered, ordered)
		}
		ws, gs := sum("want"), sum("got")
		if ws != gs {
			t.Errorf("%s.%s: want %s, got %s", st[0], st[1], ws, gs)
		} else {
			same++
		}
	}
	t.Logf("%s: %d of %d tables identical (contents and order)", filepath.Base(got), same, len(tables))
}
