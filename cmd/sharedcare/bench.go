package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/synth"
	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/match"
)

// BenchCmd measures the pipeline on a synthetic region.
type BenchCmd struct {
	Persons int    `help:"Number of true people in the region." default:"100000"`
	Seed    uint64 `help:"Random seed of the region." default:"1"`
	Months  int    `help:"Months of activity (history size: hospital and mental health episodes grow with it); compare two sizes to see how a night's cost follows the history." default:"13"`
	Cache   string `help:"Directory where generated regions are kept between runs." default:".bench/regions"`
	Out     string `help:"Directory for the results (bench-PERSONS-MONTHS.md and .json) and the work area." default:".bench/results"`
	Nights  int    `help:"Incremental nights to run one after another (each with its own changes); the summary gives their median. 0 skips them." default:"3"`
}

// stageResult is one measured stage.
type stageResult struct {
	Stage      string  `json:"stage"`
	WallSec    float64 `json:"wall_seconds"`
	CPUSec     float64 `json:"cpu_seconds"`
	Records    int64   `json:"records"`
	RecordsSec float64 `json:"records_per_second"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

type benchResult struct {
	Persons    int           `json:"persons"`
	Months     int           `json:"months"`
	Seed       uint64        `json:"seed"`
	Machine    string        `json:"machine"`
	StartedAt  time.Time     `json:"started_at"`
	Full       []stageResult `json:"full_run"`
	Night      []stageResult `json:"incremental_nights,omitempty"`
	NightNotes []string      `json:"incremental_night_changes,omitempty"`
	// NightTotals are each night's end-to-end wall seconds; NightMedian
	// their median.
	NightTotals []float64        `json:"incremental_night_seconds,omitempty"`
	NightMedian float64          `json:"incremental_night_median_seconds,omitempty"`
	Sizes       map[string]int64 `json:"output_bytes"`
	Matching    *match.Metrics   `json:"matching"`
	PeakRSSMiB  float64          `json:"process_peak_rss_mib"`
	// CSV extraction against DuckDB's read_csv → COPY TO parquet on the GP
	// patients file, medians of three runs each, in seconds.
	CSVOurs   float64 `json:"csv_extract_seconds"`
	CSVDuckDB float64 `json:"duckdb_read_csv_copy_seconds"`
}

// meter measures CPU time and peak RSS between probes. Peak RSS is reset at
// each probe through /proc/self/clear_refs, so each stage reports its own.
type meter struct {
	lastCPU  time.Duration
	lastWall time.Time
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns VmHWM in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func (m *meter) start() {
	runtime.GC()
	resetPeakRSS()
	m.lastCPU, m.lastWall = cpuTime(), time.Now()
}

func (m *meter) stage(name string, records int64) stageResult {
	now, cpu := time.Now(), cpuTime()
	r := stageResult{Stage: name, WallSec: now.Sub(m.lastWall).Seconds(), CPUSec: (cpu - m.lastCPU).Seconds(), Records: records, PeakRSSMiB: peakRSS()}
	if r.WallSec > 0 && records > 0 {
		r.RecordsSec = float64(records) / r.WallSec
	}
	resetPeakRSS()
	m.lastCPU, m.lastWall = cpu, now
	return r
}

// Run implements `sharedcare bench`.
func (c *BenchCmd) Run(ctx context.Context, log *slog.Logger) error {
	if c.Persons < 1 || c.Months < 13 {
		return usageError{errors.New("--persons must be positive and --months at least 13")}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// With --verbose the runs log their own detail (each phase of the
	// person index, each SQL file's time) on the bench's log.
	runLog := quiet
	if log.Enabled(ctx, slog.LevelDebug) {
		runLog = log
	}
	res := benchResult{Persons: c.Persons, Months: c.Months, Seed: c.Seed, StartedAt: time.Now().UTC(), Sizes: map[string]int64{},
		Machine: fmt.Sprintf("%s/%s, %d CPUs, Go %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	var m meter

	// Two benches on one results directory would delete and rewrite each
	// other's work area (a 5,000,000-person run failed in DuckDB with a
	// 4 GB string when that happened), so the directory is locked for the
	// whole bench, and a second one stops at once and names the first.
	outLock, err := runlock.Acquire(filepath.Join(c.Out, "bench.lock"), runlock.Self("bench"))
	if err != nil {
		return err
	}
	defer outLock.Release()

	// The region, generated once and cached.
	region := filepath.Join(c.Cache, fmt.Sprintf("region-p%d-s%d-m%d-v%d", c.Persons, c.Seed, c.Months, synth.Version))
	if err := c.cachedRegion(ctx, quiet, log, region, &m, &res); err != nil {
		return err
	}

	// A work area whose sources are hard links to the cached region, so the
	// night's changes never touch the cache.
	work := filepath.Join(c.Out, "work")
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := linkTree(filepath.Join(region, "sources"), filepath.Join(work, "sources")); err != nil {
		return err
	}
	// Always today's config, not the one cached with the region.
	cfgText := config.SyntheticRegion("Bench region")
	cfgPath := filepath.Join(work, "sharedcare.yaml")
	if err := os.WriteFile(cfgPath, cfgText, 0o600); err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	if err := ensureKey(cfg); err != nil {
		return err
	}
	stop, err := serveSocialCare(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer stop()

	run := func(label string, full bool) ([]stageResult, error) {
		var out []stageResult
		rec := &history.Record{}
		var recordsBefore int64
		probe := func(name string) {
			n := rec.Read - recordsBefore
			recordsBefore = rec.Read
			out = append(out, m.stage(label+" "+name, n))
		}
		m.start()
		sum, err := runPipeline(ctx, cfg, runLog, time.Now, runOptions{Full: full, Steps: stepRecorder{rec: rec, probe: probe}, Progress: log})
		if err != nil {
			return nil, err
		}
		// The index and load steps count records differently: give them the
		// records they worked on.
		for i := range out {
			switch {
			case strings.HasSuffix(out[i].Stage, "person index"):
				out[i].Records = int64(sum.Index.Records)
			case strings.HasSuffix(out[i].Stage, "load and publish"):
				out[i].Records = rec.Landed
			}
			if out[i].WallSec > 0 {
				out[i].RecordsSec = float64(out[i].Records) / out[i].WallSec
			}
		}
		out = append(out, stageResult{Stage: label + " total", WallSec: sumWall(out), CPUSec: sumCPU(out), Records: rec.Read, RecordsSec: float64(rec.Read) / sumWall(out), PeakRSSMiB: maxRSS(out)})
		return out, nil
	}
	log.Info("bench: full run")
	full, err := run("full:", true)
	if err != nil {
		return err
	}
	res.Full = append(res.Full, full...)
	m.start()
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if _, err := writeReport(ctx, cfg, month, quiet); err != nil {
		return err
	}
	res.Full = append(res.Full, m.stage("monthly report", 0))
	for name, p := range map[string]string{"lake": cfg.Lake, "warehouse": cfg.Warehouse, "reports": cfg.Reports} {
		res.Sizes[name] = treeSize(cfg.Path(p))
	}
	res.Sizes["sources"] = treeSize(filepath.Join(work, "sources"))

	// Matching quality against the truth, worked out in DuckDB (see
	// evaluateIndex).
	_, mt, err := evaluateIndex(ctx, cfg.Path(cfg.Lake), filepath.Join(region, "truth", "records.csv"))
	if err != nil {
		return err
	}
	mt.FalseMerges, mt.MissedLinks = nil, nil
	res.Matching = &mt

	log.Info("bench: CSV connector against DuckDB read_csv")
	if res.CSVOurs, res.CSVDuckDB, err = csvVsDuckDB(ctx, cfg, filepath.Join(c.Out, "work", "csvcompare")); err != nil {
		return err
	}

	for k := 1; k <= c.Nights; k++ {
		log.Info("bench: incremental night", "night", k, "of", c.Nights)
		note, err := applyNight(ctx, cfg, work, c.Seed, k)
		if err != nil {
			return fmt.Errorf("preparing the night's changes: %w", err)
		}
		res.NightNotes = append(res.NightNotes, note)
		night, err := run(fmt.Sprintf("night %d:", k), false)
		if err != nil {
			return err
		}
		res.Night = append(res.Night, night...)
		res.NightTotals = append(res.NightTotals, night[len(night)-1].WallSec)
	}
	if len(res.NightTotals) > 0 {
		res.NightMedian = median(res.NightTotals)
	}
	res.PeakRSSMiB = max(maxRSS(res.Full), maxRSS(res.Night))

	if err := os.MkdirAll(c.Out, 0o700); err != nil {
		return err
	}
	base := filepath.Join(c.Out, fmt.Sprintf("bench-%d-%dm", c.Persons, c.Months))
	js, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o600); err != nil {
		return err
	}
	md := benchMarkdown(res)
	if err := os.WriteFile(base+".md", []byte(md), 0o600); err != nil {
		return err
	}
	fmt.Print(md)
	fmt.Printf("\nWritten: %s.md and %s.json\n", base, base)
	return nil
}

// cachedRegion generates the bench region into region unless a complete
// one is there. Benches with other results directories may share the
// cache: the region is locked while it is checked and generated, so no
// bench deletes a region another is writing, and a finished region is
// only read.
func (c *BenchCmd) cachedRegion(ctx context.Context, quiet, log *slog.Logger, region string, m *meter, res *benchResult) error {
	l, err := runlock.Acquire(region+".lock", runlock.Self("bench"))
	if err != nil {
		return err
	}
	defer l.Release()
	if _, err := os.Stat(filepath.Join(region, ".complete")); err == nil {
		return nil
	}
	if err := os.RemoveAll(region); err != nil {
		return err
	}
	log.Info("bench: generating region", "persons", c.Persons, "months", c.Months)
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) // fixed, so cached regions stay comparable
	m.start()
	if _, err := generateRegion(ctx, quiet, region, "Bench region", c.Persons, c.Seed, end, c.Months); err != nil {
		return err
	}
	res.Full = append(res.Full, m.stage("synth (not cached)", int64(c.Persons)))
	return os.WriteFile(filepath.Join(region, ".complete"), nil, 0o600)
}

func sumWall(rs []stageResult) (s float64) {
	for _, r := range rs {
		s += r.WallSec
	}
	return
}

func sumCPU(rs []stageResult) (s float64) {
	for _, r := range rs {
		s += r.CPUSec
	}
	return
}

func maxRSS(rs []stageResult) (m float64) {
	for _, r := range rs {
		m = max(m, r.PeakRSSMiB)
	}
	return
}

func benchMarkdown(r benchResult) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## sharedcare bench: %d persons, %d months of activity\n\n%s, started %s\n\n", r.Persons, r.Months, r.Machine, r.StartedAt.Format(time.RFC3339))
	table := func(title string, rows []stageResult) {
		fmt.Fprintf(&b, "### %s\n\n| stage | wall s | CPU s | records | records/s | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|\n", title)
		for _, s := range rows {
			fmt.Fprintf(&b, "| %s | %.2f | %.2f | %d | %.0f | %.0f |\n", s.Stage, s.WallSec, s.CPUSec, s.Records, s.RecordsSec, s.PeakRSSMiB)
		}
		b.WriteString("\n")
	}
	table("Full run", r.Full)
	if len(r.Night) > 0 {
		title := "Incremental nights"
		for i, n := range r.NightNotes {
			title += fmt.Sprintf("; night %d: %s", i+1, n)
		}
		table(title, r.Night)
		totals := make([]string, len(r.NightTotals))
		for i, t := range r.NightTotals {
			totals[i] = fmt.Sprintf("%.1f", t)
		}
		fmt.Fprintf(&b, "Night end to end: %s s; median %.1f s.\n\n", strings.Join(totals, ", "), r.NightMedian)
	}
	fmt.Fprintf(&b, "### Outputs\n\n| output | MiB |\n|---|---:|\n")
	for _, k := range []string{"sources", "lake", "warehouse", "reports"} {
		fmt.Fprintf(&b, "| %s | %.1f |\n", k, float64(r.Sizes[k])/(1<<20))
	}
	if mt := r.Matching; mt != nil {
		fmt.Fprintf(&b, "\n### Matching against the truth\n\n| records | pairwise precision | recall | F1 | split persons | merged persons |\n|---:|---:|---:|---:|---:|---:|\n| %d | %.5f | %.5f | %.5f | %d | %d |\n",
			mt.Records, mt.Precision, mt.Recall, mt.F1, mt.SplitPersons, mt.MergedPersons)
	}
	if r.CSVDuckDB > 0 {
		fmt.Fprintf(&b, "\n### CSV extraction against DuckDB\n\nGP patients extract, medians of 3: sharedcare CSV connector %.2f s, DuckDB read_csv → COPY TO parquet %.2f s, ratio %.2f.\n", r.CSVOurs, r.CSVDuckDB, r.CSVOurs/r.CSVDuckDB)
	}
	fmt.Fprintf(&b, "\nPeak RSS of any stage: %.0f MiB (per stage from VmHWM, reset between stages; the social care PostgreSQL server is a separate process and not counted).\n", r.PeakRSSMiB)
	return b.String()
}

// linkTree recreates src under dst with hard links to its files.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if err := os.Link(p, target); err != nil {
			return copyFile(p, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// applyNight makes about 1% of records change and a day of new activity
// arrive: 1% of GP patients move house (the practice extract is rewritten,
// as a real snapshot feed is), 1% of social care people are updated in the
// database, a day of portal views and of hospital messages arrive as new
// files. Everything else is unchanged.
func applyNight(ctx context.Context, cfg *config.Config, work string, seed uint64, night int) (string, error) {
	sel := int64((seed + uint64(night) - 1) % 100) // which 1% changes tonight
	src := filepath.Join(work, "sources")
	// GP: rewrite patients.csv with 1% of postcodes changed (a new file, so
	// the cached region behind the hard link is untouched).
	gp := filepath.Join(src, "gp", "patients.csv")
	moved, err := rewriteCSV(gp, func(i int, rec []string, col map[string]int) bool {
		if int64(i%100) != sel {
			return false
		}
		rec[col["address_line_1"]] = "1 New Road"
		rec[col["last_updated"]] = fmt.Sprintf("2026-11-%02dT02:00:00", night)
		return true
	})
	if err != nil {
		return "", err
	}
	// Portal: one day of views, copied from the start of the last month's
	// log with new event ids.
	auditDir := filepath.Join(src, "portal", "audit")
	last, err := lastFile(auditDir, ".jsonl")
	if err != nil {
		return "", err
	}
	views, err := copyLines(last, filepath.Join(auditDir, fmt.Sprintf("audit-night-%d.jsonl", night)), 1.0/30, night-1, func(line string, n int) string {
		return strings.Replace(line, `"event_id":"`, fmt.Sprintf(`"event_id":"NIGHT%d-`, night), 1)
	})
	if err != nil {
		return "", err
	}
	// Hospital: a day of ADT messages, the first 1/30 of the last month's file.
	adtDir := filepath.Join(src, "acute", "adt")
	lastADT, err := lastFile(adtDir, ".hl7")
	if err != nil {
		return "", err
	}
	msgs, err := copyMessages(lastADT, filepath.Join(adtDir, fmt.Sprintf("adt-night-%d.hl7", night)), 1.0/30, night-1)
	if err != nil {
		return "", err
	}
	// Social care: 1% of people updated.
	var updated int64
	for _, s := range cfg.Sources {
		if s.Kind != config.KindPostgres {
			continue
		}
		dsn, err := cfg.DSN(s)
		if err != nil {
			return "", err
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return "", err
		}
		tag, err := conn.Exec(ctx, `UPDATE people SET phone = '0117 496 0000', updated_at = $2 WHERE person_id % 100 = $1`, sel, time.Date(2026, 11, night, 2, 0, 0, 0, time.UTC))
		conn.Close(ctx)
		if err != nil {
			return "", err
		}
		updated += tag.RowsAffected()
	}
	return fmt.Sprintf("%d GP patients moved, %d social care people updated, %d new portal views, %d new hospital messages", moved, updated, views, msgs), nil
}

func lastFile(dir, ext string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	last := ""
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ext) && !strings.Contains(e.Name(), "night") && e.Name() > last {
			last = e.Name()
		}
	}
	if last == "" {
		return "", fmt.Errorf("no %s file in %s", ext, dir)
	}
	return filepath.Join(dir, last), nil
}

func rewriteCSV(path string, change func(i int, rec []string, col map[string]int) bool) (int, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp := path + ".night"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	r := csv.NewReader(bufio.NewReader(in))
	w := csv.NewWriter(bufio.NewWriter(out))
	header, err := r.Read()
	if err != nil {
		return 0, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	w.Write(header)
	n := 0
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if change(i, rec, col) {
			n++
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp, path) // replaces the hard link, not the cached file
}

// copyLines copies slice number part (0, 1, …) of share of src's lines to
// dst, edited.
func copyLines(src, dst string, share float64, part int, edit func(string, int) string) (int, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	k := max(1, int(float64(len(lines))*share))
	lo := min(len(lines), part*k)
	hi := min(len(lines), lo+k)
	var out strings.Builder
	for i := lo; i < hi; i++ {
		out.WriteString(edit(lines[i], i))
		out.WriteByte('\n')
	}
	return hi - lo, os.WriteFile(dst, []byte(out.String()), 0o600)
}

// copyMessages copies slice number part of share of src's MLLP frames.
func copyMessages(src, dst string, share float64, part int) (int, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	// MLLP frames end with 0x1C 0x0D.
	frames := bytes.SplitAfter(b, []byte{0x1c, 0x0d})
	if len(frames) > 0 && len(bytes.TrimSpace(frames[len(frames)-1])) == 0 {
		frames = frames[:len(frames)-1]
	}
	k := max(1, int(float64(len(frames))*share))
	lo := min(len(frames), part*k)
	hi := min(len(frames), lo+k)
	return hi - lo, os.WriteFile(dst, bytes.Join(frames[lo:hi], nil), 0o600)
}

// csvVsDuckDB times landing the GP patients extract through the CSV
// connector against DuckDB's own read_csv → COPY … TO parquet on the same
// file, three times each in turn, and returns the medians.
func csvVsDuckDB(ctx context.Context, cfg *config.Config, dir string) (ours, duck float64, err error) {
	var gp config.Source
	for _, s := range cfg.Sources {
		if s.System == "gp" && s.Kind == config.KindCSV {
			gp = s
		}
	}
	var ent *config.Entity
	for i := range gp.Entities {
		if gp.Entities[i].Entity == "patients" {
			ent = &gp.Entities[i]
		}
	}
	if ent == nil {
		return 0, 0, errors.New("no GP patients CSV to compare")
	}
	one := gp
	one.Entities = []config.Entity{*ent}
	file := filepath.Join(cfg.Path(gp.Path), ent.Files[0])
	var a, b []float64
	for i := 0; i < 3; i++ {
		// Flush what earlier stages wrote, so that neither side pays for
		// their dirty pages (the connector syncs its files; DuckDB does not).
		syscall.Sync()
		// Drop what earlier stages left on the Go heap (the pipeline's
		// garbage): a connector runs at the start of a run, in a process
		// of its own, not beside a heap near its limit.
		debug.FreeOSMemory()
		lake := filepath.Join(dir, fmt.Sprintf("csvlake%d", i))
		src, err := sourceFor(cfg, one, nil)
		if err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		run, err := extract.NewRun(lake, time.Now(), nil)
		if err != nil {
			return 0, 0, err
		}
		if _, err := run.Land(ctx, gp.Name, gp.Kind, src); err != nil {
			return 0, 0, err
		}
		if _, err := run.Commit(time.Now()); err != nil {
			return 0, 0, err
		}
		a = append(a, time.Since(t0).Seconds())

		db, err := sql.Open("duckdb", "")
		if err != nil {
			return 0, 0, err
		}
		in, _ := load.QuoteLiteral(file)
		out, _ := load.QuoteLiteral(filepath.Join(dir, fmt.Sprintf("duck%d.parquet", i)))
		t0 = time.Now()
		_, err = db.ExecContext(ctx, "COPY (SELECT * FROM read_csv("+in+", header = true, all_varchar = true)) TO "+out+" (FORMAT parquet, COMPRESSION zstd)")
		b = append(b, time.Since(t0).Seconds())
		db.Close()
		if err != nil {
			return 0, 0, err
		}
	}
	return median(a), median(b), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
