package personindex

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// movedFile is the Parquet file of the records whose person changed since
// the previous index.
func movedFile(runID string) string { return filepath.Join(Dir(runID), "person_moved.parquet") }

// MovedFile is movedFile for other packages (the warehouse reads it).
func MovedFile(runID string) string { return movedFile(runID) }

// movedFromFile names the index the moved records were compared with.
func movedFromFile(runID string) string { return filepath.Join(Dir(runID), "person_moved.from") }

// Moved lists the records whose person differs from the one the previous
// index gave them: records new to the index, records gone from it, and
// records whose person id changed. A night's warehouse moves the rows of
// these records only (sql/incremental/core__encounter.sql): every other
// record has the person it had. Records of the index are held as their
// positions in its Links, 12 bytes each, since a full run may move many.
type Moved struct {
	links []int32 // positions in Links, ascending
	was   []int64 // their previous person ids; 0 for a new record
	gone  []goneRecord
}

// goneRecord is a record of the previous index that this one lacks.
type goneRecord struct {
	source, entity, key string
	was                 int64
}

// Len is the number of records moved.
func (m *Moved) Len() int { return len(m.links) + len(m.gone) }

// MovedSince compares links (with their person ids assigned) with prev:
// the records of links in their order, then the records gone by source,
// entity and key.
func MovedSince(links *Links, prev *Previous) Moved {
	var out Moved
	if m := prev.matched; m != nil && m.links == links {
		for i, was := range m.of {
			if links.personID(i) != was {
				out.links = append(out.links, int32(i))
				out.was = append(out.was, was)
			}
		}
		out.gone = m.gone
		return out
	}
	found := map[*prevGroup][]bool{}
	var g *prevGroup
	var seen []bool
	var lg *linkGroup
	hint := 0
	for i := range links.Len() {
		if l := links.group(i); lg == nil || l.source != lg.source || l.entity != lg.entity {
			lg, hint = l, 0
			g = prev.groups[groupName(l.source, l.entity)]
			if g != nil && found[g] == nil {
				found[g] = make([]bool, len(g.ids))
			}
			seen = found[g]
		}
		var was int64
		if g != nil {
			if id, at := g.find(links.key(i), hint); at >= 0 {
				was, hint, seen[at] = id, at+1, true
			}
		}
		if links.personID(i) != was {
			out.links = append(out.links, int32(i))
			out.was = append(out.was, was)
		}
	}
	names := make([]string, 0, len(prev.groups))
	for name := range prev.groups {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		g := prev.groups[name]
		source, entity, _ := strings.Cut(name, "\x00")
		seen := found[g] // nil when no record of this source and entity is left
		for j := range g.ids {
			if seen == nil || !seen[j] {
				out.gone = append(out.gone, goneRecord{source, entity, g.key(j), g.ids[j]})
			}
		}
	}
	return out
}

// CompareWith lists the records whose person changed since prev (see
// MovedSince), for WriteOutput to write beside the links. With no
// previous index nothing is compared: every record would be new.
func (o *Output) CompareWith(prev *Previous) {
	if prev.Run == "" {
		return
	}
	o.Moved, o.MovedFrom = MovedSince(o.Links, prev), prev.Run
}

// writeMoved writes out.Moved as person_moved.parquet of run id, and the
// run of the index they were compared with as person_moved.from.
func writeMoved(lake, runID string, out *Output, mem memory.Allocator) error {
	links, m := out.Links, &out.Moved
	n := len(m.links)
	str := func(link func(i int) string, gone func(g *goneRecord) string) func(r int) string {
		return func(r int) string {
			if r < n {
				return link(int(m.links[r]))
			}
			return gone(&m.gone[r-n])
		}
	}
	cols := []column{
		strCol("source", str(func(i int) string { return links.group(i).source }, func(g *goneRecord) string { return g.source })),
		strCol("entity", str(func(i int) string { return links.group(i).entity }, func(g *goneRecord) string { return g.entity })),
		strCol("record_key", str(func(i int) string { return links.key(i) }, func(g *goneRecord) string { return g.key })),
		nullInt64Col("person_id", func(r int) int64 {
			if r < n {
				return links.personID(int(m.links[r]))
			}
			return 0
		}),
		nullInt64Col("previous_person_id", func(r int) int64 {
			if r < n {
				return m.was[r]
			}
			return m.gone[r-n].was
		}),
	}
	if err := writeRows(lake, movedFile(runID), cols, m.Len(), mem, "record_key"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(lake, movedFromFile(runID)), []byte(out.MovedFrom+"\n"), 0o600)
}

// MovedFrom returns the run of the index that index run id's moved
// records were compared with, and whether the index listed them at all
// (not when there was no index before it, or it was written before
// person_moved was).
func MovedFrom(lake, runID string) (string, bool, error) {
	b, err := os.ReadFile(filepath.Join(lake, movedFromFile(runID)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading which index the person index %s was compared with: %w", runID, err)
	}
	return strings.TrimSpace(string(b)), true, nil
}
