package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/audit"
	"github.com/sharedcare/sharedcare/extract/csv"
	"github.com/sharedcare/sharedcare/extract/fhir"
	"github.com/sharedcare/sharedcare/extract/hl7"
	"github.com/sharedcare/sharedcare/extract/postgres"
	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// RunCmd runs the nightly pipeline.
type RunCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	Full   bool   `help:"Re-extract every source in full (land files even when unchanged since an earlier run, and ignore database watermarks) and build every warehouse table in full."`
}

// Run implements `sharedcare run`.
func (c *RunCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	return tracked(ctx, cfg, log, runInfo{Command: "run", Trigger: history.Manual}, func(ctx context.Context, rec *history.Record) error {
		_, err := runPipeline(ctx, cfg, log, time.Now, runOptions{Full: c.Full, Steps: stepRecorder{rec: rec}})
		return err
	})
}

// runSummary says what a pipeline run did.
type runSummary struct {
	Manifest  *extract.Manifest
	Index     personindex.Stats
	Warehouse string
}

// sourceFor wires one configured source to its connector.
func sourceFor(cfg *config.Config, s config.Source, log *slog.Logger) (extract.Source, error) {
	root := cfg.Path(s.Path)
	switch s.Kind {
	case config.KindAuditJSONL:
		return audit.New(root, s.Files)
	case config.KindCSV:
		var ents []csv.Entity
		for _, e := range s.Entities {
			ce := csv.Entity{Entity: e.Entity, Files: e.Files, Encoding: e.Encoding, NoHeader: e.Header != nil && !*e.Header}
			if e.Delimiter != "" {
				ce.Delimiter = []rune(e.Delimiter)[0]
			}
			for _, col := range e.Columns {
				t, err := extract.ParseType(col.Type)
				if err != nil {
					return nil, err
				}
				ce.Columns = append(ce.Columns, csv.Column{Name: col.Name, From: col.From, Position: col.Position, Type: t, Format: col.Format, Required: col.Required})
			}
			ents = append(ents, ce)
		}
		return csv.New(root, ents, cfg.Location)
	case config.KindHL7:
		return hl7.New(root, s.Files, hl7.WithLocation(cfg.Location))
	case config.KindFHIR:
		return fhir.New(root, s.Files)
	case config.KindPostgres:
		dsn, err := cfg.DSN(s)
		if err != nil {
			return nil, err
		}
		var tables []postgres.Table
		for _, t := range s.Tables {
			tables = append(tables, postgres.Table{Entity: t.Entity, Table: t.Table, Query: t.Query, Watermark: t.Watermark, Key: t.Key})
		}
		src, err := postgres.New(postgres.Config{DSN: postgres.Secret(dsn), Tables: tables, Retries: 3, Backoff: time.Second, Location: cfg.Location, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		return src, nil
	}
	return nil, fmt.Errorf("source %s: unknown kind %q", s.Name, s.Kind)
}

// runOptions change how a run extracts.
type runOptions struct {
	Full  bool         // see RunCmd.Full
	Steps stepRecorder // receives each step for the run history
	// Progress receives the "still running" lines of long steps; nil
	// sends them to the run's own logger.
	Progress *slog.Logger
}

func runPipeline(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time, opt runOptions) (*runSummary, error) {
	lake := cfg.Path(cfg.Lake)
	srcs := make([]extract.Source, len(cfg.Sources))
	for i, s := range cfg.Sources {
		src, err := sourceFor(cfg, s, log)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", cfg.File, err)}
		}
		srcs[i] = src
	}

	// The analytics key is checked before anything runs: a missing key is an
	// error, never a default.
	var key load.PseudonymKey
	if cfg.Analytics != "" {
		kf := ""
		if cfg.PseudonymKeyFile != "" {
			kf = cfg.Path(cfg.PseudonymKeyFile)
		}
		var err error
		if key, err = load.LoadKey(kf); err != nil {
			return nil, usageError{err}
		}
	}

	// Extract.
	start := now()
	run, err := extract.NewRun(lake, start, nil)
	if err != nil {
		return nil, err
	}
	if opt.Full {
		run.Full()
	}
	plog := opt.Progress
	if plog == nil {
		plog = log
	}
	prog := startProgress(plog)
	defer prog.close()
	run.OnLanded = func(n int64) {
		prog.landedSoFar(n)
		crashAtLanded(n)
	}
	log.Info("run started", "run", run.ID, "sources", len(cfg.Sources))
	for i, s := range cfg.Sources {
		t0 := time.Now()
		prog.begin("extract " + s.Name)
		sm, err := run.Land(ctx, s.Name, s.Kind, srcs[i])
		var read, landed, rejected int64
		for _, e := range sm.Entities {
			read, landed, rejected = read+e.Read, landed+e.Landed, rejected+e.Rejected
		}
		prog.end()
		opt.Steps.add("extract "+s.Name, t0, read, landed, rejected, err)
		if err != nil {
			return nil, err
		}
		for _, e := range sm.Entities {
			log.Info("extracted", "source", s.Name, "entity", e.Entity, "read", e.Read, "landed", e.Landed, "rejected", e.Rejected, "seconds", roundSec(time.Since(t0)))
		}
	}
	m, err := run.Commit(now())
	if err != nil {
		return nil, err
	}
	all, err := extract.CompleteRuns(lake)
	if err != nil {
		return nil, err
	}
	runs := extract.SinceLastFull(all)

	// Transform: the person index from every source's person-level records.
	t0 := time.Now()
	prog.begin("person index")
	st, err := runIndex(ctx, cfg, lake, runs, m.RunID, opt.Full, log, prog)
	// The matcher's memory is garbage now; give it back before DuckDB takes
	// its share, so the two never add up (peak RSS at 1M persons went from
	// 4.9 to under 4 GiB). It is part of the index's step, so the bench's
	// peak for the load (measured from the step's end) is the load's own.
	debug.FreeOSMemory()
	prog.end()
	opt.Steps.add("person index", t0, 0, 0, 0, err)
	if err != nil {
		return nil, err
	}

	// Load.
	// The load and analytics builds report each SQL file done.
	sqlDone := func(stage string) {
		prog.reached("finished " + stage)
		crashAt(stage)
	}
	t0 = time.Now()
	prog.begin("load and publish")
	wh := cfg.Path(cfg.Warehouse)
	lopt := loadOptions(cfg, m, runs, log)
	lopt.Checkpoint = sqlDone
	err = load.Build(ctx, lopt)
	prog.end()
	opt.Steps.add("load and publish", t0, 0, 0, 0, err)
	if err != nil {
		return nil, err
	}
	if cfg.Analytics != "" {
		t0 := time.Now()
		prog.begin("analytics")
		err := load.BuildAnalytics(ctx, wh, cfg.Path(cfg.Analytics), key, load.AnalyticsOptions{MemoryLimit: duckdbMemoryLimit, Logger: log, Checkpoint: func(stage string) { prog.reached("finished " + stage) }})
		prog.end()
		opt.Steps.add("analytics", t0, 0, 0, 0, err)
		if err != nil {
			return nil, fmt.Errorf("building the analytics database: %w", err)
		}
	}
	if cfg.MartsExport != "" {
		t0 := time.Now()
		prog.begin("export marts")
		err := exportMarts(ctx, wh, cfg.Path(cfg.MartsExport))
		prog.end()
		opt.Steps.add("export marts", t0, 0, 0, 0, err)
		if err != nil {
			return nil, fmt.Errorf("exporting marts: %w", err)
		}
	}
	log.Info("run finished", "run", m.RunID, "warehouse", wh, "load_seconds", roundSec(time.Since(t0)))
	return &runSummary{Manifest: m, Index: st, Warehouse: wh}, nil
}

// loadOptions are the options of the warehouse build of run m (the last
// of runs, the runs since the last full one).
func loadOptions(cfg *config.Config, m *extract.Manifest, runs []*extract.Manifest, log *slog.Logger) load.Options {
	systems := map[string]string{}
	keys := map[string]map[string][]string{}
	for _, s := range cfg.Sources {
		systems[s.Name] = s.System
		for _, t := range s.Tables {
			if keys[s.Name] == nil {
				keys[s.Name] = map[string][]string{}
			}
			keys[s.Name][t.Entity] = t.Key
		}
	}
	return load.Options{
		Lake: cfg.Path(cfg.Lake), Manifest: m, Runs: runs, IndexRun: m.RunID, Systems: systems, Keys: keys,
		Warehouse: cfg.Path(cfg.Warehouse), TimeZone: cfg.TimeZone, MemoryLimit: duckdbMemoryLimit, Logger: log, Checkpoint: crashAt,
	}
}

// The person index's largest live heap, estimated from the rows it reads:
// about 80 bytes a row past a fixed 120 MB. Measured (gctrace) at
// 1,242 MB for the 14.4 million records of 10,000,000 persons and about
// 470 MB for the 4.3 million of 3,000,000. In a full run the rows include
// a hospital feed's repeated readings of a patient, which the index drops
// as it reads, so there the estimate is an upper bound.
const (
	indexHeapPerRow = 80
	indexHeapFixed  = 120 << 20
)

// warnIndexMemory warns when the person index, which holds every current
// person record in memory, may need more live heap than the Go heap's
// limit: the run goes on, but the collector then runs ever more often and
// the process's RSS passes the limit.
func warnIndexMemory(log *slog.Logger, rows int, limit int64) {
	need := int64(indexHeapFixed) + int64(rows)*indexHeapPerRow
	if need <= limit {
		return
	}
	log.Warn("the person index holds every current person record in memory and may need more than the Go heap's limit: expect it to slow down and its memory to pass the limit; set GOMEMLIMIT higher if the machine has the memory",
		"rows", rows, "estimated_heap_mib", need>>20, "limit_mib", limit>>20)
}

// duckdbMemoryLimit is DuckDB's memory_limit for the warehouse and
// analytics builds; past it DuckDB spills to disk. It does not bound all of
// DuckDB's memory, and what DuckDB holds past it grows with the limit. The
// 7,000,000-person load peaked at 3.4 GiB of RSS with 2GB, in
// core/person.sql and core/person_history.sql (the golden records'
// aggregates; every other file stayed under 2.4 GiB), and at 1.7 GiB with
// 1GB, in the same time (190.4 s against 193.8 s, one run each with the
// load harness); its analytics build at 2.26 and 1.23 GiB (92.9 s and 88.6
// s).
const duckdbMemoryLimit = "1GB"

func roundSec(d time.Duration) float64 {
	return float64(d.Round(10*time.Millisecond)) / float64(time.Second)
}

// loadModel returns the configured matching model, or nil for the
// NHS-number-only index.
func loadModel(cfg *config.Config) (*match.Model, error) {
	switch cfg.Matching.Model {
	case "nhs-number":
		return nil, nil
	case "nhs-default", "":
		return match.DefaultModel(), nil
	}
	return match.LoadModel(cfg.Path(cfg.Matching.Model))
}

// buildIndex links the person records with the configured model and the
// stored clerical decisions.
//
// The model's m, u and prior are trained on a full run (and the first run);
// an incremental run (reuse) uses the model the previous index was trained
// with, as long as the configured model and seed are unchanged, so a
// night's cost does not include training and links do not shift because
// of a re-estimate. Term frequencies always come from the current records.
//
// The previous index is read once the matcher is done (see
// personindex.MatchOptions.Previous), and matched with the run's links as
// it is read (personindex.ReadPreviousFor).
func buildIndex(ctx context.Context, cfg *config.Config, lake string, recs *personindex.Persons, reuse bool, log *slog.Logger) (*personindex.Output, error) {
	m, err := loadModel(cfg)
	if err != nil {
		return nil, usageError{fmt.Errorf("matching model: %w", err)}
	}
	if m == nil {
		prev, err := personindex.ReadPrevious(ctx, lake, nil)
		if err != nil {
			return nil, err
		}
		links, st := personindex.Build(recs.Records(), prev)
		out := &personindex.Output{Links: personindex.LinksOf(links), Stats: st}
		out.CompareWith(prev)
		return out, nil
	}
	ds, err := personindex.ReadDecisions(lake)
	if err != nil {
		return nil, fmt.Errorf("reading clerical decisions: %w", err)
	}
	origin, err := modelOrigin(m, cfg.Matching.Seed)
	if err != nil {
		return nil, err
	}
	opt := personindex.MatchOptions{Model: m, Decisions: personindex.MatchDecisions(ds), Seed: cfg.Matching.Seed, Logger: log, Origin: origin,
		Previous: func(links *personindex.Links) (*personindex.Previous, error) {
			prev, err := personindex.ReadPreviousFor(ctx, lake, nil, links)
			if err == nil && prev.Run != "" {
				log.Debug("previous person index read", "run", prev.Run, "matched_with_links", prev.MatchedWithLinks())
			}
			return prev, err
		}}
	// The records' demographics wait on disk, beside the index runs, while
	// they are matched (24 bytes a record; the file has no name).
	opt.SpillDir = filepath.Join(lake, "index")
	if err := os.MkdirAll(opt.SpillDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the index directory: %w", err)
	}
	if reuse {
		if run, err := personindex.Latest(lake); err == nil {
			if trained, o, err := personindex.ReadModel(lake, run); err == nil && o == origin {
				opt.Model, opt.Trained = trained, true
				log.Info("matching with the model trained by an earlier run (run --full retrains)", "index_run", run)
			}
		}
	}
	out, err := personindex.BuildMatchedPersons(ctx, recs, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("matching person records: %w", err)
	}
	return out, nil
}

// modelOrigin identifies a configured model and seed: a trained model is
// reused only while this stays the same.
func modelOrigin(m *match.Model, seed uint64) (string, error) {
	var b bytes.Buffer
	if err := m.WriteYAML(&b); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "seed: %d\n", seed)
	return fmt.Sprintf("sha256:%x", sha256.Sum256(b.Bytes())), nil
}

