// Command sharedcare is the batch pipeline behind a shared care record: it
// extracts every source system into a Parquet lake, builds the person index,
// loads the DuckDB warehouse and writes the monthly programme board report.
//
// Run `sharedcare --help` for the commands, or `make demo` to see the whole
// path on a synthetic region.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	_ "time/tzdata" // Europe/London works on hosts without a zoneinfo database

	"github.com/alecthomas/kong"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
)

// Exit codes, for schedulers.
const (
	ExitOK        = 0
	ExitFailure   = 1 // the command ran and failed; see the log
	ExitUsage     = 2 // bad flags or configuration; nothing was run
	ExitLocked    = 3 // another run holds the lock; nothing was run
	ExitCancelled = 4 // stopped by SIGINT or SIGTERM; published outputs untouched
)

// CLI is the command line.
type CLI struct {
	LogFormat  string `help:"Log format: text or json (for log collectors)." enum:"text,json" default:"text"`
	Verbose    bool   `help:"Log debug detail." short:"v"`
	CPUProfile string `name:"cpu-profile" help:"Write a Go CPU profile of the command to this file (for go tool pprof)." type:"path"`

	Synth           SynthCmd           `cmd:"" help:"Generate a synthetic region: every source system in its native format, a ground truth kept apart, and a config file."`
	Run             RunCmd             `cmd:"" help:"Run the nightly pipeline: extract every source into the lake (unchanged files skipped; --full for everything), build the person index, build and publish the warehouse (updating the previous one in place when the night only added encounters), the pseudonymised analytics database and the Parquet marts."`
	Report          ReportCmd          `cmd:"" help:"Write the monthly programme board report (HTML, PDF, a CSV per table, charts) from the published warehouse."`
	Demo            DemoCmd            `cmd:"" help:"Generate a synthetic region, run the pipeline, write the report for the last complete month, and say where everything is."`
	SQL             SQLCmd             `cmd:"" name:"sql" help:"Run a read-only SQL query against the warehouse and print the result."`
	Schedule        ScheduleCmd        `cmd:"" help:"Run the scheduler daemon: the configured jobs on their cron specs in the configured time zone, never two at once, a missed run caught up on start. Stops cleanly on SIGTERM."`
	Status          StatusCmd          `cmd:"" help:"Show recent runs (status, duration, counts, errors), a run in progress and the next scheduled times."`
	Review          ReviewCmd          `cmd:"" help:"The clerical review queue of the person index: list pairs with their evidence, accept or reject them. Decisions are kept and applied on every later run."`
	Match           MatchCmd           `cmd:"" help:"Explain why two records did or did not link, or evaluate the person index against a ground truth."`
	Dictionary      DictionaryCmd      `cmd:"" help:"Write the data dictionary (data-dictionary.md and .html) of the warehouse or the analytics database from its own table and column comments."`
	ServeSocialCare ServeSocialCareCmd `cmd:"" name:"serve-socialcare" help:"Serve a synthetic region's social care database from a throwaway PostgreSQL until interrupted, and print the variable that points sharedcare run at it."`
	Bench           BenchCmd           `cmd:"" help:"Measure every stage on a synthetic region (cached between runs): wall and CPU time, records/s, peak memory, output sizes, matching precision and recall, and an incremental night with about 1% changed. Writes Markdown and JSON."`
}

// usageError marks errors in what the user asked for (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// goMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise. The person index holds every person record in memory (its
// live heap peaks near 0.47 GB for the 4.3 million records of 3,000,000
// persons, and near 1.25 GB for the 14.4 million of 10,000,000; a run
// warns when it may need more than the limit, see warnIndexMemory); with
// the default collector pacing the heap grows to twice what is live.
// DuckDB's memory (duckdbMemoryLimit) is separate and never runs
// alongside the index. Past the limit the collector works harder instead of
// letting the heap grow, and Go caps that work so the run slows rather
// than stalls.
const goMemoryLimit = 2800 << 20

func main() {
	syscall.Umask(0o077) // lake, warehouse and reports hold identifiable data: owner-only
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(goMemoryLimit)
	}
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("sharedcare"),
		kong.Description("Batch ETL and analytics for a shared care record: source systems → Parquet lake → person index → DuckDB warehouse → monthly programme board report.\n\nExit codes: 0 success, 1 the run failed (see the log), 2 bad flags or configuration (nothing was run), 3 another run holds the lock (nothing was run), 4 cancelled by SIGINT or SIGTERM (published outputs untouched). Start with: sharedcare demo"),
		kong.UsageOnError(),
		kong.Exit(func(code int) {
			if code != 0 {
				code = ExitUsage
			}
			os.Exit(code)
		}),
	)
	log := newLogger(cli.LogFormat, cli.Verbose)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := func() {}
	if cli.CPUProfile != "" {
		f, err := os.Create(cli.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sharedcare:", err)
			os.Exit(ExitUsage)
		}
		if err := pprof.StartCPUProfile(f); err == nil {
			stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	kctx.BindTo(ctx, (*context.Context)(nil))
	err := kctx.Run(log)
	code := exitCode(ctx, log, err)
	stopProfile() // before os.Exit, which runs no deferred calls
	stop()
	os.Exit(code)
}

func exitCode(ctx context.Context, log *slog.Logger, err error) int {
	switch {
	case err == nil:
		return ExitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		log.Error("cancelled; published outputs are untouched")
		return ExitCancelled
	case errors.Is(err, runlock.ErrLocked):
		log.Error("another run holds the lock; nothing was run", "error", err.Error())
		return ExitLocked
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "sharedcare:", err)
		return ExitUsage
	default:
		log.Error("failed", "error", err.Error())
		return ExitFailure
	}
}

func newLogger(format string, verbose bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
