// Package extracttest is the conformance test every extract.Source passes,
// in the manner of rclone's fstests: call Run from each connector's tests
// with a constructor for a source over that connector's testdata.
package extracttest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
)

// Run checks the contract of extract.Source on the source newSource makes
// (a fresh one per call):
//   - it lands at least one record and every entity reconciles
//     (read = landed + rejected);
//   - it releases every Arrow buffer it allocates;
//   - no .partial file is left, and every file in the manifest exists;
//   - two runs over the same input land the same records (same record
//     hashes, positions and counts);
//   - with a cancelled context it returns an error wrapping context.Canceled
//     (or finishes, for inputs too small to notice), never panics.
func Run(t *testing.T, newSource func(t *testing.T) extract.Source) {
	t.Helper()
	t.Run("LandsAndReconciles", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		lake := t.TempDir()
		sm := land(t, lake, newSource(t), mem)
		mem.AssertSize(t, 0)
		var landed int64
		for _, e := range sm.Entities {
			if e.Read != e.Landed+e.Rejected {
				t.Errorf("entity %s: read %d != landed %d + rejected %d", e.Entity, e.Read, e.Landed, e.Rejected)
			}
			var byReason int64
			for _, n := range e.RejectsByReason {
				byReason += n
			}
			if byReason != e.Rejected {
				t.Errorf("entity %s: rejects by reason sum to %d, rejected %d", e.Entity, byReason, e.Rejected)
			}
			for _, f := range e.Files {
				if _, err := os.Stat(filepath.Join(lake, f)); err != nil {
					t.Errorf("manifest file missing: %v", err)
				}
			}
			landed += e.Landed
		}
		if landed == 0 {
			t.Error("source landed no records")
		}
		if len(sm.Inputs) == 0 {
			t.Error("source recorded no input")
		}
		filepath.Walk(lake, func(p string, info os.FileInfo, err error) error {
			if strings.HasSuffix(p, ".partial") {
				t.Errorf("partial file left: %s", p)
			}
			return nil
		})
	})
	t.Run("Deterministic", func(t *testing.T) {
		a := land(t, t.TempDir(), newSource(t), nil)
		b := land(t, t.TempDir(), newSource(t), nil)
		if len(a.Entities) != len(b.Entities) {
			t.Fatalf("entities differ: %d vs %d", len(a.Entities), len(b.Entities))
		}
		for i := range a.Entities {
			ea, eb := a.Entities[i], b.Entities[i]
			if ea.Entity != eb.Entity || ea.Read != eb.Read || ea.Landed != eb.Landed || ea.Rejected != eb.Rejected {
				t.Errorf("entity %d differs between runs: %+v vs %+v", i, ea, eb)
			}
		}
		for i := range a.Inputs {
			// Stat is the file's identity on disk, not something the
			// source made: it is left out.
			a.Inputs[i].Stat = extract.FileID{}
			if i < len(b.Inputs) {
				b.Inputs[i].Stat = extract.FileID{}
			}
			if i < len(b.Inputs) && a.Inputs[i] != b.Inputs[i] {
				t.Errorf("input %d differs: %+v vs %+v", i, a.Inputs[i], b.Inputs[i])
			}
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = run.Land(ctx, "conformance", "test", newSource(t))
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled extract returned %v, want context.Canceled", err)
		}
	})
}

func land(t *testing.T, lake string, src extract.Source, mem memory.Allocator) extract.SourceManifest {
	t.Helper()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), mem)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "conformance", "test", src)
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if _, err := run.Commit(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return sm
}
