package load

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	sqlfiles "github.com/sharedcare/sharedcare/sql"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// inPlaceTables are the tables a night may carry over from the previous
// night's warehouse and change only where the night's data touches them,
// each by sql/incremental/<schema>__<table>.sql in place of
// <schema>/<table>.sql (and in the analytics database by
// sql/incremental/analytics__<schema>__<table>.sql): core.encounter, which
// rolls up every hospital message ever landed, so that building it in
// full costs more each month.
var inPlaceTables = map[string]bool{"core.encounter": true}

// keptTables are carried over from the previous night's warehouse too,
// and their own SQL, which makes them in full in a full build, adds or
// makes again only what the night changed: core.record_access (every
// record view ever logged) adds the night's events and repoints those
// whose person changed, and the usage marts that read it the most make
// again only the months from the earliest one the night changed.
// meta.usage_org_types holds the organisation types those marts were made
// with, which tonight's are compared with. A table rebuiltInFull names is
// not kept, and its SQL makes it in full. Every other table is built in
// full.
var keptTables = map[string]bool{
	"core.record_access":    true,
	"marts.usage_by_reason": true, "marts.usage_by_role": true, "marts.usage_by_section": true,
	"meta.usage_org_types": true,
}

// analyticsInPlaceTables are the analytics database's tables a night may
// carry over from the previous night's and change only where the
// warehouse changed, by sql/incremental/analytics__<schema>__<table>.sql.
// analyticsKeptTables are carried over too, and their own SQL makes again
// only what the night changed (the variable analytics_in_place says when).
// Its marts are copies of the warehouse's, made again each night.
var (
	analyticsInPlaceTables = map[string]bool{"core.encounter": true}
	analyticsKeptTables    = map[string]bool{"core.record_access": true}
)

// encounterFeeds and accessFeeds are the landing views (system__entity)
// core.encounter and core.record_access are made from.
var (
	encounterFeeds = []string{"acute__encounters", "mentalhealth__encounters"}
	accessFeeds    = []string{"portal__access_events"}
)

