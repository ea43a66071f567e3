package extract

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// A Source reads one upstream system. Run.Land calls Extract once per run;
// Extract sends every record it reads to w, landed with EntityWriter.Append
// or rejected with EntityWriter.Reject, and returns nil at end of input,
// ctx.Err() soon after ctx is done, or an error for a systemic failure
// (an unreadable file, a database gone) that fails the whole run.
type Source interface {
	Extract(ctx context.Context, w *Writer) error
}

// Position locates a record in its input: a file (relative to the source's
// root) and a 1-based line or record number within it.
type Position struct {
	File string
	N    int64
}

func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.N) }

// Reject reason codes shared by connectors.
const (
	ReasonParse         = "parse_error"
	ReasonMissingField  = "missing_field"
	ReasonBadValue      = "bad_value"
	ReasonFieldCount    = "field_count"
	ReasonRecordTooLong = "record_too_long"
	// ReasonBadEncoding is text that is not valid in the input's encoding
	// (UTF-8 unless configured otherwise). It is rejected rather than
	// landed with replacement characters, which would change the value.
	ReasonBadEncoding = "bad_encoding"
)

// batchRows is the number of rows buffered per entity before they are written
// as one Parquet row group. Larger row groups cost less to encode (a
// dictionary and its page per column per group, and the wait for the
// slowest column): 128Ki rows took 5-8% less CPU than 64Ki on the GP
// patients file, for about 40 MB of batch per 300-byte-wide entity.
const batchRows = 128 * 1024

// Writer lands the records of one source for one run. It is not safe for
// concurrent use.
type Writer struct {
	run      *Run
	source   string
	kind     string
	entities map[string]*EntityWriter
	order    []string
	rejects  *ParquetFile
	rbuild   *array.RecordBuilder
	rrows    int
	inputs   []Input
}

// Input records an input file that the source read, for the manifest.
func (w *Writer) Input(file string, size int64, sha string) {
	w.inputs = append(w.inputs, Input{File: file, Bytes: size, SHA256: sha})
}

// Source returns the source name.
func (w *Writer) Source() string { return w.source }

// Entity returns the writer for one entity, creating it on first use. Asking
// again for the same entity with a different schema is an error.
func (w *Writer) Entity(s Schema) (*EntityWriter, error) {
	if e, ok := w.entities[s.Entity]; ok {
		if len(e.schema.Fields) != len(s.Fields) {
			return nil, fmt.Errorf("source %s: entity %s declared twice with different schemas", w.source, s.Entity)
		}
		return e, nil
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("source %s: %w", w.source, err)
	}
	as := s.arrowSchema()
	e := &EntityWriter{
		w:       w,
		schema:  s,
		aschema: as,
		stats:   EntityManifest{Entity: s.Entity, RejectsByReason: map[string]int64{}},
	}
	if s.flat() {
		e.cols = newColBatch(s)
	} else {
		e.build = array.NewRecordBuilder(w.run.mem, as)
	}
	w.entities[s.Entity] = e
	w.order = append(w.order, s.Entity)
	return e, nil
}

// EntityWriter lands the rows of one entity.
type EntityWriter struct {
	w       *Writer
	schema  Schema
	aschema *arrow.Schema
	cols    *colBatch            // flat entities: the batch being filled
	build   *array.RecordBuilder // entities with list fields
	rows    int
	file    *ParquetFile
	stats   EntityManifest
}

// Append lands one record. raw is the record as read (its hash becomes the
// _record_hash lineage column); vals follow the schema's fields in order.
// An error means the caller passed values that do not fit the schema, which
// is a bug, or that the Parquet file could not be written.
func (e *EntityWriter) Append(pos Position, raw []byte, vals []any) error {
	if len(vals) != len(e.schema.Fields) {
		return fmt.Errorf("landing %s.%s at %s: %d values for %d fields", e.w.source, e.schema.Entity, pos, len(vals), len(e.schema.Fields))
	}
	if e.cols != nil {
		// Every value is checked before any is appended, so that a bad
		// one leaves the batch's columns the same length.
		for i, f := range e.schema.Fields {
			if err := checkAny(f.Type, vals[i]); err != nil {
				return fmt.Errorf("landing %s.%s at %s field %s: %w", e.w.source, e.schema.Entity, pos, f.Name, err)
			}
		}
		for i := range e.schema.Fields {
			e.cols.cols[i].appendAny(vals[i])
		}
		return e.landed(pos, raw)
	}
	for i, f := range e.schema.Fields {
		if err := appendValue(e.build.Field(i), f.Type, vals[i]); err != nil {
			return fmt.Errorf("landing %s.%s at %s field %s: %w", e.w.source, e.schema.Entity, pos, f.Name, err)
		}
	}
	return e.landed(pos, raw)
}

