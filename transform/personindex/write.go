package personindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/transform/match"
)

// Files of an index run, relative to the lake.
func pairsFile(runID string) string   { return filepath.Join(Dir(runID), "person_match.parquet") }
func changesFile(runID string) string { return filepath.Join(Dir(runID), "person_change.parquet") }

// PairsFile is the run's link and review pairs with their evidence.
func PairsFile(runID string) string { return pairsFile(runID) }

// ChangesFile is the run's merges and splits of persons.
func ChangesFile(runID string) string { return changesFile(runID) }

// ModelFile is the matching model as trained by the run.
func ModelFile(runID string) string { return filepath.Join(Dir(runID), "model.yaml") }

// originFile names the configured model the run's model was trained from.
func originFile(runID string) string { return filepath.Join(Dir(runID), "model.origin") }

// ReadModel returns the trained model of index run runID and the origin it
// was written with ("" when none was recorded).
func ReadModel(lake, runID string) (*match.Model, string, error) {
	m, err := match.LoadModel(filepath.Join(lake, ModelFile(runID)))
	if err != nil {
		return nil, "", err
	}
	origin, err := os.ReadFile(filepath.Join(lake, originFile(runID)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	return m, strings.TrimSpace(string(origin)), nil
}

// column is one output column: its name and type, and how to append row r
// to the column's builder (bind is called once per builder).
type column struct {
	name string
	typ  arrow.DataType
	bind func(b array.Builder) func(r int)
}

func strCol(name string, get func(r int) string) column {
	return column{name, arrow.BinaryTypes.String, func(b array.Builder) func(int) {
		sb := b.(*array.StringBuilder)
		return func(r int) {
			if v := get(r); v == "" {
				sb.AppendNull()
			} else {
				sb.Append(v)
			}
		}
	}}
}

func int64Col(name string, get func(r int) int64) column {
	return column{name, arrow.PrimitiveTypes.Int64, func(b array.Builder) func(int) {
		ib := b.(*array.Int64Builder)
		return func(r int) { ib.Append(get(r)) }
	}}
}

// nullInt64Col writes 0 as null.
func nullInt64Col(name string, get func(r int) int64) column {
	return column{name, arrow.PrimitiveTypes.Int64, func(b array.Builder) func(int) {
		ib := b.(*array.Int64Builder)
		return func(r int) {
			if v := get(r); v == 0 {
				ib.AppendNull()
			} else {
				ib.Append(v)
			}
		}
	}}
}

// float64Col writes NaN as null.
func float64Col(name string, get func(r int) float64) column {
	return column{name, arrow.PrimitiveTypes.Float64, func(b array.Builder) func(int) {
		fb := b.(*array.Float64Builder)
		return func(r int) {
			if v := get(r); math.IsNaN(v) {
				fb.AppendNull()
			} else {
				fb.Append(v)
			}
		}
	}}
}

func boolCol(name string, get func(r int) bool) column {
	return column{name, arrow.FixedWidthTypes.Boolean, func(b array.Builder) func(int) {
		bb := b.(*array.BooleanBuilder)
		return func(r int) { bb.Append(get(r)) }
	}}
}

// dateCol writes the zero time as null.
func dateCol(name string, get func(r int) time.Time) column {
	return column{name, arrow.FixedWidthTypes.Date32, func(b array.Builder) func(int) {
		db := b.(*array.Date32Builder)
		return func(r int) {
			if v := get(r); v.IsZero() {
				db.AppendNull()
			} else {
				db.Append(arrow.Date32FromTime(v))
			}
		}
	}}
}

// writeRows writes n rows of cols to lake/rel as Parquet, in batches (row
// groups) of 65,536 rows; the columns named in plain without a dictionary.
func writeRows(lake, rel string, cols []column, n int, mem memory.Allocator, plain ...string) error {
	return writeRowsBatched(lake, rel, cols, n, 65536, mem, plain...)
}

// writeRowsBatched is writeRows in batches of batch rows. Up to four
// batches are held at once (one being filled, two queued, one being
// encoded), so wide rows want smaller ones.
func writeRowsBatched(lake, rel string, cols []column, n, batch int, mem memory.Allocator, plain ...string) error {
	fs := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fs[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	schema := arrow.NewSchema(fs, nil)
	pf, err := extract.CreateParquet(lake, rel, schema, mem, plain...)
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	put := make([]func(int), len(cols))
	for i, c := range cols {
		put[i] = c.bind(b.Field(i))
	}
	for lo := 0; lo < n || lo == 0; lo += batch {
		for r := lo; r < min(n, lo+batch); r++ {
			for _, p := range put {
				p(r)
			}
		}
		rec := b.NewRecordBatch()
		err := pf.Write(rec)
		rec.Release()
		if err != nil {
			pf.Abort()
			return fmt.Errorf("writing %s: %w", rel, err)
		}
	}
	_, err = pf.Close()
	return err
}

// Write writes links alone as the index of run id (no pairs, no changes)
// and marks it complete.
func Write(lake, runID string, links []Link, mem memory.Allocator) error {
	return WriteOutput(lake, runID, &Output{Links: LinksOf(links)}, mem)
}

// WriteOutput writes a run's index — person_link, person_match (pairs with
// evidence), person_change (merges and splits), person_moved (records whose
// person changed, when out.MovedFrom is set) and the trained model — then
// the _SUCCESS marker that makes it complete. The links and the pairs are
// written at the same time.
func WriteOutput(lake, runID string, out *Output, mem memory.Allocator) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	links := out.Links
	// The link writer, on a goroutine of its own, reads the records'
	// demographics in record order.
	demoOf := links.demographics()
	dict := func(f func(d *demo) uint32) func(r int) string {
		return func(r int) string { return links.dict.get(f(demoOf(r))) }
	}
	linkCols := []column{
		strCol("source", func(r int) string { return links.group(r).source }),
		strCol("system", func(r int) string { return links.group(r).system }),
		strCol("entity", func(r int) string { return links.group(r).entity }),
		strCol("record_key", func(r int) string { return links.key(r) }),
		int64Col("person_id", func(r int) int64 { return links.personID(r) }),
		strCol("match_rule", links.rule),
		float64Col("match_weight", links.placedWeight),
		strCol("nhs_number", links.nhsNumber),
		strCol("nhs_number_status", func(r int) string { return links.codes.get(links.recs[r].status) }),
		strCol("given_name", dict(func(d *demo) uint32 { return d.given })),
		strCol("family_name", dict(func(d *demo) uint32 { return d.family })),
		dateCol("date_of_birth", func(r int) time.Time { return birthDate(demoOf(r).dob) }),
		strCol("sex", func(r int) string { return links.codes.get(demoOf(r).sex) }),
		strCol("postcode", dict(func(d *demo) uint32 { return d.postcode })),
		strCol("postcode_district", dict(func(d *demo) uint32 { return d.district })),
	}
	// Every column but the date of birth is written without a dictionary:
	// arrow-go's dictionary encoder allocates twice for each string value,
	// and its hash tables grow with person_id and match_weight, which are
	// nearly all distinct. It was 22 allocations a record and a fifth of the
	// write's time (BenchmarkWriteLinks); zstd takes the repeats instead.
	var plain []string
	for _, c := range linkCols {
		if c.name != "date_of_birth" {
			plain = append(plain, c.name)
		}
	}
	linkErr := make(chan error, 1)
	go func() {
		linkErr <- writeRows(lake, LinkFile(runID), linkCols, links.Len(), mem, plain...)
	}()

	err := func() error {
		review := make(map[[2]int]bool, len(out.Review))
		for _, p := range out.Review {
			review[[2]int{p.AIndex, p.BIndex}] = true
		}
		var ej evidenceJSON
		// Each row's columns are written one after another: the pair is
		// unpacked once a row.
		var cur match.Pair
		at := -1
		pair := func(r int) *match.Pair {
			if r != at {
				cur, at = out.Pairs.At(r), r
			}
			return &cur
		}
		var evErr error
		pairCols := []column{
			strCol("record_a", func(r int) string { return out.RecordID(pair(r).AIndex) }),
			strCol("record_b", func(r int) string { return out.RecordID(pair(r).BIndex) }),
			float64Col("match_weight", func(r int) float64 { return pair(r).Weight }),
			float64Col("match_probability", func(r int) float64 { return pair(r).Probability }),
			strCol("band", func(r int) string { return pair(r).Band }),
			strCol("rule", func(r int) string { return pair(r).Rule }),
			strCol("note", func(r int) string { return pair(r).Note }),
			boolCol("same_person", func(r int) bool { return pair(r).SameCluster }),
			boolCol("awaiting_review", func(r int) bool { return review[[2]int{pair(r).AIndex, pair(r).BIndex}] }),
			strCol("evidence", func(r int) string {
				s, err := ej.encode(out.Evidence(*pair(r)))
				if err != nil && evErr == nil {
					evErr = err
				}
				return s
			}),
		}
		// A pair's evidence is about 640 bytes of JSON at 1M persons, and
		// with batches of 65,536 pairs the write was the peak of the
		// index's live heap.
		if err := writeRowsBatched(lake, pairsFile(runID), pairCols, out.Pairs.Len(), 16384, mem, "record_a", "record_b", "evidence"); err != nil {
			return err
		}
		if evErr != nil {
			return fmt.Errorf("writing pair evidence: %w", evErr)
		}
		changes := out.Changes
		return writeRows(lake, changesFile(runID), []column{
			strCol("kind", func(r int) string { return changes[r].Kind }),
			int64Col("person_id", func(r int) int64 { return changes[r].PersonID }),
			int64Col("other_person_id", func(r int) int64 { return changes[r].OtherID }),
		}, len(changes), mem)
	}()
	if lerr := <-linkErr; err == nil {
		err = lerr
	}
	if err == nil {
		err = links.Err()
	}
	if err != nil {
		return err
	}
	if out.MovedFrom != "" {
		if err := writeMoved(lake, runID, out, mem); err != nil {
			return err
		}
	}
	if out.Model != nil {
		f, err := os.OpenFile(filepath.Join(lake, ModelFile(runID)), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := out.Model.WriteYAML(f); err != nil {
			f.Close()
			return fmt.Errorf("writing trained model: %w", err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		if out.Origin != "" {
			if err := os.WriteFile(filepath.Join(lake, originFile(runID)), []byte(out.Origin+"\n"), 0o600); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(lake, Dir(runID), "_SUCCESS"), nil, 0o600)
}

// evidenceJSON encodes a pair's evidence exactly as encoding/json does
// (json.Marshal of []match.Evidence), without reflection: comparison and
// level names repeat, so their encodings are kept.
type evidenceJSON struct {
	names map[string][]byte
	buf   []byte
}

func (e *evidenceJSON) name(s string) []byte {
	if b, ok := e.names[s]; ok {
		return b
	}
	if e.names == nil {
		e.names = map[string][]byte{}
	}
	b, _ := json.Marshal(s) // a string always encodes
	e.names[s] = b
	return b
}

func (e *evidenceJSON) encode(ev []match.Evidence) (string, error) {
	if ev == nil {
		return "null", nil
	}
	b := append(e.buf[:0], '[')
	for i, x := range ev {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Comparison":`...)
		b = append(b, e.name(x.Comparison)...)
		b = append(b, `,"Level":`...)
		b = append(b, e.name(x.Level)...)
		b = append(b, `,"LevelIndex":`...)
		b = strconv.AppendInt(b, int64(x.LevelIndex), 10)
		b = append(b, `,"Weight":`...)
		var err error
		if b, err = appendJSONFloat(b, x.Weight); err != nil {
			return "", err
		}
		b = append(b, `,"TFAdjustment":`...)
		if b, err = appendJSONFloat(b, x.TFAdjustment); err != nil {
			return "", err
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	e.buf = b
	return string(b), nil
}

// appendJSONFloat formats f as encoding/json formats a float64.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		_, err := json.Marshal(f)
		return b, err
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}
