package extract

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// colBatch is a row group's worth of rows of a flat entity (no list
// fields), held column by column in about the form Parquet's column writers
// take. Before, every value went through an Arrow builder and pqarrow
// turned the Arrow arrays back into Parquet's slices.
//
// Nullable columns hold a value for every row (zero where the row is
// null), a validity bit and a definition level per row: the column writers'
// "spaced" path takes that form, and their other path builds an assertion
// message (a string concatenation) for every definition level it writes.
//
// A batch's string bytes must not change once written: Parquet statistics
// keep pointing at a row group's smallest and largest values until the
// file's footer is written. reset therefore gives every batch new string
// memory and reuses only the rest.
type colBatch struct {
	rows int
	cols []colValues
}

// colValues is one column of a colBatch.
type colValues struct {
	typ      Type
	nullable bool
	defs     []int16 // nullable: 1 present, 0 null, per row
	valid    []byte  // nullable: a bit per row, set when present
	data     []byte  // strings: the values one after another
	ends     []int32 // strings: per row, where its value ends in data
	i32      []int32 // dates (days since 1970)
	i64      []int64 // int64, timestamps (µs since 1970)
	f64      []float64
}

func newColBatch(s Schema) *colBatch {
	b := &colBatch{}
	for _, f := range s.Fields {
		b.cols = append(b.cols, colValues{typ: f.Type, nullable: true})
	}
	for _, t := range []Type{String, String, String, Timestamp, String, Int64, String} {
		b.cols = append(b.cols, colValues{typ: t})
	}
	return b
}

// size is about how many bytes c's values take, to encode the largest
// columns first.
func (c *colValues) size() int {
	return len(c.data) + 4*len(c.ends) + 4*len(c.i32) + 8*len(c.i64) + 8*len(c.f64) + len(c.defs)
}

// reset empties b for the next batch.
func (b *colBatch) reset() {
	b.rows = 0
	for i := range b.cols {
		c := &b.cols[i]
		c.defs, c.valid, c.ends, c.i32, c.i64, c.f64 = c.defs[:0], c.valid[:0], c.ends[:0], c.i32[:0], c.i64[:0], c.f64[:0]
		if c.typ == String {
			c.data = make([]byte, 0, cap(c.data))
		}
	}
}

// row starts the next row's entry in defs and valid.
func (c *colValues) row(present bool) {
	r := len(c.defs)
	if r%8 == 0 {
		c.valid = append(c.valid, 0)
	}
	if present {
		c.valid[r/8] |= 1 << (r % 8)
		c.defs = append(c.defs, 1)
	} else {
		c.defs = append(c.defs, 0)
	}
}

func (c *colValues) null() {
	c.row(false)
	switch c.typ {
	case String:
		c.ends = append(c.ends, int32(len(c.data)))
	case Date:
		c.i32 = append(c.i32, 0)
	case Float64:
		c.f64 = append(c.f64, 0)
	default:
		c.i64 = append(c.i64, 0)
	}
}

// present starts the next row of a nullable column as present.
func (c *colValues) present() {
	if c.nullable {
		c.row(true)
	}
}

// str appends a string value.
func (c *colValues) str(s string) {
	c.data = append(c.data, s...)
	c.endString()
}

// endString ends a string value whose bytes were appended to c.data.
func (c *colValues) endString() {
	c.present()
	c.ends = append(c.ends, int32(len(c.data)))
}

func (c *colValues) int64(n int64) {
	c.present()
	c.i64 = append(c.i64, n)
}

func (c *colValues) float64(f float64) {
	c.present()
	c.f64 = append(c.f64, f)
}

// day appends a date as days since 1970-01-01.
func (c *colValues) day(days int32) {
	c.present()
	c.i32 = append(c.i32, days)
}

func (c *colValues) time(t time.Time) {
	if c.typ == Date {
		c.day(int32(dateOnly(t)))
		return
	}
	c.present()
	c.i64 = append(c.i64, t.UnixMicro())
}

