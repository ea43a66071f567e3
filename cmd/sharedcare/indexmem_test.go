package main

import (
	"bytes"
	"context"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestWarnIndexMemory checks that a run warns when the person index may
// need more heap than the Go heap's limit, and only then.
func TestWarnIndexMemory(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	warnIndexMemory(log, 14_400_000, 2800<<20) // 10,000,000 persons: about 1.2 GB
	if buf.Len() != 0 {
		t.Errorf("warned for 14,400,000 rows under a 2,800 MiB limit:\n%s", buf.String())
	}
	warnIndexMemory(log, 40_000_000, 2800<<20)
	for _, w := range []string{"level=WARN", "rows=40000000", "estimated_heap_mib=3171", "limit_mib=2800", "GOMEMLIMIT"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("the warning lacks %q:\n%s", w, buf.String())
		}
	}

	// A run reads how many rows it will read and the heap's limit: under a
	// limit below the estimate's fixed part even a small region warns,
	// and the run still succeeds.
	r := newRegion(t, 200, 5, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	const warning = "may need more than the Go heap's limit"
	if strings.Contains(r.logs.String(), warning) {
		t.Fatalf("warned before the run:\n%s", r.logs.String())
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(64 << 20))
	if _, err := runPipeline(context.Background(), r.cfg, r.log, clock(time.Date(2026, 1, 2, 1, 30, 0, 0, time.UTC)), runOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.logs.String(), warning) || !strings.Contains(r.logs.String(), "limit_mib=64") {
		t.Errorf("a run under a 64 MiB limit did not warn")
	}
}
