package load

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	sqlfiles "github.com/sharedcare/sharedcare/sql"
)

// AnalyticsOptions tune BuildAnalytics.
type AnalyticsOptions struct {
	// MemoryLimit is DuckDB's memory_limit, e.g. "4GB"; empty leaves DuckDB's default.
	MemoryLimit string
	Logger      *slog.Logger
	// Checkpoint, if set, is called with "sql/FILE" after each SQL file
	// (the pipeline reports progress with it).
	Checkpoint func(stage string)
}

// analyticsSchemas are the schemas of the analytics database, named as in
// the warehouse so that analysts' queries read alike against both.
var analyticsSchemas = []string{"core", "marts", "meta"}

// BuildAnalytics builds the pseudonymised analytics database from the
// warehouse at warehousePath (attached read-only; the published file or one
// just built) and publishes it over analyticsPath: it is built in
// analyticsPath+".building", made owner-only (0600) and renamed into place,
// so a reader never sees a half-built file and one that has the old file
// open keeps reading it.
//
// What it holds: every table sql/analytics/<schema>__<table>.sql makes
// (core tables without names, addresses, phone numbers, emails, NHS numbers,
// record keys or free text; persons as keyed pseudonyms; dates of birth as
// year and five-year age band; postcodes as districts) — a file whose
// warehouse table is absent is skipped — and a copy of every marts and meta
// table and view of the warehouse (aggregates and run records). Every table
// and column carries a comment, its own or the warehouse's; a build that
// would leave one without fails. Files named temp__<table>.sql run first
// and make temporary tables the others share, not kept in the database:
// each person's pseudonym, computed once from the warehouse's core.person.
//
// Pseudonyms are hex(HMAC-SHA-256(key, input)) computed in Go through a
// scalar function registered on the build's connection; the key is never
// written to the database, the log or an error. key must be at least
// MinKeyBytes long (see LoadKey).
func BuildAnalytics(ctx context.Context, warehousePath, analyticsPath string, key []byte, opt AnalyticsOptions) error {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(key) < MinKeyBytes {
		return fmt.Errorf("building analytics: pseudonymisation key has %d bytes, want at least %d", len(key), MinKeyBytes)
	}
	if _, err := os.Stat(warehousePath); err != nil {
		return fmt.Errorf("building analytics: no warehouse: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(analyticsPath), 0o700); err != nil {
		return fmt.Errorf("creating analytics directory: %w", err)
	}
	building := analyticsPath + ".building"
	for _, p := range []string{building, building + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale analytics build: %w", err)
		}
	}
	fail := func(err error) error {
		os.Remove(building)
		os.Remove(building + ".wal")
		return err
	}
	base, why := analyticsInPlaceBase(ctx, warehousePath, analyticsPath, key)
	if err := buildInPlaceOrFull(ctx, log, "analytics database", analyticsPath, building, base, why, func(inPlace bool, why string) error {
		return buildAnalytics(ctx, building, warehousePath, key, opt, inPlace, why, log)
	}); err != nil {
		return err
	}
	if err := os.Chmod(building, 0o600); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := os.Rename(building, analyticsPath); err != nil {
		return fail(fmt.Errorf("publishing analytics database: %w", err))
	}
	if d, err := os.Open(filepath.Dir(analyticsPath)); err == nil {
		d.Sync()
		d.Close()
	}
	log.Info("analytics database published", "path", analyticsPath)
	return nil
}

// analyticsKeyCheck is a pseudonym of a fixed input, kept in the analytics
// database: an in-place update uses the same key as the database it
// updates, or every pseudonym would be wrong. It reveals nothing of the key.
func analyticsKeyCheck(key []byte) string { return Pseudonym(key, "sharedcare:analytics-key-check") }

// analyticsInPlaceBase says whether the analytics build may start from a
// copy of the published analytics database and update its core.encounter
// in place: it returns the run that database was built from, or "" and
// why not. The warehouse must have been updated in place from that run's
// warehouse (its meta.encounter_changed_rows and encounter_moved_rows say
// what changed since), and
// the analytics database built by the same SQL and with the same key.
func analyticsInPlaceBase(ctx context.Context, warehousePath, analyticsPath string, key []byte) (string, string) {
	if _, err := os.Stat(analyticsPath); err != nil {
		return "", "no published analytics database"
	}
	wh, err := sql.Open("duckdb", warehousePath+"?access_mode=read_only")
	if err != nil {
		return "", "the warehouse cannot be opened: " + err.Error()
	}
	var updated bool
	var from sql.NullString
	err = wh.QueryRowContext(ctx, "SELECT updated_in_place, from_run FROM meta.build").Scan(&updated, &from)
	wh.Close()
	if err != nil || !updated || !from.Valid {
		return "", "the warehouse was built in full"
	}
	an, err := sql.Open("duckdb", analyticsPath+"?access_mode=read_only")
	if err != nil {
		return "", "the analytics database cannot be opened: " + err.Error()
	}
	defer an.Close()
	var run, version, check string
	if err := an.QueryRowContext(ctx, "SELECT run_id FROM meta.runs").Scan(&run); err != nil || run != from.String {
		return "", "the analytics database is not of the run the warehouse was updated from"
	}
	if err := an.QueryRowContext(ctx, "SELECT sql_version FROM meta.build").Scan(&version); err != nil || version != SQLVersion() {
		return "", "the analytics database was built by other SQL"
	}
	if err := an.QueryRowContext(ctx, "SELECT key_check FROM meta.analytics_build").Scan(&check); err != nil || check != analyticsKeyCheck(key) {
		return "", "the analytics database was built with another key"
	}
	return run, ""
}

