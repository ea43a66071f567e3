package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/extract/synth"
)

// SynthCmd generates a synthetic region.
type SynthCmd struct {
	Out      string `help:"Region directory to create (sources/, truth/, sharedcare.yaml)." required:"" short:"o"`
	Persons  int    `help:"Number of true people in the region." default:"10000"`
	Seed     uint64 `help:"Random seed: the same seed and flags give the same bytes." default:"1"`
	EndMonth string `help:"Last month of activity, YYYY-MM (default: the last complete month)." placeholder:"YYYY-MM"`
	Months   int    `help:"Months of activity ending at --end-month (at least 13)." default:"13"`
	Region   string `help:"Region name written into the config." default:"Synthetic ICS"`
}

// Run implements `sharedcare synth`.
func (c *SynthCmd) Run(ctx context.Context, log *slog.Logger) error {
	end, err := parseMonthOr(c.EndMonth, lastCompleteMonth(time.Now()))
	if err != nil {
		return usageError{fmt.Errorf("--end-month: %w", err)}
	}
	if c.Months < 13 {
		return usageError{fmt.Errorf("--months must be at least 13, got %d", c.Months)}
	}
	if c.Persons < 1 {
		return usageError{fmt.Errorf("--persons must be at least 1, got %d", c.Persons)}
	}
	_, err = generateRegion(ctx, log, c.Out, c.Region, c.Persons, c.Seed, end, c.Months)
	return err
}

func generateRegion(ctx context.Context, log *slog.Logger, out, region string, persons int, seed uint64, end time.Time, months int) (string, error) {
	t0 := time.Now()
	sum, err := synth.Generate(ctx, synth.Config{Out: out, Persons: persons, Seed: seed, EndMonth: end, Months: months, Logger: log})
	if err != nil {
		return "", fmt.Errorf("generating region: %w", err)
	}
	cfgPath := filepath.Join(out, "sharedcare.yaml")
	if err := os.WriteFile(cfgPath, config.SyntheticRegion(region), 0o600); err != nil {
		return "", fmt.Errorf("writing region config: %w", err)
	}
	log.Info("region generated", "dir", out, "persons", sum.Persons, "organisations", sum.Orgs, "files", len(sum.Files), "seconds", roundSec(time.Since(t0)))
	return cfgPath, nil
}

// lastCompleteMonth is the first day of the month before now's month.
func lastCompleteMonth(now time.Time) time.Time {
	y, m, _ := now.Date()
	return time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC)
}

func parseMonthOr(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a month in the form YYYY-MM", s)
	}
	return t, nil
}