// Values is one record's field values for EntityWriter.AppendValues: the
// typed alternative to Append's []any, which boxes (allocates) every value.
// Set each field with the setter of its type; a field not set since the
// last AppendValues is null. A Values is reused from record to record.
type Values struct {
	kind []Type // of the value set for each field
	set  []bool
	str  []string
	num  []int64
	flt  []float64
	tim  []time.Time
}

// NewValues returns Values for n fields, all null.
func NewValues(n int) *Values {
	return &Values{kind: make([]Type, n), set: make([]bool, n), str: make([]string, n), num: make([]int64, n), flt: make([]float64, n), tim: make([]time.Time, n)}
}

// SetString sets field i (a String field) to s.
func (v *Values) SetString(i int, s string) { v.kind[i], v.set[i], v.str[i] = String, true, s }

// SetInt64 sets field i (an Int64 field) to n.
func (v *Values) SetInt64(i int, n int64) { v.kind[i], v.set[i], v.num[i] = Int64, true, n }

// SetFloat64 sets field i (a Float64 field) to f.
func (v *Values) SetFloat64(i int, f float64) { v.kind[i], v.set[i], v.flt[i] = Float64, true, f }

// SetTime sets field i (a Date or Timestamp field) to t.
func (v *Values) SetTime(i int, t time.Time) { v.kind[i], v.set[i], v.tim[i] = Timestamp, true, t }

// SetDate sets field i (a Date field) to a calendar day, which must exist
// (month 1 to 12, day within the month). It spares SetTime's round trip
// through time.Time.
func (v *Values) SetDate(i int, year int, month time.Month, day int) {
	v.kind[i], v.set[i], v.num[i] = Date, true, daysFromCivil(year, int(month), day)
}

// daysFromCivil is the number of days from 1970-01-01 to a date of the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// SetNull makes field i null.
func (v *Values) SetNull(i int) { v.set[i] = false }

// AppendValues lands one record, as Append does, from typed values, and
// leaves every field of v null for the next record. An error means a value
// set with the setter of another type (a bug; nothing is landed) or that
// the Parquet file could not be written.
func (e *EntityWriter) AppendValues(pos Position, raw []byte, v *Values) error {
	if len(v.set) != len(e.schema.Fields) {
		return fmt.Errorf("landing %s.%s at %s: %d values for %d fields", e.w.source, e.schema.Entity, pos, len(v.set), len(e.schema.Fields))
	}
	for i, f := range e.schema.Fields {
		if !v.set[i] {
			continue
		}
		want := f.Type
		if want == Date && v.kind[i] == Timestamp {
			want = Timestamp // a date may be set with SetTime too
		}
		if v.kind[i] != want {
			return fmt.Errorf("landing %s.%s at %s field %s: want %s, got %s", e.w.source, e.schema.Entity, pos, f.Name, f.Type, v.kind[i])
		}
	}
	if b := e.cols; b != nil {
		for i, f := range e.schema.Fields {
			c := &b.cols[i]
			if !v.set[i] {
				c.null()
				continue
			}
			switch f.Type {
			case String:
				c.str(v.str[i])
			case Int64:
				c.int64(v.num[i])
			case Float64:
				c.float64(v.flt[i])
			case Date:
				if v.kind[i] == Date {
					c.day(int32(v.num[i]))
				} else {
					c.time(v.tim[i])
				}
			case Timestamp:
				c.time(v.tim[i])
			}
			v.set[i] = false
		}
		return e.landed(pos, raw)
	}
	for i, f := range e.schema.Fields {
		b := e.build.Field(i)
		if !v.set[i] {
			b.AppendNull()
			continue
		}
		switch f.Type {
		case String:
			b.(*array.StringBuilder).Append(v.str[i])
		case Int64:
			b.(*array.Int64Builder).Append(v.num[i])
		case Float64:
			b.(*array.Float64Builder).Append(v.flt[i])
		case Date:
			if v.kind[i] == Date {
				b.(*array.Date32Builder).Append(arrow.Date32(v.num[i]))
			} else {
				b.(*array.Date32Builder).Append(dateOnly(v.tim[i]))
			}
		case Timestamp:
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.tim[i].UnixMicro()))
		}
		v.set[i] = false
	}
	return e.landed(pos, raw)
}

