package personindex

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sharedcare/sharedcare/transform/match"
)

// Decision is a clerical decision on a pair of records, stored in the lake
// (LAKE/index/decisions.jsonl) and applied on every later run: accept makes
// the two one person, reject keeps them apart.
type Decision struct {
	A, B   string    // record ids (RecordID)
	Accept bool      `json:"accept"`
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"` // who decided (an operator name, not a patient)
	Note   string    `json:"note,omitempty"`
}

// DecisionsFile is where decisions are kept, relative to the lake.
const DecisionsFile = "index/decisions.jsonl"

// AppendDecision records d; a later decision on the same pair replaces an
// earlier one.
func AppendDecision(lake string, d Decision) error {
	if d.A == "" || d.B == "" || d.A == d.B {
		return errors.New("a decision needs two different record ids")
	}
	path := filepath.Join(lake, DecisionsFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	line, err := json.Marshal(d)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadDecisions returns the current decision for every decided pair,
// ordered by pair. A line that cannot be read (a crash mid-write) is an
// error naming the line: decisions are too important to skip silently.
func ReadDecisions(lake string) ([]Decision, error) {
	path := filepath.Join(lake, DecisionsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	latest := map[[2]string]Decision{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var d Decision
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		k := [2]string{d.A, d.B}
		if d.B < d.A {
			k = [2]string{d.B, d.A}
		}
		latest[k] = d
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]Decision, 0, len(latest))
	for _, d := range latest {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out, nil
}

// MatchDecisions converts decisions for the matcher.
func MatchDecisions(ds []Decision) []match.Decision {
	out := make([]match.Decision, len(ds))
	for i, d := range ds {
		out[i] = match.Decision{A: d.A, B: d.B, Accept: d.Accept}
	}
	return out
}
