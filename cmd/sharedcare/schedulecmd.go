package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/schedule"
	"github.com/sharedcare/sharedcare/load"
)

// ScheduleCmd runs the scheduler daemon.
type ScheduleCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
}

// jobs turns the configured schedule into daemon jobs. Every job runs
// through tracked, so it takes the run lock and is recorded in the history.
func jobs(cfg *config.Config, log *slog.Logger) []schedule.Job {
	var out []schedule.Job
	for _, j := range cfg.Schedule.Jobs {
		j := j
		out = append(out, schedule.Job{Name: j.Name, Spec: j.Cron, Run: func(ctx context.Context, trigger string, slot time.Time) error {
			info := runInfo{Command: j.Command, Job: j.Name, Trigger: trigger, ScheduledFor: slot}
			return tracked(ctx, cfg, log, info, func(ctx context.Context, rec *history.Record) error {
				switch j.Command {
				case "run":
					_, err := runPipeline(ctx, cfg, log, time.Now, runOptions{Steps: stepRecorder{rec: rec}})
					return err
				case "report":
					// The month that ended before the slot, in the region's time zone.
					month := lastCompleteMonth(slot.In(cfg.Location))
					t0 := time.Now()
					_, err := writeReport(ctx, cfg, month, log)
					stepRecorder{rec: rec}.add("report "+month.Format("2006-01"), t0, 0, 0, 0, err)
					return err
				}
				return fmt.Errorf("job %s: unknown command %q", j.Name, j.Command)
			})
		}})
	}
	return out
}

func newDaemon(cfg *config.Config, log *slog.Logger, clock schedule.Clock) (*schedule.Daemon, error) {
	loc, err := time.LoadLocation(cfg.Schedule.TimeZone)
	if err != nil {
		return nil, err
	}
	catchUp := cfg.Schedule.CatchUp == nil || *cfg.Schedule.CatchUp
	return schedule.New(jobs(cfg, log), loc, clock, schedule.Options{
		CatchUp: catchUp,
		Logger:  log,
		LastSuccess: func(job string) (time.Time, bool) {
			recs, skipped, err := history.Read(historyPath(cfg))
			if err != nil {
				log.Warn("reading run history for catch-up", "error", err.Error())
				return time.Time{}, false
			}
			if len(skipped) > 0 {
				log.Warn("run history has unreadable lines", "lines", len(skipped))
			}
			return history.LastSuccess(recs, job)
		},
	})
}

// Run implements `sharedcare schedule`.
func (c *ScheduleCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	if len(cfg.Schedule.Jobs) == 0 {
		return usageError{fmt.Errorf("%s: schedule.jobs is empty: nothing to schedule", cfg.File)}
	}
	d, err := newDaemon(cfg, log, schedule.SystemClock{})
	if err != nil {
		return usageError{err}
	}
	// One daemon per lake; the run lock keeps its jobs and manual runs apart.
	dl, err := runlock.Acquire(filepath.Join(cfg.Path(cfg.Lake), "schedule.lock"), runlock.Self("schedule"))
	if err != nil {
		return err
	}
	defer dl.Release()
	for name, t := range d.NextRuns(time.Now()) {
		log.Info("scheduled", "job", name, "next", t.In(cfg.Location).Format(time.RFC3339))
	}
	err = d.Run(ctx)
	if ctx.Err() != nil {
		log.Info("scheduler stopped")
		return nil
	}
	return err
}

// StatusCmd shows recent runs and the schedule.
type StatusCmd struct {
	Config    string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	Runs      int    `help:"How many recent runs to show." default:"10"`
	JSON      bool   `name:"json" help:"Print JSON for monitoring instead of a table."`
	Checksums bool   `help:"Also print a row count and checksum of every core and marts table of the published warehouse (equal inputs give equal checksums)."`
}

type statusOut struct {
	Runs      []history.Record     `json:"runs"`
	Running   *runlock.Holder      `json:"running,omitempty"`
	StaleLock *runlock.Holder      `json:"stale_lock,omitempty"`
	NextRuns  map[string]time.Time `json:"next_runs"`
	Skipped   int                  `json:"history_lines_skipped"`
	Checksums map[string]string    `json:"checksums,omitempty"`
}

// Run implements `sharedcare status`.
func (c *StatusCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	recs, skipped, err := history.Read(historyPath(cfg))
	if err != nil {
		return err
	}
	out := statusOut{Skipped: len(skipped), NextRuns: map[string]time.Time{}}
	if len(recs) > c.Runs {
		recs = recs[len(recs)-c.Runs:]
	}
	out.Runs = recs
	if h, ok, err := runlock.Inspect(lockPath(cfg)); err == nil && ok {
		if runlock.Alive(h) {
			out.Running = &h
		} else {
			out.StaleLock = &h
		}
	}
	if len(cfg.Schedule.Jobs) > 0 {
		d, err := newDaemon(cfg, log, schedule.SystemClock{})
		if err != nil {
			return usageError{err}
		}
		out.NextRuns = d.NextRuns(time.Now())
	}
	if c.Checksums {
		db, err := openWarehouse(cfg.Path(cfg.Warehouse))
		if err != nil {
			return err
		}
		defer db.Close()
		if out.Checksums, err = load.Checksums(ctx, db); err != nil {
			return err
		}
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printStatus(out, cfg.Location)
	return nil
}

func printStatus(out statusOut, loc *time.Location) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STARTED\tCOMMAND\tJOB\tTRIGGER\tSTATUS\tSECONDS\tREAD\tLANDED\tREJECTED\tERROR")
	for _, r := range out.Runs {
		secs := "-"
		if !r.End.IsZero() {
			secs = fmt.Sprintf("%.1f", r.End.Sub(r.Start).Seconds())
		}
		job := r.Job
		if job == "" {
			job = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Start.In(loc).Format("2006-01-02 15:04:05"),
			r.Command, job, r.Trigger, r.Status, secs, r.Read, r.Landed, r.Rejected, r.Error)
	}
	w.Flush()
	if len(out.Runs) == 0 {
		fmt.Println("(no runs recorded yet)")
	}
	if out.Running != nil {
		fmt.Printf("\nRunning now: %s\n", out.Running)
	}
	if out.StaleLock != nil {
		fmt.Printf("\nA run that did not finish left its lock (it is taken over by the next run): %s\n", out.StaleLock)
	}
	if out.Skipped > 0 {
		fmt.Printf("\nThe run history has %d unreadable line(s) (a crash mid-write); they were skipped.\n", out.Skipped)
	}
	if len(out.NextRuns) > 0 {
		fmt.Println("\nNext scheduled runs:")
		names := make([]string, 0, len(out.NextRuns))
		for n := range out.NextRuns {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("  %-20s %s\n", n, out.NextRuns[n].In(loc).Format("2006-01-02 15:04 MST"))
		}
	}
	if len(out.Checksums) > 0 {
		fmt.Println("\nWarehouse table checksums (rows:checksum):")
		names := make([]string, 0, len(out.Checksums))
		for n := range out.Checksums {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("  %-36s %s\n", n, out.Checksums[n])
		}
	}
}