// checkAny reports whether v may be appended to a field of type t (see
// Append).
func checkAny(t Type, v any) error {
	if v == nil {
		return nil
	}
	var ok bool
	var want string
	switch t {
	case String:
		_, ok = v.(string)
		want = "string"
	case Int64:
		_, ok = v.(int64)
		want = "int64"
	case Float64:
		_, ok = v.(float64)
		want = "float64"
	case Date, Timestamp:
		_, ok = v.(time.Time)
		want = "time.Time"
	case StringList:
		_, ok = v.([]string)
		want = "[]string"
	default:
		return fmt.Errorf("unknown type %v", t)
	}
	if !ok {
		return fmt.Errorf("want %s, got %T", want, v)
	}
	return nil
}

// appendAny appends v, which checkAny accepted.
func (c *colValues) appendAny(v any) {
	switch v := v.(type) {
	case nil:
		c.null()
	case string:
		c.str(v)
	case int64:
		c.int64(v)
	case float64:
		c.float64(v)
	case time.Time:
		c.time(v)
	}
}

// write encodes the column into a column chunk. buf is scratch space for
// string values, returned for the next column.
func (c *colValues) write(cw file.ColumnChunkWriter, buf []parquet.ByteArray) ([]parquet.ByteArray, error) {
	if c.typ == String {
		buf = buf[:0]
		start := int32(0)
		for _, end := range c.ends {
			buf = append(buf, c.data[start:end:end])
			start = end
		}
	}
	var err error
	switch w := cw.(type) {
	case *file.ByteArrayColumnChunkWriter:
		err = writeTyped(w.WriteBatch, w.WriteBatchSpaced, buf, c)
	case *file.Int64ColumnChunkWriter:
		err = writeTyped(w.WriteBatch, w.WriteBatchSpaced, c.i64, c)
	case *file.Int32ColumnChunkWriter:
		err = writeTyped(w.WriteBatch, w.WriteBatchSpaced, c.i32, c)
	case *file.Float64ColumnChunkWriter:
		err = writeTyped(w.WriteBatch, w.WriteBatchSpaced, c.f64, c)
	default:
		err = fmt.Errorf("no %s values for a %T", c.typ, cw)
	}
	return buf, err
}

// writeTyped writes vals through the column writer's plain path (required
// columns) or its spaced path (nullable columns).
func writeTyped[T any](batch func([]T, []int16, []int16) (int64, error), spaced func([]T, []int16, []int16, []byte, int64), vals []T, c *colValues) (err error) {
	if !c.nullable {
		_, err = batch(vals, nil, nil)
		return err
	}
	// The spaced path panics on a write error instead of returning it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	spaced(vals, c.defs, nil, c.valid, 0)
	return nil
}

// plain reports whether the column should be written without a dictionary,
// by the rules of plainColumns. rows is the batch's number of rows.
func (c *colValues) plain(rows int) bool {
	if c.typ == String {
		return true
	}
	if rows < 1000 {
		return false
	}
	limit := rows / distinctShare
	seen := make(map[uint64]struct{}, limit+1)
	nulls := 0
	for j := range rows {
		if c.nullable && c.defs[j] == 0 {
			nulls++
			continue
		}
		switch c.typ {
		case Date:
			seen[uint64(c.i32[j])] = struct{}{}
		case Float64:
			seen[math.Float64bits(c.f64[j])] = struct{}{}
		default:
			seen[uint64(c.i64[j])] = struct{}{}
		}
		if len(seen) > limit {
			return true
		}
	}
	return len(seen) == 1 && nulls == 0
}

// byteArrays holds scratch slices for columns' string values as the column
// writers take them.
var byteArrays sync.Pool

// sizeLike gives b's columns room for as many values as prev's hold, and
// an eighth more: the next batch of an entity is likely as big, and
// growing slices value by value copies them again and again.
func (b *colBatch) sizeLike(prev *colBatch) {
	room := func(n int) int { return n + n/8 }
	for i := range b.cols {
		c, p := &b.cols[i], &prev.cols[i]
		c.defs = make([]int16, 0, room(len(p.defs)))
		c.valid = make([]byte, 0, room(len(p.valid)))
		c.data = make([]byte, 0, room(len(p.data)))
		c.ends = make([]int32, 0, room(len(p.ends)))
		c.i32 = make([]int32, 0, room(len(p.i32)))
		c.i64 = make([]int64, 0, room(len(p.i64)))
		c.f64 = make([]float64, 0, room(len(p.f64)))
	}
}
