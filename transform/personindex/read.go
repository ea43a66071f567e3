package personindex

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
)

// ReadParquet streams the named columns of a Parquet file, calling fn for
// every row with the batch's columns (in the order asked) and the row index.
func ReadParquet(ctx context.Context, path string, cols []string, mem memory.Allocator, fn func(cols []arrow.Array, i int) error) error {
	return readParquet(ctx, path, cols, nil, mem, fn)
}

// readParquet is ReadParquet over the given row groups only (nil: all).
func readParquet(ctx context.Context, path string, cols []string, rowGroups []int, mem memory.Allocator, fn func(cols []arrow.Array, i int) error) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024}, mem)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return err
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		f := schema.FieldIndices(c)
		if len(f) != 1 {
			return fmt.Errorf("%s has no column %q", path, c)
		}
		idx[i] = f[0]
	}
	rr, err := fr.GetRecordReader(ctx, idx, rowGroups)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		arrs := rec.Columns()
		for i := 0; i < int(rec.NumRows()); i++ {
			if err := fn(arrs, i); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

func str(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.(*array.String).Value(i)
}

func date(a arrow.Array, i int) time.Time {
	if a.IsNull(i) {
		return time.Time{}
	}
	return a.(*array.Date32).Value(i).ToTime()
}

// PersonColumns are the landed columns the index reads from a person-level
// entity, besides its key columns; the source's mapping must produce them.
var PersonColumns = []string{"nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"}

// PersonSource says where one source's person-level records are.
type PersonSource struct {
	Source, System, Entity string
	// Key lists the columns whose values, joined with "/", make the record
	// key; empty means the column record_key.
	Key []string
	// Landing is the entity's landing across runs.
	Landing extract.Landing
	// LinksColumn, if set, is a string_list column of FHIR-style references
	// ("type|Patient/id") to records of the same entity the source says are
	// the same person (Patient.link).
	LinksColumn string
	// Merges, if set, is the landing of an entity with record_key and
	// prior_record_key columns: the source merged the prior record into the
	// surviving one (HL7 A40).
	Merges *extract.Landing
	// ByFile keeps, for each source file, only the rows of the run that last
	// landed it (file feeds). Database feeds land changed rows only, so
	// every run's rows count and the latest per key wins.
	ByFile bool
	// From, when set, is the index run whose snapshot of this source may be
	// read in place of the landing files it covers (see SnapshotFile).
	From string
	// SnapshotRun, when set, is the index run to write a snapshot of this
	// source's records for, when they came from more than one file or
	// from more rows than records.
	SnapshotRun string
}

// PersonRows is how many records ReadPersons may at most append for ps:
// the rows of the row groups it will read; and how many files those come
// from. A caller reading several sources sizes one slice for all of them
// with it, and reads first those whose rows come from more than one file,
// which may repeat keys (see Persons.Reserve).
func PersonRows(lake string, ps PersonSource) (rows, files int, err error) {
	units, _, err := personUnits(lake, ps)
	if err != nil {
		return 0, 0, err
	}
	for i, u := range units {
		rows += int(u.rows)
		if i == 0 || u.path != units[i-1].path {
			files++
		}
	}
	return rows, files, nil
}

// personUnits lists the row groups to read for ps: those of its snapshot,
// when it has one that may be used, then those of the landing files the
// snapshot does not cover. It also says whether a snapshot was read, or
// why not.
func personUnits(lake string, ps PersonSource) ([]parquetUnit, SnapshotUse, error) {
	var units []parquetUnit
	var use SnapshotUse
	files := ps.Landing.Files
	if ps.From != "" {
		covered, why := snapshotFor(lake, ps)
		if covered > 0 {
			us, err := currentRowGroups(filepath.Join(lake, SnapshotFile(ps.From, ps.Source)), nil)
			if err != nil {
				return nil, use, fmt.Errorf("reading the snapshot of %s: %w", ps.Source, err)
			}
			for i := range us {
				us[i].snapshot = true
			}
			units, files, use.From = us, files[covered:], ps.From
		} else {
			use.Why = why
		}
	}
	for _, f := range files {
		p := filepath.Join(lake, filepath.FromSlash(f))
		var latest map[string]string
		if ps.ByFile {
			latest = ps.Landing.LatestRun
		}
		us, err := currentRowGroups(p, latest)
		if err != nil {
			return nil, use, fmt.Errorf("reading %s.%s: %w", ps.Source, ps.Entity, err)
		}
		units = append(units, us...)
	}
	return units, use, nil
}

// ReadPersons adds the current person-level records of one source to dst.
// When a record key appears more than once (an HL7 feed sends a patient's
// demographics with every message), the last one read wins, in the place
// of the first: files are read in run order and rows in their order
// within a file.
//
// Calls on one dst must not run at once.
//
// Records are read straight into dst, each row group into its own stretch,
// then closed up in place: with room in dst (PersonRows) nothing is copied
// to a second slice. At 3,000,000 persons the copies (row groups' records,
// then a source's, then every source's) were 800 MB at the read's peak.
func ReadPersons(ctx context.Context, lake string, ps PersonSource, mem memory.Allocator, dst *Persons) (SnapshotUse, error) {
	key := ps.Key
	if len(key) == 0 {
		key = []string{"record_key"}
	}
	cols := append(append(append([]string{}, key...), PersonColumns...), extract.ColRunID, extract.ColSourceFile)
	if ps.LinksColumn != "" {
		cols = append(cols, ps.LinksColumn)
	}
	k, n := len(key), len(key)+len(PersonColumns)
	// The landing is read in row groups, on every core; row groups whose
	// rows a later landing of the same source file superseded are skipped
	// from their statistics without being read. A snapshot's row groups
	// come first, in place of the files it covers.
	units, use, err := personUnits(lake, ps)
	if err != nil {
		return use, err
	}
	if len(dst.groups) == maxGroups && !slices.Contains(dst.groups, linkGroup{ps.Source, ps.System, ps.Entity}) {
		return use, fmt.Errorf("reading %s.%s: more than %d sources and entities of person records; the person index holds at most %d", ps.Source, ps.Entity, maxGroups, maxGroups)
	}
	group := uint8(dst.groupOf(ps.Source, ps.System, ps.Entity, &groupIndex{})) // at most maxGroups
	base := len(dst.recs)
	off := make([]int, len(units)+1)
	for u, un := range units {
		off[u+1] = off[u] + int(un.rows)
	}
	recs := slices.Grow(dst.recs, off[len(units)])[:base+off[len(units)]]
	dst.recs = recs[:base]
	got := make([]int, len(units))
	firstBuf := len(dst.keyBufs)
	err = forEachUnit(ctx, len(units), func(u int) error {
		out := recs[base+off[u] : base+off[u+1]]
		// The row group's keys go to a buffer of its own, set once read.
		kn := dst.newKeyBuf()
		keys := make([]byte, 0, 16*len(out))
		defer func() { dst.setKeyBuf(kn, bytes.Clone(keys)) }()
		add := func(r personRec) error {
			if got[u] == len(out) {
				return fmt.Errorf("%s row group %d has more rows than its metadata says (%d)", units[u].path, units[u].group, len(out))
			}
			out[got[u]] = r
			got[u]++
			return nil
		}
		// values makes a record of the person columns from c[at:]. The key
		// is copied: it would keep the batch's buffers. The other values
		// are kept once each in dst.dict, or packed (the NHS number).
		values := func(rk string, c []arrow.Array, at, i int) (personRec, error) {
			r := personRec{nhs: dst.packNHS(str(c[at], i)), group: group, dob: noDate,
				given: dst.dict.id(str(c[at+1], i)), family: dst.dict.id(str(c[at+2], i)),
				sex: sexCode(str(c[at+4], i)), postcode: dst.dict.id(str(c[at+5], i))}
			if d := c[at+3]; !d.IsNull(i) {
				r.dob = int32(d.(*array.Date32).Value(i))
			}
			var err error
			if keys, err = keyAt(keys, kn, rk, &r); err != nil {
				return r, fmt.Errorf("%s row group %d: %w", units[u].path, units[u].group, err)
			}
			return r, nil
		}
		if units[u].snapshot {
			return readParquet(ctx, units[u].path, snapshotColumns, []int{units[u].group}, mem, func(c []arrow.Array, i int) error {
				r, err := values(str(c[0], i), c, 1, i)
				if err != nil {
					return err
				}
				if l := list(c[len(c)-1], i); len(l) > 0 {
					for j := range l {
						l[j] = strings.Clone(l[j])
					}
					r.links = dst.addLinks(l)
				}
				return add(r)
			})
		}
		kp := make([]string, k)
		return readParquet(ctx, units[u].path, cols, []int{units[u].group}, mem, func(c []arrow.Array, i int) error {
			if ps.ByFile && ps.Landing.LatestRun[str(c[n+1], i)] != str(c[n], i) {
				return nil // superseded by a later landing of the same file
			}
			for j := range k {
				kp[j] = text(c[j], i)
			}
			rk := strings.Join(kp, "/")
			if rk == "" || strings.Trim(rk, "/") == "" {
				return nil // no key: the connector has already counted it
			}
			r, err := values(rk, c, k, i)
			if err != nil {
				return err
			}
			if ps.LinksColumn != "" {
				var links []string
				for _, ref := range list(c[n+2], i) {
					if id := linkTarget(ref); id != "" {
						links = append(links, RecordID(ps.Source, ps.Entity, id))
					}
				}
				if len(links) > 0 {
					r.links = dst.addLinks(links)
				}
			}
			return add(r)
		})
	})
	if err != nil {
		clear(recs[base:])
		return use, fmt.Errorf("reading %s.%s: %w", ps.Source, ps.Entity, err)
	}
	// A key read more than once keeps the place of its first reading and
	// the values of its last. The readings are found by sorting their
	// positions by a hash of their keys (16 bytes a record; a map of every
	// key of a source, about 50 bytes a record, was the read's peak at
	// millions of records; sorting by the keys themselves took longer),
	// then closed up in place: a record is only ever moved down.
	keyOf := func(p int32) string { return dst.key(&recs[base+int(p)]) }
	hashed := make([]hashPos, 0, sum(got))
	seed := maphash.MakeSeed()
	for u := range units {
		for j := range got[u] {
			p := int32(off[u] + j)
			hashed = append(hashed, hashPos{maphash.String(seed, keyOf(p)), p})
		}
	}
	sortOnTwoCores(hashed, byHashPos)
	dropped := make([]uint64, (off[len(units)]+63)/64)
	forEachKey(hashed, keyOf, func(ps []hashPos) {
		if len(ps) > 1 {
			recs[base+int(ps[0].p)] = recs[base+int(ps[len(ps)-1].p)]
			for _, x := range ps[1:] {
				dropped[x.p/64] |= 1 << (x.p % 64)
			}
		}
	})
	w := base
	for u := range units {
		for j := range got[u] {
			if p := off[u] + j; dropped[p/64]&(1<<(p%64)) == 0 {
				recs[w] = recs[base+p]
				w++
			}
		}
	}
	clear(recs[w:])
	dst.recs = recs[:w]
	if w-base < sum(got) {
		// The keys of the readings dropped are still in the row groups'
		// buffers: the source's records' keys are copied to one of their
		// own, and those buffers go.
		n := 0
		for i := base; i < w; i++ {
			n += int(recs[i].klen)
		}
		kn := dst.newKeyBuf()
		keys := make([]byte, 0, n)
		for i := base; i < w; i++ {
			r := &recs[i]
			var err error
			if keys, err = keyAt(keys, kn, dst.key(r), r); err != nil {
				return use, fmt.Errorf("reading %s.%s: %w", ps.Source, ps.Entity, err)
			}
		}
		dst.setKeyBuf(kn, keys)
		for b := firstBuf; b < int(kn); b++ {
			dst.keyBufs[b] = nil
		}
	}
	// The snapshot is written before the merges add to the links: they are
	// read from their own landing every run.
	if ps.SnapshotRun != "" && (use.From != "" || manyFiles(units) || w-base < sum(got)) {
		if err := writeSnapshot(lake, ps.SnapshotRun, ps, dst, base, w, mem); err != nil {
			return use, err
		}
		use.Wrote = true
	}
	if ps.Merges != nil {
		// The records by the hash of their key, to find those the merges
		// name.
		hashed := make([]hashPos, w-base)
		for i := range hashed {
			hashed[i] = hashPos{maphash.String(seed, keyOf(int32(i))), int32(i)}
		}
		sortOnTwoCores(hashed, byHashPos)
		find := func(key string) (int, bool) {
			h := maphash.String(seed, key)
			i, _ := slices.BinarySearchFunc(hashed, h, func(x hashPos, h uint64) int { return cmp.Compare(x.h, h) })
			for ; i < len(hashed) && hashed[i].h == h; i++ {
				if keyOf(hashed[i].p) == key {
					return base + int(hashed[i].p), true
				}
			}
			return 0, false
		}
		for _, f := range ps.Merges.Files {
			err := ReadParquet(ctx, filepath.Join(lake, filepath.FromSlash(f)), []string{"record_key", "prior_record_key"}, mem, func(c []arrow.Array, i int) error {
				if at, ok := find(str(c[0], i)); ok && str(c[1], i) != "" {
					r := &dst.recs[at]
					links := append(slices.Clip(dst.linksOf(at)), RecordID(ps.Source, ps.Entity, str(c[1], i)))
					if r.links > 0 {
						dst.links[r.links-1] = links
					} else {
						r.links = dst.addLinks(links)
					}
				}
				return nil
			})
			if err != nil {
				return use, fmt.Errorf("reading merges of %s: %w", ps.Source, err)
			}
		}
	}
	return use, nil
}

// hashPos is a record's position and the hash of its key.
type hashPos struct {
	h uint64
	p int32
}

// byHashPos orders by hash, then position.
func byHashPos(x, y hashPos) int {
	if c := cmp.Compare(x.h, y.h); c != 0 {
		return c
	}
	return cmp.Compare(x.p, y.p)
}

// forEachKey calls fn with the positions of each key, ascending, in s
// sorted by byHashPos; keys whose hashes collide are told apart by key.
func forEachKey(s []hashPos, key func(p int32) string, fn func([]hashPos)) {
	for i := 0; i < len(s); {
		e := i + 1
		for e < len(s) && s[e].h == s[i].h {
			e++
		}
		run := s[i:e]
		i = e
		if len(run) > 1 && !allSame(run, key) {
			slices.SortStableFunc(run, func(x, y hashPos) int { return strings.Compare(key(x.p), key(y.p)) })
		}
		for len(run) > 0 {
			k := 1
			for k < len(run) && key(run[k].p) == key(run[0].p) {
				k++
			}
			fn(run[:k])
			run = run[k:]
		}
	}
}

func allSame(run []hashPos, key func(p int32) string) bool {
	for _, x := range run[1:] {
		if key(x.p) != key(run[0].p) {
			return false
		}
	}
	return true
}

// parquetUnit is one row group of a Parquet file.
type parquetUnit struct {
	path     string
	group    int
	rows     int64
	snapshot bool // a row group of a snapshot (snapshotColumns), not of a landing
}

// currentRowGroups lists the row groups of the Parquet file at path that
// may hold current rows (see extract.CurrentRowGroups).
func currentRowGroups(path string, latest map[string]string) ([]parquetUnit, error) {
	rgs, err := extract.CurrentRowGroups(path, latest)
	if err != nil {
		return nil, err
	}
	units := make([]parquetUnit, len(rgs))
	for i, rg := range rgs {
		units[i] = parquetUnit{path: path, group: rg.Index, rows: rg.Rows}
	}
	return units, nil
}

// forEachUnit calls fn(0…n-1) on GOMAXPROCS goroutines and returns the
// first error.
func forEachUnit(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// list returns a string_list value.
func list(a arrow.Array, i int) []string {
	l, ok := a.(*array.List)
	if !ok || l.IsNull(i) {
		return nil
	}
	start, end := l.ValueOffsets(i)
	vals := l.ListValues().(*array.String)
	out := make([]string, 0, end-start)
	for j := start; j < end; j++ {
		out = append(out, vals.Value(int(j)))
	}
	return out
}

// linkTarget returns the Patient id of a "type|Patient/id" reference, or ""
// for a link to anything else (a RelatedPerson is another person).
func linkTarget(ref string) string {
	_, target, ok := strings.Cut(ref, "|")
	if !ok {
		target = ref
	}
	id, ok := strings.CutPrefix(target, "Patient/")
	if !ok {
		return ""
	}
	return id
}

// text renders a key column's value as text.
func text(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Date32:
		return a.Value(i).ToTime().Format(time.DateOnly)
	}
	return a.ValueStr(i)
}

// sum is the sum of n.
func sum(n []int) int {
	s := 0
	for _, v := range n {
		s += v
	}
	return s
}

// manyFiles says whether units come from more than one file.
func manyFiles(units []parquetUnit) bool {
	for _, u := range units {
		if u.path != units[0].path {
			return true
		}
	}
	return false
}
