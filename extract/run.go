package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Manifest is the record of one complete extract run, written last as
// LAKE/runs/RUN.json. Paths are relative to the lake and use forward slashes.
type Manifest struct {
	RunID string `json:"run_id"`
	// Full is set when the run ignored earlier runs (--full): loads take
	// nothing older than it.
	Full       bool             `json:"full,omitempty"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Sources    []SourceManifest `json:"sources"`
}

// SourceManifest is one source's part of a run.
type SourceManifest struct {
	Name        string           `json:"name"`
	Kind        string           `json:"kind"`
	Inputs      []Input          `json:"inputs"`
	Entities    []EntityManifest `json:"entities"`
	RejectFiles []string         `json:"reject_files,omitempty"`
}

// Input is one input file a source read.
type Input struct {
	File   string `json:"file"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// LandedIn is set when the file was skipped because a byte-identical
	// copy was landed by that earlier run.
	LandedIn string `json:"landed_in,omitempty"`
	// Stat is the file's identity when it was opened (Linux only): a later
	// run that finds the same identity takes the file for unchanged
	// without reading it again.
	Stat FileID `json:"stat,omitzero"`
}

// FileID identifies one state of a file: its size, its modification and
// status-change times, and its inode and device. Writing to a file, or
// replacing it, changes its status-change time, which no program can set
// back (touch can set the modification time only), so a file whose FileID
// is the same as when its bytes were hashed still has those bytes. A file
// whose FileID differs for another reason (chmod, a new hard link) is
// hashed again, as before.
type FileID struct {
	Size       int64  `json:"size"`
	ModTime    int64  `json:"mtime_ns"`
	ChangeTime int64  `json:"ctime_ns"`
	Inode      uint64 `json:"inode"`
	Device     uint64 `json:"dev"`
}

// EntityManifest reconciles one entity: Read = Landed + Rejected.
type EntityManifest struct {
	Entity          string           `json:"entity"`
	Files           []string         `json:"files"`
	Read            int64            `json:"read"`
	Landed          int64            `json:"landed"`
	Rejected        int64            `json:"rejected"`
	RejectsByReason map[string]int64 `json:"rejects_by_reason"`
	// Watermark is the high-water mark an incremental source reached for this
	// entity (e.g. the greatest updated_at seen), carried to the next run.
	Watermark string `json:"watermark,omitempty"`
}

// Entity returns the named source's entity entry, or nil.
func (m *Manifest) Entity(source, entity string) *EntityManifest {
	for i := range m.Sources {
		if m.Sources[i].Name != source {
			continue
		}
		for j := range m.Sources[i].Entities {
			if m.Sources[i].Entities[j].Entity == entity {
				return &m.Sources[i].Entities[j]
			}
		}
	}
	return nil
}

// Run is one extract run into a lake.
type Run struct {
	ID        string
	Lake      string
	StartedAt time.Time
	mem       memory.Allocator
	manifest  Manifest
	prev      *Manifest // last complete run, nil on a first or full run
	// landed maps source → file → sha256 → the run that landed it, from every
	// complete run since the last full one.
	landed map[string]map[string]map[string]string
	// hashed maps source → file → FileID → the sha256 the file had when it
	// had that identity, from the same runs: a file found with one of them
	// is not hashed again.
	hashed map[string]map[string]map[FileID]string
	// OnLanded, if set, is called after every 1,000th record landed in the
	// run (all sources together) with the count so far. Fault-injection
	// tests use it to kill the process mid-file.
	OnLanded func(n int64)
	landedN  int64
}

// NewRun starts a run in lake at time now. Run ids sort in time order. mem
// may be nil for the Go allocator.
func NewRun(lake string, now time.Time, mem memory.Allocator) (*Run, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if err := os.MkdirAll(filepath.Join(lake, "runs"), 0o700); err != nil {
		return nil, fmt.Errorf("creating lake: %w", err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	id := now.Format("20060102T150405.000000Z")
	runs, err := CompleteRuns(lake)
	if err != nil {
		return nil, err
	}
	var prev *Manifest
	if len(runs) > 0 {
		prev = runs[len(runs)-1]
	}
	landed := map[string]map[string]map[string]string{}
	hashed := map[string]map[string]map[FileID]string{}
	for _, m := range SinceLastFull(runs) {
		for _, s := range m.Sources {
			for _, in := range s.Inputs {
				if in.Stat != (FileID{}) {
					if hashed[s.Name] == nil {
						hashed[s.Name] = map[string]map[FileID]string{}
					}
					if hashed[s.Name][in.File] == nil {
						hashed[s.Name][in.File] = map[FileID]string{}
					}
					hashed[s.Name][in.File][in.Stat] = in.SHA256
				}
				if in.LandedIn != "" {
					continue
				}
				if landed[s.Name] == nil {
					landed[s.Name] = map[string]map[string]string{}
				}
				if landed[s.Name][in.File] == nil {
					landed[s.Name][in.File] = map[string]string{}
				}
				landed[s.Name][in.File][in.SHA256] = m.RunID
			}
		}
	}
	if prev != nil && prev.RunID >= id {
		return nil, fmt.Errorf("run %s would not sort after the last run %s: check the clock", id, prev.RunID)
	}
	return &Run{ID: id, Lake: lake, StartedAt: now, mem: mem, prev: prev, landed: landed, hashed: hashed, manifest: Manifest{RunID: id, StartedAt: now}}, nil
}

// Land runs one source into the lake. A source error discards the files the
// source wrote and is returned; the run must then not be committed.
func (r *Run) Land(ctx context.Context, name, kind string, src Source) (SourceManifest, error) {
	if err := ValidName(name); err != nil {
		return SourceManifest{}, fmt.Errorf("source name: %w", err)
	}
	w := &Writer{run: r, source: name, kind: kind, entities: map[string]*EntityWriter{}}
	if err := src.Extract(ctx, w); err != nil {
		w.discard()
		return SourceManifest{}, fmt.Errorf("extracting source %s: %w", name, err)
	}
	sm, err := w.close()
	if err != nil {
		return SourceManifest{}, fmt.Errorf("landing source %s: %w", name, err)
	}
	for _, e := range sm.Entities {
		if e.Read != e.Landed+e.Rejected {
			return SourceManifest{}, fmt.Errorf("source %s entity %s does not reconcile: read %d, landed %d, rejected %d", name, e.Entity, e.Read, e.Landed, e.Rejected)
		}
	}
	r.manifest.Sources = append(r.manifest.Sources, sm)
	return sm, nil
}

// Commit writes the manifest, making the run complete and visible to loads.
func (r *Run) Commit(now time.Time) (*Manifest, error) {
	r.manifest.FinishedAt = now.UTC().Truncate(time.Microsecond)
	data, err := json.MarshalIndent(r.manifest, "", "  ")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(r.Lake, "runs", r.ID+".json")
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return nil, fmt.Errorf("committing run %s: %w", r.ID, err)
	}
	m := r.manifest
	return &m, nil
}

// writeFileAtomic writes path.partial, syncs it and renames it to path.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ErrNoRun means the lake has no complete run.
var ErrNoRun = errors.New("the lake has no complete extract run")

// LatestRun returns the manifest of the most recent complete run in lake.
func LatestRun(lake string) (*Manifest, error) {
	runs, err := CompleteRuns(lake)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, ErrNoRun
	}
	return runs[len(runs)-1], nil
}

