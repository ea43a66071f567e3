package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
)

// DemoCmd runs the whole path on a synthetic region.
type DemoCmd struct {
	Dir     string `help:"Work directory for the demo region (replaced if it holds an earlier demo)." default:"demo"`
	Persons int    `help:"Number of true people in the region." default:"10000"`
	Seed    uint64 `help:"Random seed." default:"1"`
}

// Run implements `sharedcare demo`.
func (c *DemoCmd) Run(ctx context.Context, log *slog.Logger) error {
	t0 := time.Now()
	if _, err := os.Stat(filepath.Join(c.Dir, "sharedcare.yaml")); err == nil {
		// An earlier demo: start clean so the run is the same every time.
		if err := os.RemoveAll(c.Dir); err != nil {
			return err
		}
	} else if entries, err := os.ReadDir(c.Dir); err == nil && len(entries) > 0 {
		return usageError{fmt.Errorf("%s exists and is not a demo directory; choose another with --dir", c.Dir)}
	}
	month := lastCompleteMonth(time.Now())
	cfgPath, err := generateRegion(ctx, log, c.Dir, "Synthetic ICS (demo)", c.Persons, c.Seed, month, 13)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	if err := ensureKey(cfg); err != nil {
		return err
	}
	stop, err := serveSocialCare(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer stop()
	var sum *runSummary
	err = tracked(ctx, cfg, log, runInfo{Command: "run", Trigger: history.Manual}, func(ctx context.Context, rec *history.Record) error {
		var err error
		sum, err = runPipeline(ctx, cfg, log, time.Now, runOptions{Steps: stepRecorder{rec: rec}})
		return err
	})
	if err != nil {
		return err
	}
	res, err := writeReport(ctx, cfg, month, log)
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	fmt.Printf(`
sharedcare demo finished in %.0f s.

  Region:     %s (%d people, seed %d; ground truth in %s)
  Report:     %s
  Warehouse:  %s
  Config:     %s

Query the warehouse:
  %s sql --config %s "SELECT month, records_viewed, active_users FROM marts.usage_monthly_region ORDER BY month"
`, time.Since(t0).Seconds(), abs(c.Dir), c.Persons, c.Seed, abs(filepath.Join(c.Dir, "truth")),
		abs(res.HTML), abs(sum.Warehouse), abs(cfgPath), selfCommand(), abs(cfgPath))
	return nil
}

// selfCommand is how the user can run this binary again: its path when it
// is a built binary, `go run ./cmd/sharedcare` when it was started by go run.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil || strings.Contains(exe, "go-build") {
		return "go run ./cmd/sharedcare"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			return "./" + rel
		}
	}
	return exe
}