// landed appends the lineage columns of a record whose fields are appended,
// and counts it.
func (e *EntityWriter) landed(pos Position, raw []byte) error {
	n := len(e.schema.Fields)
	r := e.w.run
	if b := e.cols; b != nil {
		c := b.cols[n:]
		c[0].str(e.w.source)
		c[1].str(e.schema.Entity)
		c[2].str(r.ID)
		c[3].int64(r.StartedAt.UnixMicro())
		c[4].str(pos.File)
		c[5].int64(pos.N)
		c[6].data = appendRecordHash(c[6].data, raw)
		c[6].endString()
	} else {
		e.build.Field(n).(*array.StringBuilder).Append(e.w.source)
		e.build.Field(n + 1).(*array.StringBuilder).Append(e.schema.Entity)
		e.build.Field(n + 2).(*array.StringBuilder).Append(r.ID)
		e.build.Field(n + 3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.StartedAt.UnixMicro()))
		e.build.Field(n + 4).(*array.StringBuilder).Append(pos.File)
		e.build.Field(n + 5).(*array.Int64Builder).Append(pos.N)
		var hash [2 * recordHashBytes]byte
		e.build.Field(n + 6).(*array.StringBuilder).BinaryBuilder.Append(appendRecordHash(hash[:0], raw))
	}
	e.rows++
	if r.OnLanded != nil {
		if r.landedN++; r.landedN%1000 == 0 {
			r.OnLanded(r.landedN)
		}
	}
	e.stats.Read++
	e.stats.Landed++
	if e.rows >= batchRows {
		return e.flush()
	}
	return nil
}

// Reject records that the record at pos could not be landed, with a reason
// code (one of the Reason constants or a connector's own) and a readable
// message. The message must not contain patient identifiers.
func (e *EntityWriter) Reject(pos Position, raw []byte, reason, msg string) error {
	e.stats.Read++
	e.stats.Rejected++
	e.stats.RejectsByReason[reason]++
	return e.w.reject(e.schema.Entity, pos, raw, reason, msg)
}

// RecordHash is the lineage hash of a raw record: hex SHA-256, first 128 bits.
func RecordHash(raw []byte) string {
	return string(appendRecordHash(nil, raw))
}

// appendRecordHash appends RecordHash(raw) to dst.
// recordHashBytes is how much of the SHA-256 the record hash keeps.
const recordHashBytes = 16

func appendRecordHash(dst, raw []byte) []byte {
	sum := sha256.Sum256(raw)
	return hex.AppendEncode(dst, sum[:recordHashBytes])
}

func appendValue(b array.Builder, t Type, v any) error {
	if err := checkAny(t, v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		b.AppendNull()
	case string:
		b.(*array.StringBuilder).Append(v)
	case int64:
		b.(*array.Int64Builder).Append(v)
	case float64:
		b.(*array.Float64Builder).Append(v)
	case time.Time:
		if t == Date {
			b.(*array.Date32Builder).Append(dateOnly(v))
		} else {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
		}
	case []string:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, s := range v {
			vb.Append(s)
		}
	}
	return nil
}

// dataBuilder is a builder of variable-width values (strings, binary).
type dataBuilder interface {
	DataLen() int
	ReserveData(n int)
}