// CompleteRuns returns the manifests of every complete run in lake, oldest
// first. A lake without runs gives none and no error.
func CompleteRuns(lake string) ([]*Manifest, error) {
	entries, err := os.ReadDir(filepath.Join(lake, "runs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".json") {
			ids = append(ids, strings.TrimSuffix(n, ".json"))
		}
	}
	sort.Strings(ids)
	out := make([]*Manifest, 0, len(ids))
	for _, id := range ids {
		m, err := ReadManifest(lake, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// SinceLastFull returns the runs from the most recent full run on (all of
// them when none was full): what a load must read.
func SinceLastFull(runs []*Manifest) []*Manifest {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Full {
			return runs[i:]
		}
	}
	return runs
}

// ReadManifest reads the manifest of run id.
func ReadManifest(lake, id string) (*Manifest, error) {
	path := filepath.Join(lake, "runs", id+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading run manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &m, nil
}

// Full makes the run ignore what earlier runs recorded (watermarks), so
// every source is extracted in full.
func (r *Run) Full() {
	r.prev = nil
	r.landed, r.hashed = nil, nil
	r.manifest.Full = true
}

// PreviousWatermark returns the watermark this source recorded for entity in
// the last complete run, and false when there is none (first or full run).
func (w *Writer) PreviousWatermark(entity string) (string, bool) {
	if w.run.prev == nil {
		return "", false
	}
	e := w.run.prev.Entity(w.source, entity)
	if e == nil || e.Watermark == "" {
		return "", false
	}
	return e.Watermark, true
}

// SetWatermark records entity's new watermark. It takes effect only if the
// run commits, so a failed extract never advances it. The entity must have
// been opened with Entity.
func (w *Writer) SetWatermark(entity, value string) error {
	e, ok := w.entities[entity]
	if !ok {
		return fmt.Errorf("source %s: watermark for unknown entity %s", w.source, entity)
	}
	e.stats.Watermark = value
	return nil
}

// Landing is where the current rows of one source entity live across runs.
type Landing struct {
	// Files are the entity's Parquet files, relative to the lake, from every
	// run since the last full one, oldest first.
	Files []string
	// LatestRun maps each source file (the _source_file lineage value) to
	// the run that last landed it. A landed row is current when its _run_id
	// equals LatestRun[its _source_file]; rows of older landings of the same
	// file are superseded.
	LatestRun map[string]string
	// Whole, by Files, is true for a file every row of which is current:
	// no source file its run landed was landed again by a later run. A
	// reader need not check its rows against LatestRun.
	Whole []bool
}

// EntityLanding collects the landing of source.entity over runs (as given by
// SinceLastFull).
func EntityLanding(runs []*Manifest, source, entity string) Landing {
	l := Landing{LatestRun: map[string]string{}}
	var fileRuns []*Manifest
	for _, m := range runs {
		e := m.Entity(source, entity)
		if e == nil {
			continue
		}
		l.Files = append(l.Files, e.Files...)
		for range e.Files {
			fileRuns = append(fileRuns, m)
		}
		for _, s := range m.Sources {
			if s.Name != source {
				continue
			}
			for _, in := range s.Inputs {
				if in.LandedIn == "" {
					l.LatestRun[in.File] = m.RunID
				}
			}
		}
	}
	whole := map[*Manifest]bool{}
	for _, m := range fileRuns {
		if _, done := whole[m]; done {
			continue
		}
		whole[m] = true
		for _, s := range m.Sources {
			if s.Name != source {
				continue
			}
			for _, in := range s.Inputs {
				if in.LandedIn == "" && l.LatestRun[in.File] != m.RunID {
					whole[m] = false
				}
			}
		}
	}
	for _, m := range fileRuns {
		l.Whole = append(l.Whole, whole[m])
	}
	return l
}
