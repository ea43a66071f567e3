package history

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)

func TestAppendRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history", "runs.jsonl")
	me := os.Getpid()
	running := Record{RunID: "r1", Job: "nightly", Command: "run", Trigger: Schedule, ScheduledFor: t0, PID: me, Start: t0, Status: Running}
	done := running
	done.End = t0.Add(time.Hour)
	done.Status = Succeeded
	done.Steps = []Step{{Name: "extract gp", Start: t0, End: t0.Add(time.Minute), Status: Succeeded, Read: 10, Landed: 9, Rejected: 1}}
	done.Read, done.Landed, done.Rejected = 10, 9, 1
	crashed := Record{RunID: "r2", Command: "report", Trigger: Manual, PID: 1 << 30, Start: t0.Add(2 * time.Hour), Status: Running}
	live := Record{RunID: "r3", Command: "run", Trigger: Manual, PID: me, Start: t0.Add(3 * time.Hour), Status: Running}

	for _, r := range []Record{running, crashed, done, live} {
		if err := Append(path, r); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, %v; want 0600", st.Mode(), err)
	}
	got, skipped, err := Read(path)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Read: %v, skipped %v", err, skipped)
	}
	abandoned := crashed
	abandoned.Status = Abandoned
	want := []Record{done, abandoned, live}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read =\n%+v\nwant\n%+v", got, want)
	}

	// A crash mid-write leaves a partial line; Read skips and counts it and
	// the next Append is not glued to it.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"run_id":"r4","command":"ru`)
	f.Close()
	if got, skipped, err := Read(path); err != nil || len(got) != 3 || len(skipped) != 1 || skipped[0].Line != 5 ||
		!strings.Contains(skipped[0].Reason, "cut short") {
		t.Fatalf("after a torn write: %d records, skipped %v, %v", len(got), skipped, err)
	}
	next := Record{RunID: "r5", Command: "run", Trigger: Manual, PID: me, Start: t0.Add(4 * time.Hour), End: t0.Add(5 * time.Hour), Status: Failed, Error: "extracting gp: boom"}
	if err := Append(path, next); err != nil {
		t.Fatal(err)
	}
	got, skipped, err = Read(path)
	if err != nil || len(got) != 4 || !reflect.DeepEqual(got[3], next) || len(skipped) != 1 || skipped[0].Line != 5 {
		t.Errorf("after Append past a torn line: %+v, skipped %v, %v", got, skipped, err)
	}
}

func TestReadMissing(t *testing.T) {
	got, skipped, err := Read(filepath.Join(t.TempDir(), "none.jsonl"))
	if got != nil || skipped != nil || err != nil {
		t.Errorf("Read of a missing file = %v, %v, %v; want an empty history", got, skipped, err)
	}
}

func TestParse(t *testing.T) {
	alive := func(r Record) bool { return r.PID == 1 }
	tests := []struct {
		name    string
		in      string
		want    []string // run_id:status
		skipped []int
	}{
		{"empty", "", nil, nil},
		{"final supersedes running", `{"run_id":"a","status":"running","pid":1}` + "\n" + `{"run_id":"a","status":"succeeded","pid":1}` + "\n", []string{"a:succeeded"}, nil},
		{"live running", `{"run_id":"a","status":"running","pid":1}` + "\n", []string{"a:running"}, nil},
		{"dead running is abandoned", `{"run_id":"a","status":"running","pid":2}` + "\n", []string{"a:abandoned"}, nil},
		{"order of first appearance", `{"run_id":"a","status":"running","pid":1}` + "\n" + `{"run_id":"b","status":"failed"}` + "\n" + `{"run_id":"a","status":"cancelled"}` + "\n", []string{"a:cancelled", "b:failed"}, nil},
		{"truncated last line", `{"run_id":"a","status":"failed"}` + "\n" + `{"run_id":"b","sta`, []string{"a:failed"}, []int{2}},
		{"last line without newline is fine", `{"run_id":"a","status":"failed"}`, []string{"a:failed"}, nil},
		{"blank lines ignored", "\n" + `{"run_id":"a","status":"failed"}` + "\n\n", []string{"a:failed"}, nil},
		{"corrupt middle line and no run id", `{"run_id":"a","status":"failed"}` + "\nxx\n{}\n" + `{"run_id":"b","status":"failed"}` + "\n", []string{"a:failed", "b:failed"}, []int{2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, skipped, err := parse(strings.NewReader(tt.in), alive)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.RunID+":"+r.Status)
			}
			var lines []int
			for _, s := range skipped {
				lines = append(lines, s.Line)
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(lines, tt.skipped) {
				t.Errorf("got %v skipped %v; want %v skipped %v", got, lines, tt.want, tt.skipped)
			}
		})
	}
}

func TestLastSuccess(t *testing.T) {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	recs := []Record{
		{RunID: "1", Job: "nightly", Status: Succeeded, Start: h(1)},
		{RunID: "2", Job: "nightly", Status: Succeeded, Start: h(5), ScheduledFor: h(4)},
		{RunID: "3", Job: "nightly", Status: Failed, Start: h(9)},
		{RunID: "4", Job: "nightly", Status: Abandoned, Start: h(10)},
		{RunID: "5", Job: "monthly", Status: Succeeded, Start: h(2)},
		{RunID: "6", Job: "clock-skew", Status: Succeeded, Start: h(2), ScheduledFor: h(3)},
		{RunID: "7", Status: Succeeded, Command: "run", Start: h(20)}, // manual
	}
	tests := []struct {
		job  string
		want time.Time
		ok   bool
	}{
		{"nightly", h(5), true},
		{"monthly", h(2), true},
		{"clock-skew", h(3), true},
		{"never", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := LastSuccess(recs, tt.job)
		if !got.Equal(tt.want) || ok != tt.ok {
			t.Errorf("LastSuccess(%q) = %v, %v; want %v, %v", tt.job, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"run_id":"a","status":"running","pid":1}` + "\n" + `{"run_id":"a","status":"succeeded"}` + "\n")
	f.Add(`{"run_id":"b","sta`)
	f.Add("\n\nxx\n{}\n")
	f.Fuzz(func(t *testing.T, in string) {
		recs, skipped, err := parse(strings.NewReader(in), func(Record) bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(in, "\n") + 1
		if len(recs)+len(skipped) > lines {
			t.Errorf("%d records and %d skipped from %d lines", len(recs), len(skipped), lines)
		}
		for _, r := range recs {
			if r.RunID == "" || r.Status == Running {
				t.Errorf("record %+v: no run id, or running with a dead process", r)
			}
		}
	})
}
