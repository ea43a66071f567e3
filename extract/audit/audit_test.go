package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/audit"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

func TestExtract(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src, err := audit.New("testdata", []string{"audit/*.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := extract.NewRun(t.TempDir(), time.Now(), mem)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "portal", "audit_jsonl", src)
	if err != nil {
		t.Fatal(err)
	}
	e := sm.Entities[0]
	// 9 lines: E1, E2, E7 land; E3 (empty user), E4 (truncated), blank, E5
	// (bad time), E6 (trailing data), [1,2,3] (not an object) are rejected.
	if e.Read != 9 || e.Landed != 3 || e.Rejected != 6 {
		t.Fatalf("read %d landed %d rejected %d, want 9/3/6; reasons %v", e.Read, e.Landed, e.Rejected, e.RejectsByReason)
	}
	want := map[string]int64{"missing_field": 1, "parse_error": 3, "blank_line": 1, "bad_value": 1}
	for k, v := range want {
		if e.RejectsByReason[k] != v {
			t.Errorf("%s = %d, want %d (%v)", k, e.RejectsByReason[k], v, e.RejectsByReason)
		}
	}
	if _, err := run.Commit(time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestLongLineRejected(t *testing.T) {
	dir := t.TempDir()
	long := `{"event_id":"` + strings.Repeat("x", audit.MaxLine) + `"}` + "\n" +
		`{"event_id":"E1","timestamp":"2025-01-03T09:12:44Z","user_id":"U1","org_code":"A","nhs_number":"9434765919"}` + "\n"
	writeFile(t, dir+"/a.jsonl", long)
	src, _ := audit.New(dir, []string{"*.jsonl"})
	run, _ := extract.NewRun(t.TempDir(), time.Now(), nil)
	sm, err := run.Land(context.Background(), "portal", "audit_jsonl", src)
	if err != nil {
		t.Fatal(err)
	}
	e := sm.Entities[0]
	if e.Landed != 1 || e.RejectsByReason[extract.ReasonRecordTooLong] != 1 {
		t.Fatalf("landed %d, reasons %v", e.Landed, e.RejectsByReason)
	}
}

func TestMissingFileIsSystemic(t *testing.T) {
	src, _ := audit.New(t.TempDir(), []string{"audit/*.jsonl"})
	run, _ := extract.NewRun(t.TempDir(), time.Now(), nil)
	if _, err := run.Land(context.Background(), "portal", "audit_jsonl", src); err == nil {
		t.Fatal("want error when no file matches")
	}
}

func TestConformance(t *testing.T) {
	extracttest.Run(t, func(t *testing.T) extract.Source {
		src, err := audit.New("testdata", []string{"audit/*.jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}