func (e *EntityWriter) flush() error {
	// An entity with no rows still gets its (empty) file at close, so that
	// loads see its schema.
	if e.rows == 0 && e.file != nil {
		return nil
	}
	if b := e.cols; b != nil {
		b.rows, e.rows = e.rows, 0
		if e.file == nil {
			var plain []string
			for i := range b.cols {
				if b.cols[i].plain(b.rows) {
					plain = append(plain, e.aschema.Field(i).Name)
				}
			}
			if err := e.create(plain); err != nil {
				return err
			}
		}
		if e.cols = e.file.spare(); e.cols == nil {
			e.cols = newColBatch(e.schema)
			e.cols.sizeLike(b)
		}
		return e.file.queueColumns(b)
	}
	full := e.rows >= batchRows
	var dataLen []int
	if full {
		for _, f := range e.build.Fields() {
			n := 0
			if b, ok := f.(dataBuilder); ok {
				n = b.DataLen()
			}
			dataLen = append(dataLen, n)
		}
	}
	rec := e.build.NewRecordBatch()
	defer rec.Release()
	e.rows = 0
	if full {
		// The next batch is likely as big: allocating it at once spares
		// the builders growing (and copying) their buffers step by step.
		e.build.Reserve(batchRows)
		for i, f := range e.build.Fields() {
			if b, ok := f.(dataBuilder); ok && dataLen[i] > 0 {
				b.ReserveData(dataLen[i] + dataLen[i]/8)
			}
		}
	}
	if e.file == nil {
		if err := e.create(plainColumns(rec)); err != nil {
			return err
		}
	}
	return e.file.Write(rec)
}

// create starts the entity's Parquet file, with the columns named in plain
// written without a dictionary.
//
// String fields and the record hash are written without minimum and maximum
// statistics: keeping them compares every value twice (6% of the CSV
// connector's time), and unsorted names, numbers and hashes span nearly
// the whole range in every row group, so the statistics prune nothing.
// The other lineage columns keep theirs: the person index and the
// warehouse use _source_file and _run_id's to skip superseded row groups.
func (e *EntityWriter) create(plain []string) error {
	dir := filepath.Join("landing", "source="+e.w.source, "entity="+e.schema.Entity, "run="+e.w.run.ID)
	noStats := []string{ColRecordHash}
	for _, f := range e.schema.Fields {
		if f.Type == String {
			noStats = append(noStats, f.Name)
		}
	}
	f, err := e.w.run.createParquet(dir, e.aschema, plain, noStats)
	if err != nil {
		return err
	}
	e.file = f
	return nil
}

// distinctShare: a fixed-width column in which more than one value in
// distinctShare is new is written without a dictionary (see plainColumns).
const distinctShare = 10

// plainColumns names the columns of rec to write without a dictionary:
//
//   - Every string column. arrow-go's dictionary encoder boxes each string
//     into an interface and allocates a closure to look it up: two heap
//     allocations per value, whatever the column's cardinality. On the GP
//     patients extract, writing strings plain took a sixth fewer
//     instructions for files 11% larger (zstd still finds the repeats).
//   - Fixed-width columns in which more than one value in ten is new:
//     dictionary encoding them costs more time than it saves space.
//   - Columns holding a single value (the lineage columns _extracted_at…):
//     zstd reduces a repeated value to almost nothing, sooner than the
//     dictionary encoder can hash it on every row.
//
// An entity's first batch decides for its whole file, so the choice depends
// only on the data.
func plainColumns(rec arrow.RecordBatch) []string {
	n := int(rec.NumRows())
	limit := n / distinctShare
	var plain []string
	for i, col := range rec.Columns() {
		switch col.(type) {
		case *array.String, *array.Binary:
			plain = append(plain, rec.ColumnName(i))
		case *array.Int64, *array.Float64, *array.Date32, *array.Timestamp:
			if n < 1000 {
				continue // too few rows to tell, and too few to matter
			}
			if distinct := distinctFixed(col, limit); distinct > limit || (distinct == 1 && col.NullN() == 0) {
				plain = append(plain, rec.ColumnName(i))
			}
		}
	}
	return plain
}

