package personindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A snapshot is one source's current person-level records as an index run
// read them: one row per record key, in the order ReadPersons kept them,
// with the raw values of the row that won and the source links that row
// gave (not the merges: those are read from their own landing every run).
// A hospital's HL7 feed lands the patient's demographics with every
// message, so reading its landing costs more with every month of history;
// the next run reads the snapshot and only the files landed since, and
// gets the same records in the same order. It is written only for a source
// whose records came from more than one landed file (or a snapshot), or
// from more rows than records: one whole extract sent every night (a GP
// list) would only be copied.
//
// A snapshot is LAKE/index/run=R/records/source=S.parquet with, beside it,
// source=S.json: what it covers (snapshotCover). It is used only when that
// still describes the landing: the same entity, key and links column, its
// files the first of the landing's files, and, for a file feed, none of
// the source files it covers landed again since. Otherwise the source's
// landing is read in full, as without one.

// snapshotVersion changes whenever the snapshot's form or the rules that
// made its rows change, so that no older snapshot is read.
const snapshotVersion = 1

// SnapshotFile is the snapshot of source written by index run runID,
// relative to the lake.
func SnapshotFile(runID, source string) string {
	return filepath.Join(Dir(runID), "records", "source="+source+".parquet")
}

func snapshotCoverFile(runID, source string) string {
	return filepath.Join(Dir(runID), "records", "source="+source+".json")
}

// snapshotCover says which landing a snapshot was read from.
type snapshotCover struct {
	Version     int      `json:"version"`
	Entity      string   `json:"entity"`
	Key         []string `json:"key"`
	LinksColumn string   `json:"links_column,omitempty"`
	ByFile      bool     `json:"by_file"`
	// Files are the landing's Parquet files the snapshot holds the
	// records of, oldest first.
	Files []string `json:"files"`
	// LatestRun is the landing's LatestRun when the snapshot was made.
	LatestRun map[string]string `json:"latest_run,omitempty"`
	// Records is the number of rows in the snapshot.
	Records int `json:"records"`
}

func coverOf(ps PersonSource, records int) snapshotCover {
	c := snapshotCover{Version: snapshotVersion, Entity: ps.Entity, Key: ps.Key, LinksColumn: ps.LinksColumn,
		ByFile: ps.ByFile, Files: ps.Landing.Files, Records: records}
	if ps.ByFile {
		c.LatestRun = ps.Landing.LatestRun
	}
	return c
}

// SnapshotUse says how a source's records were read.
type SnapshotUse struct {
	// From is the index run whose snapshot was read, "" for none.
	From string
	// Why tells why no snapshot was read, when one was offered.
	Why string
	// Wrote is true when the read wrote a snapshot for the next run.
	Wrote bool
}

// snapshotFor checks the snapshot of ps.Source that index run ps.From
// wrote against ps's landing. It returns how many of the landing's files
// the snapshot covers (its rows replace theirs), or 0 and why it cannot be
// used.
func snapshotFor(lake string, ps PersonSource) (int, string) {
	b, err := os.ReadFile(filepath.Join(lake, snapshotCoverFile(ps.From, ps.Source)))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "the last index wrote no snapshot of it"
	}
	if err != nil {
		return 0, "its snapshot cannot be read: " + err.Error()
	}
	var c snapshotCover
	if err := json.Unmarshal(b, &c); err != nil {
		return 0, "its snapshot's cover cannot be read: " + err.Error()
	}
	switch {
	case c.Version != snapshotVersion:
		return 0, fmt.Sprintf("its snapshot is of version %d, not %d", c.Version, snapshotVersion)
	case c.Entity != ps.Entity || !slices.Equal(c.Key, ps.Key) || c.LinksColumn != ps.LinksColumn || c.ByFile != ps.ByFile:
		return 0, "its configuration changed since the snapshot"
	case len(c.Files) == 0 || len(c.Files) > len(ps.Landing.Files) || !slices.Equal(c.Files, ps.Landing.Files[:len(c.Files)]):
		return 0, "its landing is not the one the snapshot was made from (a full run, or files gone)"
	}
	if c.ByFile {
		for f, run := range c.LatestRun {
			if ps.Landing.LatestRun[f] != run {
				return 0, "a source file it covers landed again since the snapshot"
			}
		}
	}
	if _, err := os.Stat(filepath.Join(lake, SnapshotFile(ps.From, ps.Source))); err != nil {
		return 0, "its snapshot file is missing"
	}
	return len(c.Files), ""
}

// snapshotColumns are the columns of a snapshot, in order.
var snapshotColumns = append(append([]string{"record_key"}, PersonColumns...), "links")

// writeSnapshot writes the records recs[lo:hi] of p (one source's, before
// any merges were added to their links) as the snapshot of ps by index
// run runID, then its cover.
func writeSnapshot(lake, runID string, ps PersonSource, p *Persons, lo, hi int, mem memory.Allocator) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	recs := p.recs[lo:hi]
	dict := func(f func(r *personRec) uint32) func(i int) string {
		return func(i int) string { return p.dict.get(f(&recs[i])) }
	}
	cols := []column{
		strCol("record_key", func(i int) string { return p.key(&recs[i]) }),
		strCol("nhs_number", func(i int) string { return p.nhs(&recs[i]) }),
		strCol("given_name", dict(func(r *personRec) uint32 { return r.given })),
		strCol("family_name", dict(func(r *personRec) uint32 { return r.family })),
		{"date_of_birth", arrow.FixedWidthTypes.Date32, func(b array.Builder) func(int) {
			db := b.(*array.Date32Builder)
			return func(i int) {
				if d := recs[i].dob; d == noDate {
					db.AppendNull()
				} else {
					db.Append(arrow.Date32(d))
				}
			}
		}},
		strCol("sex", func(i int) string { return fixedCodes[recs[i].sex] }),
		strCol("postcode", dict(func(r *personRec) uint32 { return r.postcode })),
		{"links", arrow.ListOf(arrow.BinaryTypes.String), func(b array.Builder) func(int) {
			lb := b.(*array.ListBuilder)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			return func(i int) {
				if recs[i].links == 0 {
					lb.AppendNull()
					return
				}
				lb.Append(true)
				for _, l := range p.links[recs[i].links-1] {
					vb.Append(l)
				}
			}
		}},
	}
	if err := writeRows(lake, SnapshotFile(runID, ps.Source), cols, hi-lo, mem, "record_key", "nhs_number"); err != nil {
		return fmt.Errorf("writing the snapshot of %s: %w", ps.Source, err)
	}
	b, err := json.MarshalIndent(coverOf(ps, hi-lo), "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(lake, snapshotCoverFile(runID, ps.Source))
	if err := os.WriteFile(path+".partial", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".partial", path)
}
