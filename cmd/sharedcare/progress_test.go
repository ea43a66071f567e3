package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProgressReport checks when the reporter speaks and what it says.
func TestProgressReport(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{log: slog.New(slog.NewTextHandler(&buf, nil))}
	const every = 30 * time.Second
	p.report(time.Now().Add(time.Hour), every)
	if buf.Len() != 0 {
		t.Fatalf("a line with no step under way: %s", buf.String())
	}
	p.landedSoFar(5000)
	p.begin("extract gp")
	p.landedSoFar(12000)
	p.reached("somewhere")
	p.report(time.Now().Add(every/2), every)
	if buf.Len() != 0 {
		t.Fatalf("a line before the step has run for %v: %s", every, buf.String())
	}
	p.report(time.Now().Add(90*time.Second), every)
	line := buf.String()
	for _, want := range []string{`msg="still running"`, `step="extract gp"`, "records_landed=7000 ", "at=somewhere", "seconds=90"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	buf.Reset()
	p.end()
	p.report(time.Now().Add(time.Hour), every)
	if buf.Len() != 0 {
		t.Errorf("a line after the step ended: %s", buf.String())
	}
	var none *progress // the pipeline's index bench passes none
	none.begin("x")
	none.reached("y")
	none.end()
}

// TestProgressDuringRun runs the pipeline with a short reporting interval
// and checks that the long steps were reported, with the SQL file the load
// and the analytics build had got to, and nothing after the run ended.
func TestProgressDuringRun(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 20 * time.Millisecond
	r := newRegion(t, 300, 47, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	r.logs.Reset()
	if _, err := runPipeline(context.Background(), r.cfg, r.log, time.Now, runOptions{}); err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	for _, step := range []string{"person index", "load and publish", "analytics"} {
		if !regexp.MustCompile(`msg="still running" step=("` + step + `"|` + step + ` )`).MatchString(logs) {
			t.Errorf("no progress line for %s", step)
		}
	}
	for _, re := range []string{
		`step="load and publish" seconds=[0-9.]+ at="finished sql/[a-z]+/[a-z_]+\.sql"`,
		`step=analytics seconds=[0-9.]+ at="finished sql/analytics/[a-z_]+\.sql"`,
	} {
		if !regexp.MustCompile(re).MatchString(logs) {
			t.Errorf("no line matches %s", re)
		}
	}
	if i, j := strings.LastIndex(logs, "still running"), strings.Index(logs, `msg="run finished"`); j < 0 || i > j {
		t.Errorf("a progress line after the run finished (%d, %d)", i, j)
	}
	after := r.logs.Len()
	time.Sleep(5 * progressEvery)
	if r.logs.Len() != after {
		t.Errorf("the reporter still writes after the run: %s", r.logs.String()[after:])
	}
}