// distinctFixed counts the distinct non-null values of a fixed-width column,
// stopping once it passes limit.
func distinctFixed(col arrow.Array, limit int) int {
	var vals []uint64
	switch a := col.(type) {
	case *array.Int64:
		for j, v := range a.Int64Values() {
			if a.IsValid(j) {
				vals = append(vals, uint64(v))
			}
		}
	case *array.Float64:
		for j, v := range a.Float64Values() {
			if a.IsValid(j) {
				vals = append(vals, math.Float64bits(v))
			}
		}
	case *array.Date32:
		for j, v := range a.Date32Values() {
			if a.IsValid(j) {
				vals = append(vals, uint64(v))
			}
		}
	case *array.Timestamp:
		for j, v := range a.TimestampValues() {
			if a.IsValid(j) {
				vals = append(vals, uint64(v))
			}
		}
	}
	seen := make(map[uint64]struct{}, limit+1)
	for _, v := range vals {
		seen[v] = struct{}{}
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}

var rejectSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColSource, Type: arrow.BinaryTypes.String},
	{Name: ColEntity, Type: arrow.BinaryTypes.String},
	{Name: ColRunID, Type: arrow.BinaryTypes.String},
	{Name: ColExtractedAt, Type: Timestamp.arrow()},
	{Name: ColSourceFile, Type: arrow.BinaryTypes.String},
	{Name: ColPosition, Type: arrow.PrimitiveTypes.Int64},
	{Name: "reason", Type: arrow.BinaryTypes.String},
	{Name: "message", Type: arrow.BinaryTypes.String},
	{Name: "raw", Type: arrow.BinaryTypes.Binary},
}, nil)

// maxRawReject caps the raw bytes kept for one rejected record.
const maxRawReject = 64 * 1024

func (w *Writer) reject(entity string, pos Position, raw []byte, reason, msg string) error {
	if w.rbuild == nil {
		w.rbuild = array.NewRecordBuilder(w.run.mem, rejectSchema)
	}
	b := w.rbuild
	b.Field(0).(*array.StringBuilder).Append(w.source)
	b.Field(1).(*array.StringBuilder).Append(entity)
	b.Field(2).(*array.StringBuilder).Append(w.run.ID)
	b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(w.run.StartedAt.UnixMicro()))
	b.Field(4).(*array.StringBuilder).Append(pos.File)
	b.Field(5).(*array.Int64Builder).Append(pos.N)
	b.Field(6).(*array.StringBuilder).Append(reason)
	b.Field(7).(*array.StringBuilder).Append(msg)
	if len(raw) > maxRawReject {
		raw = raw[:maxRawReject]
	}
	b.Field(8).(*array.BinaryBuilder).Append(raw)
	w.rrows++
	if w.rrows >= batchRows {
		return w.flushRejects()
	}
	return nil
}

func (w *Writer) flushRejects() error {
	if w.rrows == 0 {
		return nil
	}
	rec := w.rbuild.NewRecordBatch()
	defer rec.Release()
	w.rrows = 0
	if w.rejects == nil {
		dir := filepath.Join("rejects", "source="+w.source, "run="+w.run.ID)
		f, err := w.run.createParquet(dir, rejectSchema, nil, nil)
		if err != nil {
			return err
		}
		w.rejects = f
	}
	return w.rejects.Write(rec)
}

// close flushes and closes every file and returns the source's manifest entry.
func (w *Writer) close() (SourceManifest, error) {
	sm := SourceManifest{Name: w.source, Kind: w.kind, Inputs: w.inputs}
	var errs []error
	for _, name := range w.order {
		e := w.entities[name]
		if err := e.flush(); err != nil {
			errs = append(errs, err)
		}
		if e.build != nil {
			e.build.Release()
		}
		if e.file != nil {
			rel, err := e.file.Close()
			if err != nil {
				errs = append(errs, err)
			}
			e.stats.Files = append(e.stats.Files, rel)
		}
		sm.Entities = append(sm.Entities, e.stats)
	}
	if err := w.flushRejects(); err != nil {
		errs = append(errs, err)
	}
	if w.rbuild != nil {
		w.rbuild.Release()
	}
	if w.rejects != nil {
		rel, err := w.rejects.Close()
		if err != nil {
			errs = append(errs, err)
		}
		sm.RejectFiles = append(sm.RejectFiles, rel)
	}
	return sm, errors.Join(errs...)
}