// SQLVersion is the SHA-256 of every SQL file the warehouse is built with:
// a warehouse is only updated in place by a build of the same version.
var SQLVersion = sync.OnceValue(func() string {
	h := sha256.New()
	names, _ := fs.Glob(sqlfiles.FS, "*/*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(sqlfiles.FS, n)
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
})

// inPlaceBase says whether the build may start from a copy of the published
// warehouse and update inPlaceTables in place: it returns the run that
// warehouse was built from, or "" and why not. The previous warehouse must
// have been built, by this SQL version, from the run just before this one
// in the same chain since the last full run; and tonight's run must only
// have added to the encounter feeds (feedsOnlyAdded). The record views'
// feeds decide only whether core.record_access is built in full
// (rebuiltInFull).
func inPlaceBase(ctx context.Context, opt Options) (string, string) {
	switch {
	case opt.Full:
		return "", "a full build was asked for"
	case opt.Manifest.Full:
		return "", "a full run"
	case len(opt.Runs) < 2 || opt.Runs[len(opt.Runs)-1].RunID != opt.Manifest.RunID:
		return "", "no earlier run since the last full one"
	}
	if _, err := os.Stat(opt.Warehouse); err != nil {
		return "", "no published warehouse"
	}
	if why := feedsOnlyAdded(opt, encounterFeeds, "encounters"); why != "" {
		return "", why
	}
	prev := opt.Runs[len(opt.Runs)-2]

	db, err := sql.Open("duckdb", opt.Warehouse+"?access_mode=read_only")
	if err != nil {
		return "", "the published warehouse cannot be opened: " + err.Error()
	}
	defer db.Close()
	var run, indexRun, version string
	if err := db.QueryRowContext(ctx, "SELECT run_id, index_run_id FROM meta.runs").Scan(&run, &indexRun); err != nil {
		return "", "the published warehouse has no run: " + err.Error()
	}
	if run != prev.RunID {
		return "", "the published warehouse was built from run " + run + ", not the last run " + prev.RunID
	}
	if err := db.QueryRowContext(ctx, "SELECT sql_version FROM meta.build").Scan(&version); err != nil || version != SQLVersion() {
		return "", "the published warehouse was built by other SQL"
	}
	// Encounters and record views are moved to their new person by the
	// records the person index says changed person since the index the
	// published warehouse was built from.
	switch from, listed, err := personindex.MovedFrom(opt.Lake, opt.IndexRun); {
	case err != nil:
		return "", err.Error()
	case !listed:
		return "", "the person index did not list the records that changed person"
	case from != indexRun:
		return "", "the person index was compared with index run " + from + ", not with " + indexRun + ", which the published warehouse was built from"
	}
	return run, ""
}

// rebuiltInFull returns the kept tables that a night updating the
// warehouse in place must still build in full, each with why:
// core.record_access when tonight's run did more than add to the record
// views' feeds (a portal audit file landed again supersedes events the
// table holds). The rest of the warehouse is still updated in place.
func rebuiltInFull(opt Options) map[string]string {
	out := map[string]string{}
	if why := feedsOnlyAdded(opt, accessFeeds, "record views"); why != "" {
		out["core.record_access"] = why
	}
	return out
}

// feedsOnlyAdded says why tonight's run did more than add rows to the
// landing views named (system__entity), or "" when it only added: their
// sources (named by the configuration, so a source that sent nothing
// tonight still counts) must be those of the previous run, none keyed (a
// database table's rows change where they are), and none may have landed
// a file again (its new landing supersedes rows the previous warehouse
// holds). what names the rows in the reason.
func feedsOnlyAdded(opt Options, views []string, what string) string {
	prev := opt.Runs[len(opt.Runs)-2]
	feedSource := func(name string) bool {
		for _, view := range views {
			if sys, _, _ := strings.Cut(view, "__"); sys == opt.Systems[name] {
				return true
			}
		}
		return false
	}
	landedBefore := map[string]bool{}
	for _, m := range opt.Runs[:len(opt.Runs)-1] {
		for _, s := range m.Sources {
			for _, in := range s.Inputs {
				if in.LandedIn == "" {
					landedBefore[s.Name+"\x00"+in.File] = true
				}
			}
		}
	}
	var now, before []string
	for _, s := range opt.Manifest.Sources {
		if !feedSource(s.Name) {
			continue
		}
		now = append(now, s.Name)
		for entity, key := range opt.Keys[s.Name] {
			if slices.Contains(views, opt.Systems[s.Name]+"__"+entity) && len(key) > 0 {
				return "source " + s.Name + " sends " + what + " as a database table"
			}
		}
		for _, in := range s.Inputs {
			if in.LandedIn == "" && landedBefore[s.Name+"\x00"+in.File] {
				return "source " + s.Name + " landed a file again (" + in.File + ")"
			}
		}
	}
	for _, s := range prev.Sources {
		if feedSource(s.Name) {
			before = append(before, s.Name)
		}
	}
	sort.Strings(now)
	sort.Strings(before)
	if !slices.Equal(now, before) {
		return "the sources of " + what + " changed since the last run"
	}
	return ""
}

// dropAllBut drops, in a copy of the previous warehouse, every table and
// view but those kept, and checkpoints, so that the tables built again
// reuse the space of the old ones and the file does not grow night by
// night.
func dropAllBut(ctx context.Context, conn *sql.Conn, keep ...map[string]bool) error {
	rows, err := conn.QueryContext(ctx, `
		SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() WHERE database_name = current_database()
		UNION ALL
		SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
		ORDER BY 3 DESC, 1, 2`) // views first
	if err != nil {
		return fmt.Errorf("listing the previous warehouse: %w", err)
	}
	var drops []string
	for rows.Next() {
		var schema, name, kind string
		if err := rows.Scan(&schema, &name, &kind); err != nil {
			rows.Close()
			return err
		}
		if slices.ContainsFunc(keep, func(k map[string]bool) bool { return k[schema+"."+name] }) {
			continue
		}
		q, err := qualified(schema, name)
		if err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, "DROP "+kind+" "+q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range append(drops, "CHECKPOINT") {
		if _, err := conn.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("clearing the copy of the previous warehouse: %s: %w", d, err)
		}
	}
	return nil
}

// buildInPlaceOrFull builds a database (what: "warehouse" or "analytics
// database") into building: from a copy of published, updated in place,
// when base names the run published was built from, and in full
// otherwise, with why recorded. An in-place update that fails for any
// reason but cancellation is logged and the database built in full: a
// night must not fail for want of a shortcut. The error is not recorded in
// the database (meta.build is copied into the analytics database). On
// error, building is removed.
func buildInPlaceOrFull(ctx context.Context, log *slog.Logger, what, published, building, base, why string, build func(inPlace bool, why string) error) error {
	remove := func() {
		os.Remove(building)
		os.Remove(building + ".wal")
	}
	if base != "" {
		log.Info("updating the previous "+what+" in place", "from_run", base)
		err := copyFile(published, building)
		if err == nil {
			err = build(true, "updated in place from the "+what+" of run "+base)
		}
		if err == nil {
			return nil
		}
		remove()
		if ctx.Err() != nil {
			return err
		}
		log.Warn("updating the previous "+what+" in place failed; building it in full", "error", err.Error())
		why = "updating the previous " + what + " in place failed (the run's log says why)"
	}
	log.Info("building the "+what+" in full", "reason", why)
	if err := build(false, why); err != nil {
		remove()
		return err
	}
	return nil
}

// copyFile copies the file at src to dst (created owner-only), and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close() // read only
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