// exportMarts writes the published warehouse's marts as Parquet.
func exportMarts(ctx context.Context, warehouse, dir string) error {
	db, err := openWarehouse(warehouse)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = load.ExportMarts(ctx, db, dir)
	return err
}

// runIndex builds the person index of run runID from the person-level
// records current in runs, and writes it to the lake.
// prog (which may be nil) is told each phase as it starts.
func runIndex(ctx context.Context, cfg *config.Config, lake string, runs []*extract.Manifest, runID string, full bool, log *slog.Logger, prog *progress) (personindex.Stats, error) {
	begin, t0 := time.Now(), time.Now()
	prog.reached("reading person records")
	phase := func(name, next string) {
		log.Debug("person index phase", "phase", name, "seconds", roundSec(time.Since(t0)))
		prog.reached(next)
		t0 = time.Now()
	}
	// A source whose records span many landed files (a hospital's feed
	// sends a patient's demographics with every message) is read from the
	// last index's snapshot of it and the files landed since, and a
	// snapshot is written for the next run; --full reads every file.
	var from string
	if !full {
		if id, err := personindex.Latest(lake); err == nil {
			from = id
		}
	}
	var sources []personindex.PersonSource
	for _, s := range cfg.Sources {
		if s.Persons == nil {
			continue
		}
		ps := personindex.PersonSource{
			Source: s.Name, System: s.System, Entity: s.Persons.Entity, Key: s.Persons.Key,
			Landing: extract.EntityLanding(runs, s.Name, s.Persons.Entity),
			ByFile:  s.Kind != config.KindPostgres, LinksColumn: s.Persons.Links,
			From: from, SnapshotRun: runID,
		}
		if s.Persons.Merges != "" {
			ml := extract.EntityLanding(runs, s.Name, s.Persons.Merges)
			ps.Merges = &ml
		}
		sources = append(sources, ps)
	}
	// Every source's records are read into one slice, sized from the row
	// groups' metadata. Sources whose rows come from more than one file,
	// which may repeat keys (a hospital feed sends a patient's
	// demographics with every message), are read first: the readings they
	// drop leave room the others' rows then fill, where read last their
	// room was held unused through the matching (58 MB at 3,000,000
	// persons in a full run).
	type toRead struct {
		ps          personindex.PersonSource
		rows, files int
	}
	reads := make([]toRead, len(sources))
	total := 0
	for i, ps := range sources {
		n, files, err := personindex.PersonRows(lake, ps)
		if err != nil {
			return personindex.Stats{}, fmt.Errorf("reading person records of %s: %w", ps.Source, err)
		}
		reads[i], total = toRead{ps, n, files}, total+n
	}
	many := func(r toRead) bool { return r.files > 1 }
	slices.SortStableFunc(reads, func(a, b toRead) int {
		if many(a) == many(b) {
			return 0
		}
		if many(a) {
			return -1
		}
		return 1
	})
	log.Debug("person record rows to read", "rows", total)
	warnIndexMemory(log, total, debug.SetMemoryLimit(-1))
	recs := personindex.NewPersons(0)
	for i, r := range reads {
		if i == 0 || many(reads[i-1]) && !many(r) {
			n := 0
			for _, later := range reads[i:] {
				if many(later) == many(r) {
					n += later.rows
				}
			}
			recs.Reserve(n)
		}
		before := recs.Len()
		use, err := personindex.ReadPersons(ctx, lake, r.ps, nil, recs)
		if err != nil {
			return personindex.Stats{}, fmt.Errorf("reading person records of %s: %w", r.ps.Source, err)
		}
		log.Debug("person records read", "source", r.ps.Source, "records", recs.Len()-before,
			"from_snapshot_of", use.From, "why_not", use.Why, "snapshot_written", use.Wrote)
	}
	if recs.Len() == 0 {
		return personindex.Stats{}, errors.New("no person-level records landed (configure persons: on at least one source): the person index needs some")
	}
	phase("read person records", "matching person records")
	crashAt("match")
	out, err := buildIndex(ctx, cfg, lake, recs, !full, log)
	if err != nil {
		return personindex.Stats{}, err
	}
	phase("match", "writing the index")
	defer out.Close()
	st := out.Stats
	if err := personindex.WriteOutput(lake, runID, out, nil); err != nil {
		return personindex.Stats{}, fmt.Errorf("writing person index: %w", err)
	}
	phase("write", "")
	log.Info("person index built", "records", st.Records, "persons", st.Persons, "new_persons", st.NewPersons,
		"linked_records", st.LinkedRecords, "review_pairs", len(out.Review), "merges_and_splits", len(out.Changes), "records_changed_person", out.Moved.Len(),
		"valid_nhs", st.ValidNHS, "missing_nhs", st.MissingNHS, "invalid_nhs", st.InvalidNHS, "model_trained", st.ModelTrained, "seconds", roundSec(time.Since(begin)))
	return st, nil
}