// discard closes files without publishing them, after a failed extract.
func (w *Writer) discard() {
	for _, name := range w.order {
		e := w.entities[name]
		if e.build != nil {
			e.build.Release()
		}
		if e.file != nil {
			e.file.Abort()
		}
	}
	if w.rbuild != nil {
		w.rbuild.Release()
	}
	if w.rejects != nil {
		w.rejects.Abort()
	}
}

// ParquetFile is one Parquet file being written as path.partial, zstd
// compressed, one row group per Write. Encoding and compression run in a
// goroutine of their own, so that the connector building the next batch and
// the Parquet writer work at the same time; at most two batches wait in
// between. When every column is flat (no lists or structs), the columns of a
// row group are encoded concurrently, on as many goroutines as GOMAXPROCS,
// and written out in column order, so the file is the same as a serial
// writer's. A write error is returned by a later Write or by Close.
type ParquetFile struct {
	lake   string
	rel    string // final path relative to the lake
	f      *os.File
	fw     *pqarrow.FileWriter // schemas with nested columns: written serially
	pw     *file.Writer        // flat schemas: columns encoded concurrently
	flat   flatColumns
	queue  chan queued
	spares chan *colBatch // column batches written, for the entity to fill again
	done   chan struct{}
	stop   sync.Once
	mu     sync.Mutex
	err    error // the first write error
}

func (r *Run) createParquet(dir string, schema *arrow.Schema, plain, noStats []string) (*ParquetFile, error) {
	return createParquet(r.Lake, filepath.Join(dir, "part-00000.parquet"), schema, r.mem, plain, noStats)
}

// CreateParquet starts the Parquet file lake/rel, zstd compressed at level
// 1, written as rel.partial until Close renames it into place. mem must be
// safe for concurrent use, as arrow-go's allocators are: columns are encoded
// on several goroutines. Columns named in plain are written without
// dictionary encoding: for columns whose values are nearly all distinct
// (keys, pair evidence) the dictionary only costs time.
func CreateParquet(lake, rel string, schema *arrow.Schema, mem memory.Allocator, plain ...string) (*ParquetFile, error) {
	return createParquet(lake, rel, schema, mem, plain, nil)
}

// createParquet is CreateParquet, with the columns named in noStats written
// without minimum and maximum statistics.
func createParquet(lake, rel string, schema *arrow.Schema, mem memory.Allocator, plain, noStats []string) (*ParquetFile, error) {
	full := filepath.Join(lake, filepath.Dir(rel))
	if err := os.MkdirAll(full, 0o700); err != nil {
		return nil, fmt.Errorf("creating landing directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(lake, rel)+".partial", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating parquet file: %w", err)
	}
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		// zstd level 1 (klauspost's SpeedFastest) takes a quarter less time
		// than the default level for files about 5% larger.
		parquet.WithCompressionLevel(1),
		parquet.WithAllocator(mem),
		parquet.WithCreatedBy("sharedcare"),
	}
	for _, c := range plain {
		opts = append(opts, parquet.WithDictionaryFor(c, false))
	}
	for _, c := range noStats {
		opts = append(opts, parquet.WithStatsFor(c, false))
	}
	props := parquet.NewWriterProperties(opts...)
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema())
	p := &ParquetFile{lake: lake, rel: rel, f: f, queue: make(chan queued, 2), spares: make(chan *colBatch, 3), done: make(chan struct{})}
	if flat, ok := newFlatColumns(schema, aprops); ok {
		p.flat = flat
		p.pw, err = newFileWriter(schema, syncingFile{f}, props, aprops)
	} else {
		p.fw, err = pqarrow.NewFileWriter(schema, syncingFile{f}, props, aprops)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("starting parquet file %s: %w", rel, err)
	}
	go p.writer()
	return p, nil
}

