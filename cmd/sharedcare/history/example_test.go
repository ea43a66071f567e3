package history_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
)

// A run appends a "running" record when it starts and its final record when
// it ends; Read keeps the last.
func ExampleRead() {
	dir, _ := os.MkdirTemp("", "history")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "history", "runs.jsonl")

	start := time.Date(2026, 5, 12, 2, 0, 0, 0, time.UTC)
	r := history.Record{RunID: "20260512T020000Z-1", Job: "nightly", Command: "run", Trigger: history.Schedule,
		ScheduledFor: start, PID: os.Getpid(), Start: start, Status: history.Running}
	if err := history.Append(path, r); err != nil {
		fmt.Println(err)
	}
	r.Status, r.End, r.Read, r.Landed, r.Rejected = history.Succeeded, start.Add(40*time.Minute), 1200, 1195, 5
	if err := history.Append(path, r); err != nil {
		fmt.Println(err)
	}

	records, skipped, err := history.Read(path)
	if err != nil {
		fmt.Println(err)
	}
	for _, s := range skipped {
		fmt.Println("warning: skipped", s)
	}
	for _, r := range records {
		fmt.Println(r.RunID, r.Status, r.Read, r.Landed, r.Rejected)
	}
	last, _ := history.LastSuccess(records, "nightly")
	fmt.Println("last success:", last)
	// Output:
	// 20260512T020000Z-1 succeeded 1200 1195 5
	// last success: 2026-05-12 02:00:00 +0000 UTC
}
