package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/reports"
)

// ReportCmd writes the monthly board report.
type ReportCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	Month  string `help:"Report month, YYYY-MM (default: report.month from the config, else the last complete month)." placeholder:"YYYY-MM"`
}

// Run implements `sharedcare report`.
func (c *ReportCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	def := lastCompleteMonth(time.Now())
	if cfg.Report.Month != "" {
		def, _ = time.Parse("2006-01", cfg.Report.Month)
	}
	month, err := parseMonthOr(c.Month, def)
	if err != nil {
		return usageError{fmt.Errorf("--month: %w", err)}
	}
	return tracked(ctx, cfg, log, runInfo{Command: "report", Trigger: history.Manual}, func(ctx context.Context, rec *history.Record) error {
		t0 := time.Now()
		res, err := writeReport(ctx, cfg, month, log)
		stepRecorder{rec: rec}.add("report "+month.Format("2006-01"), t0, 0, 0, 0, err)
		if err != nil {
			return err
		}
		fmt.Println(res.HTML)
		return nil
	})
}

// openWarehouse opens the published warehouse read-only.
func openWarehouse(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no published warehouse at %s (run `sharedcare run` first): %w", path, err)
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", path, err)
	}
	return db, nil
}

func writeReport(ctx context.Context, cfg *config.Config, month time.Time, log *slog.Logger) (*reports.Result, error) {
	db, err := openWarehouse(cfg.Path(cfg.Warehouse))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res, err := reports.Write(ctx, db, reports.Options{
		Month: month, Dir: cfg.Path(cfg.Reports), Region: cfg.Region, GeneratedAt: time.Now(),
		PoorUptakeRate: cfg.Report.PoorUptakeRate, DeclineShare: cfg.Report.DeclineShare,
		DisclosureOff: cfg.Report.DisclosureControl != nil && !*cfg.Report.DisclosureControl,
		WEMWBSChange:  cfg.Report.WEMWBSChange, SWEMWBSChange: cfg.Report.SWEMWBSChange,
	})
	if errors.Is(err, reports.ErrNoData) {
		return nil, usageError{fmt.Errorf("report for %s: %w", month.Format("2006-01"), err)}
	}
	if err != nil {
		return nil, fmt.Errorf("writing report for %s: %w", month.Format("2006-01"), err)
	}
	log.Info("report written", "month", month.Format("2006-01"), "html", res.HTML, "tables", len(res.Tables))
	return res, nil
}