// newFileWriter starts a Parquet file as pqarrow.NewFileWriter does (same
// Parquet schema, same key-value metadata with the Arrow schema), but hands
// back the file writer itself, whose buffered row groups can take their
// columns in any order.
func newFileWriter(schema *arrow.Schema, w io.Writer, props *parquet.WriterProperties, aprops pqarrow.ArrowWriterProperties) (*file.Writer, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, aprops)
	if err != nil {
		return nil, err
	}
	meta := make(metadata.KeyValueMetadata, 0)
	for i := 0; i < schema.Metadata().Len(); i++ {
		meta.Append(schema.Metadata().Keys()[i], schema.Metadata().Values()[i])
	}
	var buf bytes.Buffer
	iw := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(props.Allocator()))
	if err := iw.Close(); err != nil {
		return nil, err
	}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(buf.Bytes()))
	return file.NewParquetWriter(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta)), nil
}

// flatColumns describes the columns of a schema without nested types.
type flatColumns struct {
	nullable []bool
	aprops   pqarrow.ArrowWriterProperties
}

func newFlatColumns(schema *arrow.Schema, aprops pqarrow.ArrowWriterProperties) (flatColumns, bool) {
	fc := flatColumns{aprops: aprops}
	for _, f := range schema.Fields() {
		switch f.Type.ID() {
		case arrow.STRING, arrow.BINARY, arrow.BOOL, arrow.INT32, arrow.INT64, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP:
		default:
			return flatColumns{}, false
		}
		fc.nullable = append(fc.nullable, f.Nullable)
	}
	return fc, true
}

// queued is a row group waiting for the writer goroutine: an Arrow record
// batch, or the column batch of a flat entity.
type queued struct {
	rec  arrow.RecordBatch
	cols *colBatch
}

func (p *ParquetFile) writer() {
	defer close(p.done)
	for q := range p.queue {
		if p.firstErr() == nil {
			var err error
			switch {
			case q.cols != nil:
				err = p.encodeColumns(q.cols)
			case p.pw != nil:
				err = p.writeRecord(q.rec)
			default:
				err = p.fw.Write(q.rec)
			}
			if err != nil {
				p.mu.Lock()
				p.err = fmt.Errorf("writing %s: %w", p.rel, err)
				p.mu.Unlock()
			}
		}
		if q.rec != nil {
			q.rec.Release()
		}
		if q.cols != nil {
			q.cols.reset()
			select {
			case p.spares <- q.cols:
			default:
			}
		}
	}
}

// writeRecord writes rec as one row group.
func (p *ParquetFile) writeRecord(rec arrow.RecordBatch) error {
	return p.writeRowGroup(int(rec.NumCols()), rec.NumRows(), rec.ColumnName, nil, func(ctx context.Context, i int, cw file.ColumnChunkWriter) error {
		return p.flat.write(ctx, cw, i, rec.Column(i))
	})
}

// encodeColumns writes b as one row group.
func (p *ParquetFile) encodeColumns(b *colBatch) error {
	if len(b.cols) != len(p.flat.nullable) {
		return fmt.Errorf("%d columns for a schema of %d", len(b.cols), len(p.flat.nullable))
	}
	name := func(i int) string { return p.pw.Schema.Column(i).Name() }
	// The largest columns are encoded first: taken in schema order, a
	// large column left to the end kept one core busy while the other
	// waited for the row group to finish.
	order := make([]int, len(b.cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(b.cols[y].size(), b.cols[x].size()) })
	return p.writeRowGroup(len(b.cols), int64(b.rows), name, order, func(_ context.Context, i int, cw file.ColumnChunkWriter) error {
		buf, _ := byteArrays.Get().([]parquet.ByteArray)
		buf, err := b.cols[i].write(cw, buf)
		byteArrays.Put(buf[:0])
		return err
	})
}

