package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/audit"
)

// FuzzAudit lands arbitrary bytes as an audit file: no panic, no error (a
// bad line is a reject, never a failed run), every line read is landed or
// rejected with a known reason.
func FuzzAudit(f *testing.F) {
	if data, err := os.ReadFile("testdata/audit/audit-2025-01.jsonl"); err == nil {
		f.Add(data)
	}
	for _, name := range []string{"names.jsonl", "wrong_types.jsonl", "dates.jsonl", "trailing_garbage.jsonl"} {
		if data, err := os.ReadFile(filepath.Join(hostileDir, name)); err == nil {
			f.Add(data)
		}
	}
	known := map[string]bool{extract.ReasonParse: true, extract.ReasonMissingField: true, extract.ReasonBadValue: true,
		extract.ReasonRecordTooLong: true, extract.ReasonBadEncoding: true, "blank_line": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := audit.New(dir, []string{"*.jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := run.Land(context.Background(), "portal", "audit_jsonl", src)
		if err != nil {
			t.Fatalf("a bad audit file failed the run: %v", err)
		}
		e := sm.Entities[0]
		if e.Read != e.Landed+e.Rejected {
			t.Fatalf("does not reconcile: %+v", e)
		}
		for r := range e.RejectsByReason {
			if !known[r] {
				t.Fatalf("unknown reason %q", r)
			}
		}
	})
}