func buildAnalytics(ctx context.Context, file, warehousePath string, key []byte, opt AnalyticsOptions, inPlace bool, why string, log *slog.Logger) (err error) {
	db, err := sql.Open("duckdb", file)
	if err != nil {
		return fmt.Errorf("opening new analytics database: %w", err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing analytics database: %w", cerr)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	exec := func(what, q string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if inPlace {
		if err := dropAllBut(ctx, conn, analyticsInPlaceTables, analyticsKeptTables); err != nil {
			return err
		}
	}
	if err := exec("saying whether the build is in place", fmt.Sprintf("SET VARIABLE analytics_in_place = %t", inPlace)); err != nil {
		return err
	}
	if err := duckdb.RegisterScalarUDF(conn, "pseudonym", pseudonymUDF{p: newPseudonymiser(key)}); err != nil {
		return fmt.Errorf("registering the pseudonym function: %w", err)
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
	whLit, err := QuoteLiteral(warehousePath)
	if err != nil {
		return err
	}
	if err := exec("attaching the warehouse", "ATTACH "+whLit+" AS wh (READ_ONLY)"); err != nil {
		return err
	}
	for _, s := range analyticsSchemas {
		if err := exec("creating schema "+s, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
			return err
		}
	}
	have, err := warehouseRelations(ctx, conn)
	if err != nil {
		return err
	}

	// Pseudonymised tables, one file each. Files of the temp schema make
	// temporary tables the others share (such as every person's pseudonym,
	// computed once): they run first, always, and vanish with the
	// connection.
	names, err := fs.Glob(sqlfiles.FS, "analytics/*.sql")
	if err != nil {
		return err
	}
	sort.SliceStable(names, func(i, j int) bool {
		ti, tj := strings.HasPrefix(path.Base(names[i]), "temp__"), strings.HasPrefix(path.Base(names[j]), "temp__")
		if ti != tj {
			return ti
		}
		return names[i] < names[j]
	})
	// Every one of these files orders its table, which DuckDB honours with
	// this off; the copies below keep the warehouse's order, so it is reset.
	if err := exec("allowing reordering", "SET preserve_insertion_order = false"); err != nil {
		return err
	}
	made := map[string]bool{}
	for _, name := range names {
		schema, table, ok := strings.Cut(strings.TrimSuffix(path.Base(name), ".sql"), "__")
		if !ok {
			return fmt.Errorf("sql/%s: name is not <schema>__<table>.sql", name)
		}
		if schema != "temp" && !have[schema+"."+table] {
			log.Debug("analytics table skipped: not in the warehouse", "table", schema+"."+table)
			continue
		}
		t0 := time.Now()
		run := name
		if inPlace && analyticsInPlaceTables[schema+"."+table] {
			run = "incremental/analytics__" + schema + "__" + table + ".sql"
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
		if schema != "temp" {
			made[schema+"."+table] = true
		}
	}

	if err := exec("keeping order", "RESET preserve_insertion_order"); err != nil {
		return err
	}

	// Marts and meta are aggregates and run records: copied as they are.
	var copies []string
	for rel := range have {
		if s, _, _ := strings.Cut(rel, "."); (s == "marts" || s == "meta") && !made[rel] {
			copies = append(copies, rel)
		}
	}
	sort.Strings(copies)
	for _, rel := range copies {
		s, t, _ := strings.Cut(rel, ".")
		qs, err := QuoteIdent(s)
		if err != nil {
			return err
		}
		qt, err := QuoteIdent(t)
		if err != nil {
			return err
		}
		if err := exec("copying "+rel, "CREATE TABLE "+qs+"."+qt+" AS SELECT * FROM wh."+qs+"."+qt); err != nil {
			return err
		}
	}
	for _, q := range []string{
		"CREATE TABLE meta.analytics_build (key_check VARCHAR NOT NULL, updated_in_place BOOLEAN NOT NULL, reason VARCHAR NOT NULL)",
		"COMMENT ON TABLE meta.analytics_build IS 'How this analytics database was built: in full from the warehouse, or by updating the previous night''s in place (core.encounter and core.record_access).'",
		"COMMENT ON COLUMN meta.analytics_build.key_check IS 'A pseudonym of a fixed text: an in-place update needs the key this database was built with. It reveals nothing of the key.'",
		"COMMENT ON COLUMN meta.analytics_build.updated_in_place IS 'True when core.encounter and core.record_access were carried over from the previous analytics database and changed only where the warehouse changed (meta.encounter_changed_rows and encounter_moved_rows, meta.record_access_changed_from).'",
		"COMMENT ON COLUMN meta.analytics_build.reason IS 'Why the build was in full, or what the in-place update started from.'",
	} {
		if err := exec("recording how the analytics database was built", q); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO meta.analytics_build VALUES (?, ?, ?)", analyticsKeyCheck(key), inPlace, why); err != nil {
		return fmt.Errorf("recording how the analytics database was built: %w", err)
	}
	if err := inheritComments(ctx, conn); err != nil {
		return err
	}
	if err := exec("detaching the warehouse", "DETACH wh"); err != nil {
		return err
	}
	return exec("checkpointing", "CHECKPOINT")
}

// warehouseRelations lists the attached warehouse's tables and views as
// "schema.name".
func warehouseRelations(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'wh'
		UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE database_name = 'wh' AND NOT internal`)
	if err != nil {
		return nil, fmt.Errorf("listing warehouse tables: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// inheritComments gives every analytics table and column without a comment
// the warehouse's comment for the same schema, table and column, then fails
// if any is still without one.
func inheritComments(ctx context.Context, conn *sql.Conn) error {
	type stmt struct{ target, comment string }
	var todo []stmt
	rows, err := conn.QueryContext(ctx, `
		SELECT a.schema_name, a.table_name, NULL, w.comment
		FROM duckdb_tables() a
		JOIN (SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = 'wh'
		      UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views() WHERE database_name = 'wh') w
		  ON w.schema_name = a.schema_name AND w.table_name = a.table_name
		WHERE a.database_name = current_database() AND coalesce(a.comment, '') = '' AND coalesce(w.comment, '') <> ''
		UNION ALL
		SELECT a.schema_name, a.table_name, a.column_name, w.comment
		FROM duckdb_columns() a
		JOIN duckdb_columns() w
		  ON w.database_name = 'wh' AND w.schema_name = a.schema_name AND w.table_name = a.table_name AND w.column_name = a.column_name
		WHERE a.database_name = current_database() AND coalesce(a.comment, '') = '' AND coalesce(w.comment, '') <> ''
		ORDER BY ALL`)
	if err != nil {
		return fmt.Errorf("reading warehouse comments: %w", err)
	}
	for rows.Next() {
		var s, t string
		var c sql.NullString
		var comment string
		if err := rows.Scan(&s, &t, &c, &comment); err != nil {
			rows.Close()
			return err
		}
		target, err := qualified(s, t, c.String)
		if err != nil {
			rows.Close()
			return err
		}
		kind := "TABLE "
		if c.Valid {
			kind = "COLUMN "
		}
		todo = append(todo, stmt{kind + target, comment})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, st := range todo {
		lit, err := QuoteLiteral(st.comment)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMENT ON "+st.target+" IS "+lit); err != nil {
			return fmt.Errorf("commenting %s: %w", st.target, err)
		}
	}
	var missing []string
	rows, err = conn.QueryContext(ctx, `
		SELECT schema_name || '.' || table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND coalesce(comment, '') = ''
		UNION ALL
		SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
		WHERE database_name = current_database() AND coalesce(comment, '') = ''
		ORDER BY ALL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		missing = append(missing, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("analytics database: %d tables or columns without a comment (give them one in sql/analytics): %s", len(missing), strings.Join(missing, ", "))
	}
	return nil
}

// qualified quotes schema.table or schema.table.column.
func qualified(parts ...string) (string, error) {
	var q []string
	for _, p := range parts {
		if p == "" {
			continue
		}
		s, err := QuoteIdent(p)
		if err != nil {
			return "", err
		}
		q = append(q, s)
	}
	return strings.Join(q, "."), nil
}

// pseudonymUDF is the SQL function pseudonym(VARCHAR) → VARCHAR, the
// hex HMAC-SHA-256 of its argument under the key (NULL in, NULL out).
type pseudonymUDF struct{ p *pseudonymiser }

func (u pseudonymUDF) Config() duckdb.ScalarFuncConfig {
	vc, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		panic(err) // VARCHAR is always a valid type; a failure is a bug
	}
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{vc}, ResultTypeInfo: vc}
}

func (u pseudonymUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(v []driver.Value) (any, error) {
		s, ok := v[0].(string)
		if !ok {
			return nil, fmt.Errorf("pseudonym: argument of type %T, want VARCHAR", v[0])
		}
		return u.p.pseudonym(s), nil
	}}
}