// writeRowGroup writes one buffered row group of n columns and rows rows.
// Workers encode and compress the columns into memory, taking them in
// order (the column numbers in order, or schema order when order is nil);
// this goroutine closes each column as soon as it and every column before
// it are encoded, which appends its chunk to the file, so chunks land in
// schema order.
func (p *ParquetFile) writeRowGroup(n int, rows int64, name func(int) string, order []int, encode func(ctx context.Context, i int, cw file.ColumnChunkWriter) error) error {
	if rows == 0 {
		// An empty row group (an entity without rows): written as a serial
		// writer does, which leaves its chunks' data page offsets at zero.
		rgw := p.pw.AppendRowGroup()
		for range n {
			if _, err := rgw.NextColumn(); err != nil {
				return err
			}
		}
		return rgw.Close()
	}
	rgw := p.pw.AppendBufferedRowGroup()
	done := make([]chan error, n)
	for i := range done {
		done[i] = make(chan error, 1)
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), n) {
		go func() {
			ctx := pqarrow.NewArrowWriteContext(context.Background(), &p.flat.aprops)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if order != nil {
					i = order[i]
				}
				cw, err := rgw.Column(i)
				if err == nil {
					err = encode(ctx, i, cw)
				}
				done[i] <- err
			}
		}()
	}
	var first error
	for i := range n {
		err := <-done[i]
		if err == nil && first == nil {
			var cw file.ColumnChunkWriter
			if cw, err = rgw.Column(i); err == nil {
				err = cw.Close()
			}
		}
		if err != nil && first == nil {
			first = fmt.Errorf("column %s: %w", name(i), err)
		}
	}
	if first != nil {
		return first
	}
	return rgw.Close()
}

// write encodes one Arrow column of a row group into the column writer's
// memory.
func (fc flatColumns) write(ctx context.Context, cw file.ColumnChunkWriter, i int, arr arrow.Array) error {
	var defs []int16
	if fc.nullable[i] {
		defs = make([]int16, arr.Len())
		for j := range defs {
			if arr.IsValid(j) {
				defs[j] = 1
			}
		}
	}
	// Telling pqarrow that the leaf is not nullable (the column still is)
	// makes it take the "spaced" path, which writes the same pages. The
	// other path checks every definition level with a debug assertion whose
	// message is built even when assertions are off: a string concatenation
	// per value, an eighth of the encoding time.
	return pqarrow.WriteArrowToColumn(ctx, cw, arr, defs, nil, false)
}

func (p *ParquetFile) firstErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// finish stops the writer goroutine and waits for it.
func (p *ParquetFile) finish() {
	p.stop.Do(func() { close(p.queue) })
	<-p.done
}

// Write queues rec as the next row group; the caller may release rec.
func (p *ParquetFile) Write(rec arrow.RecordBatch) error {
	if err := p.firstErr(); err != nil {
		return err
	}
	rec.Retain()
	p.queue <- queued{rec: rec}
	return nil
}

// queueColumns queues b as the next row group. The file hands b back by
// spare once it is written.
func (p *ParquetFile) queueColumns(b *colBatch) error {
	if err := p.firstErr(); err != nil {
		return err
	}
	if p.pw == nil {
		return fmt.Errorf("writing %s: column batches need a flat schema", p.rel)
	}
	p.queue <- queued{cols: b}
	return nil
}

// spare returns a written column batch to fill again, or nil.
func (p *ParquetFile) spare() *colBatch {
	select {
	case b := <-p.spares:
		return b
	default:
		return nil
	}
}

// closeWriter writes the footer and closes the underlying file.
func (p *ParquetFile) closeWriter() error {
	if p.pw != nil {
		return p.pw.Close()
	}
	return p.fw.Close()
}

// Close finishes the file (footer), syncs it and renames it into place.
func (p *ParquetFile) Close() (string, error) {
	p.finish()
	if err := p.firstErr(); err != nil {
		p.closeWriter()
		os.Remove(p.f.Name())
		return "", err
	}
	// Closing the Parquet writer also closes the underlying *os.File.
	if err := p.closeWriter(); err != nil {
		os.Remove(p.f.Name())
		return "", fmt.Errorf("closing %s: %w", p.rel, err)
	}
	final := filepath.Join(p.lake, p.rel)
	if err := os.Rename(final+".partial", final); err != nil {
		return "", fmt.Errorf("publishing %s: %w", p.rel, err)
	}
	return filepath.ToSlash(p.rel), nil
}

func (p *ParquetFile) Abort() {
	p.finish()
	p.closeWriter()
	os.Remove(p.f.Name())
}

// syncingFile flushes the file to disk when the Parquet writer closes it, so
// a renamed file is complete even after a power cut.
type syncingFile struct{ *os.File }

func (s syncingFile) Close() error {
	if err := s.File.Sync(); err != nil {
		s.File.Close()
		return err
	}
	return s.File.Close()
}
