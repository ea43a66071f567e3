package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Triggers: what started a run.
const (
	Manual   = "manual"   // a person ran `sharedcare run` or `report`
	Schedule = "schedule" // the daemon, at the job's scheduled time
	CatchUp  = "catch-up" // the daemon, on start, for a scheduled time it missed
)

// Statuses of a run or a step.
const (
	Running   = "running"
	Succeeded = "succeeded"
	Failed    = "failed"
	Cancelled = "cancelled"
	// Abandoned is never written: Read reports a "running" record whose
	// process is gone as abandoned (it crashed or was killed).
	Abandoned = "abandoned"
)

// Record is one run of a command.
type Record struct {
	RunID   string `json:"run_id"`
	Job     string `json:"job,omitempty"` // the schedule job's name; empty for a manual run
	Command string `json:"command"`       // run or report
	Trigger string `json:"trigger"`       // Manual, Schedule or CatchUp
	// ScheduledFor is the scheduled time a Schedule or CatchUp run is for.
	ScheduledFor time.Time `json:"scheduled_for,omitzero"`
	PID          int       `json:"pid"`
	Host         string    `json:"host,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end,omitzero"`
	Status       string    `json:"status"`
	Steps        []Step    `json:"steps,omitempty"`
	Read         int64     `json:"read"`
	Landed       int64     `json:"landed"`
	Rejected     int64     `json:"rejected"`
	Error        string    `json:"error,omitempty"`
}

// Step is one stage of a run (extract one source, build the index, load,
// publish, write the report).
type Step struct {
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Status   string    `json:"status"`
	Read     int64     `json:"read"`
	Landed   int64     `json:"landed"`
	Rejected int64     `json:"rejected"`
	Error    string    `json:"error,omitempty"`
}

// Append adds r as one line to the history at path, creating the file (0600)
// and its directory (0700) if needed, and fsyncs it.
func Append(path string, r Record) error {
	if r.RunID == "" {
		return errors.New("appending to run history: record has no run id")
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding run %s: %w", r.RunID, err)
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating run history directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening run history: %w", err)
	}
	// If a crash left a partial last line, start on a new one so this
	// record is not glued to it.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("appending run %s to %s: %w", r.RunID, path, err)
	}
	return nil
}

// Skipped is a line Read could not use.
type Skipped struct {
	Line   int
	Reason string
}

func (s Skipped) String() string { return fmt.Sprintf("line %d: %s", s.Line, s.Reason) }

// Read returns the runs in the history at path, one Record per RunID (the
// last line written for it), in the order the runs first appear. A missing
// file is an empty history. Unreadable lines — normally only a last line cut
// short by a crash — are left out and returned in skipped, for the caller to
// log as a warning. A "running" record whose process no longer exists on this
// host is returned with Status Abandoned.
func Read(path string) (records []Record, skipped []Skipped, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading run history: %w", err)
	}
	defer f.Close() // read-only
	records, skipped, err = parse(f, processAlive)
	if err != nil {
		return nil, nil, fmt.Errorf("reading run history %s: %w", path, err)
	}
	return records, skipped, nil
}

func parse(r io.Reader, alive func(Record) bool) ([]Record, []Skipped, error) {
	var (
		records []Record
		skipped []Skipped
		index   = map[string]int{}
	)
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		complete := err == nil
		if len(bytes.TrimSpace(line)) > 0 {
			var rec Record
			if jerr := json.Unmarshal(line, &rec); jerr != nil || rec.RunID == "" {
				reason := "not a run record"
				if jerr != nil {
					reason = jerr.Error()
				}
				if !complete {
					reason = "last line cut short (a crash while writing?): " + reason
				}
				skipped = append(skipped, Skipped{Line: n, Reason: reason})
			} else if i, ok := index[rec.RunID]; ok {
				records[i] = rec
			} else {
				index[rec.RunID] = len(records)
				records = append(records, rec)
			}
		}
		if !complete {
			break
		}
	}
	for i, rec := range records {
		if rec.Status == Running && !alive(rec) {
			records[i].Status = Abandoned
		}
	}
	return records, skipped, nil
}

// processAlive reports whether the record's process may still be running: it
// exists on this host, or the record is from another host (unknowable).
func processAlive(r Record) bool {
	if host, _ := os.Hostname(); r.Host != "" && host != "" && r.Host != host {
		return true
	}
	if r.PID <= 0 {
		return false
	}
	err := syscall.Kill(r.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// LastSuccess returns the latest time at which job last succeeded: the later
// of the run's Start and ScheduledFor, over records with Job == job and
// Status Succeeded. ok is false if the job never succeeded.
func LastSuccess(records []Record, job string) (t time.Time, ok bool) {
	for _, r := range records {
		if r.Job != job || r.Status != Succeeded {
			continue
		}
		at := r.Start
		if r.ScheduledFor.After(at) {
			at = r.ScheduledFor
		}
		if !ok || at.After(t) {
			t, ok = at, true
		}
	}
	return t, ok
}
