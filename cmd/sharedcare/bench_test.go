package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
	"github.com/sharedcare/sharedcare/extract/synth"
)

// TestBenchCommand runs `sharedcare bench` on a tiny region with two
// nights and checks that what it writes adds up.
func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	c := &BenchCmd{Persons: 300, Seed: 3, Months: 13, Cache: filepath.Join(dir, "regions"), Out: filepath.Join(dir, "results"), Nights: 2}
	if err := c.Run(context.Background(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results", "bench-300-13m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.NightTotals) != 2 || len(r.NightNotes) != 2 || r.NightMedian <= 0 {
		t.Fatalf("nights: totals %v, notes %v, median %v", r.NightTotals, r.NightNotes, r.NightMedian)
	}
	if r.NightNotes[0] == r.NightNotes[1] && strings.Contains(r.NightNotes[0], " 0 GP") {
		t.Errorf("the nights changed nothing: %v", r.NightNotes)
	}
	var nightIndex, fullTotal int
	for _, s := range r.Night {
		if strings.HasSuffix(s.Stage, "person index") {
			nightIndex++
			if s.Records == 0 {
				t.Errorf("%s worked on no records", s.Stage)
			}
		}
	}
	for _, s := range r.Full {
		if s.Stage == "full: total" {
			fullTotal++
			if s.WallSec <= 0 || s.Records == 0 || s.PeakRSSMiB <= 0 {
				t.Errorf("full run total %+v", s)
			}
		}
	}
	if nightIndex != 2 || fullTotal != 1 {
		t.Errorf("%d night index stages, %d full totals; want 2 and 1", nightIndex, fullTotal)
	}
	if r.Matching == nil || r.Matching.Records == 0 || r.Matching.Precision <= 0 || r.Matching.Recall <= 0 {
		t.Errorf("matching %+v", r.Matching)
	}
	// The evaluation read every record's person, keyed as the truth is;
	// explaining reads only the records asked for, with the same persons.
	lake := filepath.Join(dir, "results", "work", "lake")
	full := map[string]string{}
	_, clusters, err := indexClusters(context.Background(), lake, full)
	if err != nil {
		t.Fatal(err)
	}
	if len(clusters) < r.Matching.Records || len(full) != len(clusters) {
		t.Fatalf("%d clusters keys and %d full ids for %d records evaluated", len(clusters), len(full), r.Matching.Records)
	}
	var keys []string
	for k := range clusters {
		if keys = append(keys, k); len(keys) == 2 {
			break
		}
	}
	_, recs, persons, err := indexRecords(context.Background(), lake, full[keys[0]], full[keys[1]], "nosuch/source/record")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(persons) != 2 {
		t.Fatalf("asked for 2 records and one missing, got %d records and %d persons", len(recs), len(persons))
	}
	for _, k := range keys {
		id := full[k]
		if recs[id].ID != id || fmt.Sprint(persons[id]) != clusters[k] {
			t.Errorf("record %s: %+v, person %d; want its person %s", id, recs[id], persons[id], clusters[k])
		}
	}
	if r.CSVOurs <= 0 || r.CSVDuckDB <= 0 {
		t.Errorf("CSV comparison %v vs %v", r.CSVOurs, r.CSVDuckDB)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results", "bench-300-13m.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "night 2: person index") || !strings.Contains(string(md), "median") {
		t.Errorf("the Markdown lacks the nights:\n%s", md)
	}
	// The region is cached: a second run finds it and does not regenerate.
	if _, err := os.Stat(filepath.Join(dir, "regions", fmt.Sprintf("region-p300-s3-m13-v%d", synth.Version), ".complete")); err != nil {
		t.Errorf("region not cached: %v", err)
	}
}

// TestBenchLocks checks that a bench stops, naming the holder, while
// another holds its results directory or is generating its region, and
// that it has deleted nothing of the other's by then.
func TestBenchLocks(t *testing.T) {
	dir := t.TempDir()
	c := &BenchCmd{Persons: 300, Seed: 3, Months: 13, Cache: filepath.Join(dir, "regions"), Out: filepath.Join(dir, "results"), Nights: 1}
	region := filepath.Join(c.Cache, fmt.Sprintf("region-p300-s3-m13-v%d", synth.Version))
	mine := []string{filepath.Join(c.Out, "work", "sources", "other.csv"), filepath.Join(region, "sources", "half-written.csv")}
	for _, f := range mine {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i, lock := range []string{filepath.Join(c.Out, "bench.lock"), region + ".lock"} {
		pid := 4242 + i
		held, err := runlock.Acquire(lock, runlock.Holder{PID: pid, Command: "bench", Started: time.Now(), Host: "elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Run(context.Background(), slog.New(slog.DiscardHandler))
		if !errors.Is(err, runlock.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(pid)) || !strings.Contains(err.Error(), lock) {
			t.Errorf("with %s held: %v; want the lock error naming it and pid %d", lock, err, pid)
		}
		for _, f := range mine {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("with %s held, the other bench's file is gone: %v", lock, err)
			}
		}
		if err := held.Release(); err != nil {
			t.Fatal(err)
		}
	}
}
