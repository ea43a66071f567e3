package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the duckdb driver

	"github.com/sharedcare/sharedcare/extract"
	sqlfiles "github.com/sharedcare/sharedcare/sql"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// Layers are the sql/ directories run by Build, in order.
var Layers = []string{"meta", "staging", "intermediate", "core", "marts"}

// workSchemas are dropped before publishing: they point into the lake.
var workSchemas = []string{"landing", "staging"}

// workDatabase is attached in memory for the intermediate tables: they are
// read while the warehouse is built and then thrown away, so they are never
// compressed and written to the warehouse file. SQL names them
// intermediate.<table> as it would a schema's.
const workDatabase = "intermediate"

// RequiredEntities are the landed entities (system, entity) the SQL reads.
var RequiredEntities = [][2]string{
	{"gp", "patients"},
	{"portal", "access_events"},
	{"portal", "users"},
	{"reference", "organisations"},
	{"socialprescribing", "clients"},
	{"socialprescribing", "referrals"},
	{"socialprescribing", "contacts"},
	{"socialprescribing", "wellbeing"},
	{"gp", "medications"},
	{"gp", "allergies"},
	{"gp", "problems"},
	{"acute", "patients"},
	{"acute", "encounters"},
	{"mentalhealth", "encounters"},
	{"mentalhealth", "conditions"},
	{"mentalhealth", "medications"},
	{"mentalhealth", "allergies"},
	{"socialcare", "people"},
	{"socialcare", "care_packages"},
	{"socialcare", "safeguarding_referrals"},
}

// Options say what to build and where.
type Options struct {
	Lake     string
	Manifest *extract.Manifest   // the run being loaded (the last of Runs)
	Runs     []*extract.Manifest // every complete run since the last full one
	IndexRun string              // person index run id in the lake
	Systems  map[string]string   // source name → system
	// Keys gives, for database sources, each entity's key columns: such
	// entities land changed rows only, and the latest row per key is current.
	Keys      map[string]map[string][]string
	Warehouse string // path of the published warehouse file
	TimeZone  string // region time zone for calendar months
	// MemoryLimit is DuckDB's memory_limit, e.g. "4GB"; empty leaves DuckDB's default.
	MemoryLimit string
	Logger      *slog.Logger
	// Checkpoint, if set, is called with "sql/FILE" after each SQL file and
	// with "publish" just before the rename. Fault-injection tests use it.
	Checkpoint func(stage string)
	// Full builds every table from the lake even when the previous
	// warehouse could be updated in place (see inPlaceBase).
	Full bool
}

// Build builds a new warehouse and publishes it over opt.Warehouse.
func Build(ctx context.Context, opt Options) error {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(opt.Warehouse), 0o700); err != nil {
		return fmt.Errorf("creating warehouse directory: %w", err)
	}
	building := opt.Warehouse + ".building"
	for _, p := range []string{building, building + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale build: %w", err)
		}
	}
	base, why := inPlaceBase(ctx, opt)
	if err := buildInPlaceOrFull(ctx, log, "warehouse", opt.Warehouse, building, base, why, func(inPlace bool, why string) error {
		return build(ctx, building, opt, inPlace, why, log)
	}); err != nil {
		return err
	}
	if err := os.Chmod(building, 0o600); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		os.Remove(building)
		return err
	}
	if opt.Checkpoint != nil {
		opt.Checkpoint("publish")
	}
	if err := os.Rename(building, opt.Warehouse); err != nil {
		return fmt.Errorf("publishing warehouse: %w", err)
	}
	if d, err := os.Open(filepath.Dir(opt.Warehouse)); err == nil {
		d.Sync()
		d.Close()
	}
	log.Info("warehouse published", "path", opt.Warehouse)
	return nil
}

