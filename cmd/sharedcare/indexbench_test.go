package main

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/extract"
)

// BenchmarkIndexStage times the person-index stage alone on an existing
// region's lake: set SHAREDCARE_INDEX_BENCH to its sharedcare.yaml (for
// example a `sharedcare bench` work area, .bench/results/work). Each
// iteration builds a new index over the runs since the last full one, as a
// night does; -v logs every phase. Without the variable it is skipped:
// `sharedcare bench` is the command that measures the whole pipeline.
func BenchmarkIndexStage(b *testing.B) {
	file := os.Getenv("SHAREDCARE_INDEX_BENCH")
	if file == "" {
		b.Skip("SHAREDCARE_INDEX_BENCH is not set")
	}
	cfg, err := config.Load(file)
	if err != nil {
		b.Fatal(err)
	}
	lake := cfg.Path(cfg.Lake)
	all, err := extract.CompleteRuns(lake)
	if err != nil {
		b.Fatal(err)
	}
	runs := extract.SinceLastFull(all)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i := 0; b.Loop(); i++ {
		id := runs[len(runs)-1].RunID + "-bench" + time.Now().UTC().Format("150405.000000")
		st, err := runIndex(context.Background(), cfg, lake, runs, id, false, log, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Records), "records")
	}
}