func build(ctx context.Context, file string, opt Options, inPlace bool, why string, log *slog.Logger) (err error) {
	// The file is made owner-only before publishing; main also sets umask 077.
	db, err := sql.Open("duckdb", file)
	if err != nil {
		return fmt.Errorf("opening new warehouse: %w", err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing warehouse: %w", cerr)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	exec := func(what, q string, args ...any) error {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	tz, err := QuoteLiteral(opt.TimeZone)
	if err != nil {
		return err
	}
	if err := exec("setting region time zone", "SET VARIABLE region_timezone = "+tz); err != nil {
		return err
	}
	if opt.MemoryLimit != "" {
		ml, err := QuoteLiteral(opt.MemoryLimit)
		if err != nil {
			return err
		}
		if err := exec("setting memory limit", "SET memory_limit = "+ml); err != nil {
			return err
		}
	}
	// On a night in place, the kept tables that must still be built in
	// full (rebuiltInFull) are dropped with the rest, and their SQL makes
	// them in full.
	run, accessRun := "NULL", "NULL"
	var rebuild map[string]string
	if inPlace {
		rebuild = rebuiltInFull(opt)
		keep := maps.Clone(inPlaceTables)
		maps.Copy(keep, keptTables)
		for t := range rebuild {
			delete(keep, t)
		}
		for _, t := range slices.Sorted(maps.Keys(rebuild)) {
			log.Info("building a table in full", "table", t, "reason", rebuild[t])
			why += "; " + t + " built in full: " + rebuild[t]
		}
		if err := dropAllBut(ctx, conn, keep); err != nil {
			return err
		}
		if run, err = QuoteLiteral(opt.Manifest.RunID); err != nil {
			return err
		}
		if _, full := rebuild["core.record_access"]; !full {
			accessRun = run
		}
	}
	if err := exec("naming the run updated in place", "SET VARIABLE incremental_run = "+run); err != nil {
		return err
	}
	// The run whose record views alone are read, when core.record_access
	// is updated in place (int_access_events_deduplicated.sql).
	if err := exec("naming the run of the record views added in place", "SET VARIABLE record_access_run = "+accessRun); err != nil {
		return err
	}
	for _, s := range append(append([]string{}, workSchemas...), "core", "marts", "meta") {
		if err := exec("creating schema "+s, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
			return err
		}
	}
	// Every core and marts table is made with an ORDER BY, which DuckDB
	// honours whatever this says (TestEveryPublishedTableIsOrdered), meta
	// gets its rows one INSERT at a time, and the intermediate tables'
	// order matters to no one.
	if err := exec("allowing reordering", "SET preserve_insertion_order = false"); err != nil {
		return err
	}
	if err := exec("attaching the work database", "ATTACH ':memory:' AS "+workDatabase); err != nil {
		return err
	}
	if err := landingViews(ctx, conn, opt); err != nil {
		return err
	}
	for _, layer := range Layers {
		names, err := fs.Glob(sqlfiles.FS, layer+"/*.sql")
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, name := range names {
			t0 := time.Now()
			run := name
			if inPlace && inPlaceTables[strings.TrimSuffix(strings.ReplaceAll(name, "/", "."), ".sql")] {
				run = "incremental/" + strings.ReplaceAll(name, "/", "__")
			}
			text, err := fs.ReadFile(sqlfiles.FS, run)
			if err != nil {
				return err
			}
			if err := exec("running sql/"+run, string(text)); err != nil {
				return err
			}
			log.Debug("sql done", "file", name, "seconds", time.Since(t0).Seconds())
			if opt.Checkpoint != nil {
				opt.Checkpoint("sql/" + name)
			}
		}
	}
	if err := recordRun(ctx, conn, opt); err != nil {
		return err
	}
	var from any // NULL for a full build
	if inPlace {
		from = opt.Runs[len(opt.Runs)-2].RunID
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO meta.build VALUES (?, ?, ?, ?)", SQLVersion(), inPlace, why, from); err != nil {
		return fmt.Errorf("recording how the warehouse was built: %w", err)
	}
	if err := exec("detaching the work database", "DETACH "+workDatabase); err != nil {
		return err
	}
	for _, s := range workSchemas {
		if err := exec("dropping working schema "+s, "DROP SCHEMA "+s+" CASCADE"); err != nil {
			return err
		}
	}
	return exec("checkpointing", "CHECKPOINT")
}

// landingViews creates landing.<system>__<entity> over the run's files of
// every source of that system, and landing.person_link over the index.
func landingViews(ctx context.Context, conn *sql.Conn, opt Options) error {
	runs := opt.Runs
	if len(runs) == 0 {
		runs = []*extract.Manifest{opt.Manifest}
	}
	files := map[string][]string{}
	feeds := map[string][]extract.Landing{} // file feeds' landings, filtered below
	rowKeys := map[string][]string{}
	var names []string
	for _, s := range opt.Manifest.Sources {
		sys, ok := opt.Systems[s.Name]
		if !ok {
			return fmt.Errorf("run %s has source %s, which the configuration does not name", opt.Manifest.RunID, s.Name)
		}
		for _, e := range s.Entities {
			k := sys + "__" + e.Entity
			if _, ok := files[k]; !ok {
				names = append(names, k)
			}
			el := extract.EntityLanding(runs, s.Name, e.Entity)
			if key := opt.Keys[s.Name][e.Entity]; len(key) > 0 {
				rowKeys[k] = key
				files[k] = append(files[k], el.Files...)
			} else {
				files[k] = append(files[k], el.Files...)
				feeds[k] = append(feeds[k], el)
			}
		}
	}
	for _, re := range RequiredEntities {
		if len(files[re[0]+"__"+re[1]]) == 0 {
			return fmt.Errorf("run %s landed no %s entity from a %s source; the warehouse needs it", opt.Manifest.RunID, re[1], re[0])
		}
	}
	// File feeds whose current files hold no superseded row need no filter.
	wholeFeeds := map[string]bool{}
	for k, ls := range feeds {
		if _, keyed := rowKeys[k]; keyed {
			continue // the view keeps the latest row per key: every landing counts
		}
		files[k] = nil
		whole := true
		for _, l := range ls {
			cur, w, err := currentFiles(opt.Lake, l)
			if err != nil {
				return err
			}
			files[k] = append(files[k], cur...)
			whole = whole && w
		}
		if whole {
			wholeFeeds[k] = true
		}
	}
	sort.Strings(names)
	for _, k := range names {
		if len(files[k]) == 0 {
			continue
		}
		src, err := readParquet(opt.Lake, files[k])
		if err != nil {
			return err
		}
		var body string
		if key := rowKeys[k]; len(key) > 0 {
			// Database feeds land changed rows each run: the latest version
			// of each key is current.
			part := []string{"_source"}
			for _, c := range key {
				q, err := QuoteIdent(c)
				if err != nil {
					return err
				}
				part = append(part, q)
			}
			body = "SELECT * FROM " + src + " QUALIFY row_number() OVER (PARTITION BY " + strings.Join(part, ", ") + " ORDER BY _run_id DESC) = 1"
		} else {
			body = fileFeedView(src, wholeFeeds[k])
		}
		if err := createView(ctx, conn, k, body); err != nil {
			return err
		}
	}
	src, err := readParquet(opt.Lake, []string{path.Clean(filepath.ToSlash(personindex.LinkFile(opt.IndexRun)))})
	if err != nil {
		return err
	}
	if err := createView(ctx, conn, "person_link", "SELECT * FROM "+src); err != nil {
		return err
	}
	for name, file := range map[string]string{"person_match": personindex.PairsFile(opt.IndexRun), "person_change": personindex.ChangesFile(opt.IndexRun)} {
		src, err := readParquet(opt.Lake, []string{filepath.ToSlash(file)})
		if err != nil {
			return err
		}
		if err := createView(ctx, conn, name, "SELECT * FROM "+src); err != nil {
			return err
		}
	}
	// The records whose person changed since the last index, when the
	// index listed them: an in-place build moves their encounters and
	// record views. Without the list (a first index) the view is empty: a
	// full build reads it too (core/record_access.sql), with nothing to
	// move.
	moved := personindex.MovedFile(opt.IndexRun)
	body := "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS entity, CAST(NULL AS VARCHAR) AS record_key, " +
		"CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS BIGINT) AS previous_person_id WHERE false"
	if _, err := os.Stat(filepath.Join(opt.Lake, moved)); err == nil {
		src, err := readParquet(opt.Lake, []string{filepath.ToSlash(moved)})
		if err != nil {
			return err
		}
		body = "SELECT * FROM " + src
	}
	return createView(ctx, conn, "person_moved", body)
}

// fileFeedView is the body of a file feed's landing view over src: each
// source file's rows from the run that last landed it, older landings of
// the same file being superseded. When every file of src is whole (none
// of its source files was landed twice, as a hospital's daily ADT files,
// or older landings are in files of their own, left out by currentFiles,
// as a GP extract sent whole every night) every row is current and the
// view reads them as they are: the filter is a window over every row,
// which costs more with every month of history.
func fileFeedView(src string, whole bool) string {
	if whole {
		return "SELECT * FROM " + src
	}
	return "SELECT * EXCLUDE (_latest_run) FROM (SELECT *, max(_run_id) OVER (PARTITION BY _source, _source_file) AS _latest_run FROM " + src + ") WHERE _run_id = _latest_run"
}

// currentFiles returns the landing's files that may hold current rows: a
// file feed's snapshot landed again every night leaves a file per night in
// the lake, and only the last holds current rows. Files whose every row
// group, by its statistics, holds rows of a superseded landing are left
// out (the view's filter still decides row by row for the rest), so a
// night reads what is current, not every earlier landing. If none is left
// (a file re-landed without rows), all are kept for the filter to decide.
// It also says whether every file returned is whole (Landing.Whole): then
// the view needs no filter.
func currentFiles(lake string, l extract.Landing) ([]string, bool, error) {
	var out []string
	whole := true
	for i, f := range l.Files {
		rgs, err := extract.CurrentRowGroups(filepath.Join(lake, filepath.FromSlash(f)), l.LatestRun)
		if err != nil {
			return nil, false, fmt.Errorf("reading the landing: %w", err)
		}
		if len(rgs) > 0 {
			out = append(out, f)
			whole = whole && i < len(l.Whole) && l.Whole[i]
		}
	}
	if len(out) == 0 {
		return l.Files, false, nil
	}
	return out, whole, nil
}

// readParquet is a read_parquet call over lake files, quoted.
func readParquet(lake string, files []string) (string, error) {
	lits := make([]string, len(files))
	for i, p := range files {
		l, err := QuoteLiteral(filepath.Join(lake, filepath.FromSlash(p)))
		if err != nil {
			return "", err
		}
		lits[i] = l
	}
	return fmt.Sprintf("read_parquet([%s], union_by_name = true)", strings.Join(lits, ", ")), nil
}

func createView(ctx context.Context, conn *sql.Conn, name, body string) error {
	ident, err := QuoteIdent(name)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE VIEW landing."+ident+" AS "+body); err != nil {
		return fmt.Errorf("creating landing view %s: %w", name, err)
	}
	return nil
}

func recordRun(ctx context.Context, conn *sql.Conn, opt Options) error {
	m := opt.Manifest
	var read, landed, rejected int64
	for _, s := range m.Sources {
		var bytes int64
		for _, in := range s.Inputs {
			bytes += in.Bytes
		}
		for _, e := range s.Entities {
			read += e.Read
			landed += e.Landed
			rejected += e.Rejected
			if _, err := conn.ExecContext(ctx, "INSERT INTO meta.source_counts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				m.RunID, s.Name, opt.Systems[s.Name], e.Entity, e.Read, e.Landed, e.Rejected, len(s.Inputs), bytes); err != nil {
				return fmt.Errorf("recording source counts: %w", err)
			}
			reasons := make([]string, 0, len(e.RejectsByReason))
			for r := range e.RejectsByReason {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			for _, r := range reasons {
				if _, err := conn.ExecContext(ctx, "INSERT INTO meta.reject_counts VALUES (?, ?, ?, ?, ?)",
					m.RunID, s.Name, e.Entity, r, e.RejectsByReason[r]); err != nil {
					return fmt.Errorf("recording reject counts: %w", err)
				}
			}
		}
	}
	_, err := conn.ExecContext(ctx, "INSERT INTO meta.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		m.RunID, m.StartedAt, m.FinishedAt, opt.IndexRun, len(m.Sources), read, landed, rejected)
	if err != nil {
		return fmt.Errorf("recording run: %w", err)
	}
	return nil
}
