package extract_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
)

// testBatches builds record batches with every flat landed type, nulls,
// columns of few and of all-distinct values, and an empty batch.
func testBatches(mem memory.Allocator) (*arrow.Schema, []arrow.RecordBatch) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "_run_id", Type: arrow.BinaryTypes.String},
		{Name: "_position", Type: arrow.PrimitiveTypes.Int64},
		{Name: "raw", Type: arrow.BinaryTypes.Binary},
	}, nil)
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	row := 0
	for _, size := range []int{5000, 0, 70000, 1} {
		for range size {
			if row%7 == 3 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("P%02d", row%40))
			}
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%032x", row*2654435761))
			if row%5 == 0 {
				b.Field(2).AppendNull()
				b.Field(3).AppendNull()
				b.Field(4).AppendNull()
				b.Field(5).AppendNull()
			} else {
				b.Field(2).(*array.Int64Builder).Append(int64(row))
				b.Field(3).(*array.Float64Builder).Append(float64(row) / 3)
				b.Field(4).(*array.Date32Builder).Append(arrow.Date32(row % 30000))
				b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(row) * 1e6))
			}
			b.Field(6).(*array.StringBuilder).Append("20260101T000000.000000Z")
			b.Field(7).(*array.Int64Builder).Append(int64(row + 1))
			b.Field(8).(*array.BinaryBuilder).Append([]byte(fmt.Sprintf("raw,%d,\"x\"", row)))
			row++
		}
		out = append(out, b.NewRecordBatch())
	}
	return schema, out
}

// TestParquetFileMatchesSerialWriter: the Parquet writer that encodes a
// row group's columns concurrently must produce the file that pqarrow's
// serial writer produces from the same batches with the same properties
// (byte for byte up to the footer, and the same footer but for the order of
// encoding statistics), and must release every buffer it allocates.
func TestParquetFileMatchesSerialWriter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, batches := testBatches(mem)
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	for _, plain := range [][]string{nil, {"key", "_position"}} {
		t.Run(fmt.Sprint(plain), func(t *testing.T) {
			lake := t.TempDir()
			pf, err := extract.CreateParquet(lake, "a/part.parquet", schema, mem, plain...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range batches {
				if err := pf.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := pf.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(lake, "a/part.parquet"))
			if err != nil {
				t.Fatal(err)
			}

			sameParquet(t, got, serialParquet(t, schema, batches, mem, plain, nil))
		})
	}
}

// sameParquet compares two Parquet files: the bytes before the footer must
// be equal, and so must the footers' row groups and column chunks. The
// order of a chunk's encodings and encoding statistics is not compared:
// arrow-go collects them from a map, so it differs from one run to the next
// even with the serial writer.
func sameParquet(t *testing.T, got, want []byte) {
	t.Helper()
	body := func(b []byte) []byte {
		n := binary.LittleEndian.Uint32(b[len(b)-8:])
		return b[:len(b)-8-int(n)]
	}
	if !bytes.Equal(body(got), body(want)) {
		t.Fatalf("column chunks differ: %d bytes before the footer, want %d", len(body(got)), len(body(want)))
	}
	describe := func(b []byte) []string {
		r, err := file.NewParquetReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		md := r.MetaData()
		kv := md.KeyValueMetadata()
		out := []string{fmt.Sprint(md.NumRows, md.Schema.String(), kv.Keys(), kv.Values(), md.GetCreatedBy())}
		for i := range md.NumRowGroups() {
			rg := md.RowGroup(i)
			out = append(out, fmt.Sprint("row group", i, rg.NumRows(), rg.TotalByteSize()))
			for c := range rg.NumColumns() {
				cc, err := rg.ColumnChunk(c)
				if err != nil {
					t.Fatal(err)
				}
				enc := fmt.Sprint(cc.Encodings())
				es := fmt.Sprint(cc.EncodingStats())
				encs := []string{enc, es}
				for j := range encs {
					f := strings.Fields(strings.Trim(encs[j], "[]"))
					slices.Sort(f)
					encs[j] = strings.Join(f, " ")
				}
				st, _ := cc.StatsSet()
				var stats string
				if st {
					s, err := cc.Statistics()
					if err != nil {
						t.Fatal(err)
					}
					e, err := s.Encode()
					if err != nil {
						t.Fatal(err)
					}
					stats = fmt.Sprintf("%x %x %d", e.Min, e.Max, e.NullCount)
				}
				out = append(out, fmt.Sprint(c, cc.FileOffset(), cc.DictionaryPageOffset(), cc.DataPageOffset(), cc.TotalCompressedSize(), cc.TotalUncompressedSize(), cc.NumValues(), cc.Compression(), encs, stats))
			}
		}
		return out
	}
	g, w := describe(got), describe(want)
	if !slices.Equal(g, w) {
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("footers differ: %s, want %s", g[i], w[i])
			}
		}
		t.Fatalf("footers differ: %d entries, want %d", len(g), len(w))
	}
}

// keysSource lands n rows of a key (every value new) and a code (40 values).
type keysSource struct{ n int }

func (s keysSource) Extract(ctx context.Context, w *extract.Writer) error {
	ew, err := w.Entity(extract.Schema{Entity: "things", Fields: []extract.Field{{Name: "key", Type: extract.String}, {Name: "code", Type: extract.String}, {Name: "seq", Type: extract.Int64}}})
	if err != nil {
		return err
	}
	for i := range s.n {
		raw := []byte(fmt.Sprint(i))
		if err := ew.Append(extract.Position{File: "f", N: int64(i + 1)}, raw, []any{fmt.Sprintf("K%08d", i), fmt.Sprintf("C%02d", i%40), int64(i % 3)}); err != nil {
			return err
		}
	}
	return nil
}

// TestPlainColumns: string columns (a key, a code of 40 values, the record
// hash, the run id) and fixed-width columns whose values are nearly all
// distinct (the position) or all the same (the extraction time) are written
// without a dictionary; a fixed-width column of few values (seq) with one.
func TestPlainColumns(t *testing.T) {
	r, err := file.NewParquetReader(bytes.NewReader(landFile(t, keysSource{n: 5000}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rg := r.MetaData().RowGroup(0)
	want := map[string]bool{"key": false, "code": false, "seq": true, extract.ColRecordHash: false, extract.ColPosition: false, extract.ColRunID: false, extract.ColExtractedAt: false}
	for c := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		name := cc.PathInSchema().String()
		if dict, ok := want[name]; ok && cc.HasDictionaryPage() != dict {
			t.Errorf("column %s: dictionary %v, want %v", name, cc.HasDictionaryPage(), dict)
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("columns not found: %v", want)
	}
}

// typedSource lands the same records through Append or AppendValues.
type typedSource struct{ typed bool }

var typedSchema = extract.Schema{Entity: "typed", Fields: []extract.Field{
	{Name: "s", Type: extract.String}, {Name: "n", Type: extract.Int64}, {Name: "f", Type: extract.Float64},
	{Name: "d", Type: extract.Date}, {Name: "ts", Type: extract.Timestamp},
}}

func (s typedSource) Extract(ctx context.Context, w *extract.Writer) error {
	ew, err := w.Entity(typedSchema)
	if err != nil {
		return err
	}
	london, _ := time.LoadLocation("Europe/London")
	v := extract.NewValues(len(typedSchema.Fields))
	for i := range 3000 {
		pos := extract.Position{File: "f", N: int64(i + 1)}
		raw := []byte(fmt.Sprint("row ", i))
		t := time.Date(2026, 3, 29, 0, i%120, 0, 0, london)
		vals := []any{fmt.Sprint("v", i%7), int64(i), float64(i) / 4, t, t}
		if i%5 == 0 {
			vals[i%len(vals)] = nil
		}
		if !s.typed {
			if err := ew.Append(pos, raw, vals); err != nil {
				return err
			}
			continue
		}
		for j, x := range vals {
			switch x := x.(type) {
			case string:
				v.SetString(j, x)
			case int64:
				v.SetInt64(j, x)
			case float64:
				v.SetFloat64(j, x)
			case time.Time:
				if typedSchema.Fields[j].Type == extract.Date && i%2 == 0 {
					y, m, d := x.Date()
					v.SetDate(j, y, m, d)
				} else {
					v.SetTime(j, x)
				}
			}
		}
		if err := ew.AppendValues(pos, raw, v); err != nil {
			return err
		}
	}
	return nil
}

// TestAppendValuesLandsAsAppend: records landed from typed Values are the
// records Append lands from the same values (nulls, dates, timestamps and
// lineage hashes included).
func TestAppendValuesLandsAsAppend(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var files [2][]byte
	for k, typed := range []bool{false, true} {
		files[k] = landFile(t, typedSource{typed: typed}, mem)
	}
	sameParquet(t, files[1], files[0])
}

func TestAppendValuesChecksTypes(t *testing.T) {
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.Land(context.Background(), "src", "test", sourceFunc(func(ctx context.Context, w *extract.Writer) error {
		ew, err := w.Entity(typedSchema)
		if err != nil {
			return err
		}
		v := extract.NewValues(len(typedSchema.Fields))
		v.SetString(1, "not an int")
		return ew.AppendValues(extract.Position{File: "f", N: 1}, nil, v)
	}))
	if err == nil || !strings.Contains(err.Error(), "field n") {
		t.Errorf("a string for an int64 field gave %v", err)
	}
}

type sourceFunc func(ctx context.Context, w *extract.Writer) error

func (f sourceFunc) Extract(ctx context.Context, w *extract.Writer) error { return f(ctx, w) }

// TestColumnBatchesMatchArrowWriter: a flat entity's rows, landed through
// column batches (no Arrow builders), make the file pqarrow's own writer
// makes from the same rows as Arrow record batches with the same
// properties: same pages, statistics, dictionaries and row groups (two,
// the second part full), nulls and empty strings included. (A row group in
// which a string column holds only empty strings is the one difference:
// pqarrow leaves it without statistics, column batches give min = max = "".)
func TestColumnBatchesMatchArrowWriter(t *testing.T) {
	const rows = 131072 + 7000 // a full row group and part of another
	schema := extract.Schema{Entity: "mixed", Fields: []extract.Field{
		{Name: "code", Type: extract.String}, {Name: "key", Type: extract.String},
		{Name: "n", Type: extract.Int64}, {Name: "x", Type: extract.Float64},
		{Name: "d", Type: extract.Date}, {Name: "ts", Type: extract.Timestamp},
		{Name: "blank", Type: extract.String},
	}}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	value := func(i int) ([]byte, []any) {
		vals := []any{fmt.Sprintf("C%02d", i%40), fmt.Sprintf("K%09d", i*7919%1000003), int64(i % 1000), float64(i) / 8,
			time.Date(1930+i%90, time.Month(1+i%12), 1+i%28, 23, 30, 0, 0, london), time.Date(2026, 3, 29, 0, i%180, i%60, 0, london), strings.Repeat("e", i%1000/999)}
		for j := range vals {
			if (i+j)%(5+j) == 0 {
				vals[j] = nil
			}
		}
		return []byte(fmt.Sprint("row,", i)), vals
	}
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "src", "test", sourceFunc(func(ctx context.Context, w *extract.Writer) error {
		ew, err := w.Entity(schema)
		if err != nil {
			return err
		}
		for i := range rows {
			raw, vals := value(i)
			if err := ew.Append(extract.Position{File: "in.csv", N: int64(i + 2)}, raw, vals); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(lake, sm.Entities[0].Files[0]))
	if err != nil {
		t.Fatal(err)
	}

	// The same rows as Arrow batches, split where the writer splits them.
	mem := memory.NewGoAllocator()
	aschema := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "blank", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: extract.ColSource, Type: arrow.BinaryTypes.String},
		{Name: extract.ColEntity, Type: arrow.BinaryTypes.String},
		{Name: extract.ColRunID, Type: arrow.BinaryTypes.String},
		{Name: extract.ColExtractedAt, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: extract.ColSourceFile, Type: arrow.BinaryTypes.String},
		{Name: extract.ColPosition, Type: arrow.PrimitiveTypes.Int64},
		{Name: extract.ColRecordHash, Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(mem, aschema)
	defer b.Release()
	var batches []arrow.RecordBatch
	for i := range rows {
		raw, vals := value(i)
		for j, v := range vals {
			fb := b.Field(j)
			switch v := v.(type) {
			case nil:
				fb.AppendNull()
			case string:
				fb.(*array.StringBuilder).Append(v)
			case int64:
				fb.(*array.Int64Builder).Append(v)
			case float64:
				fb.(*array.Float64Builder).Append(v)
			case time.Time:
				if j == 4 {
					y, m, d := v.Date()
					fb.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
				} else {
					fb.(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
				}
			}
		}
		b.Field(7).(*array.StringBuilder).Append("src")
		b.Field(8).(*array.StringBuilder).Append("mixed")
		b.Field(9).(*array.StringBuilder).Append(run.ID)
		b.Field(10).(*array.TimestampBuilder).Append(arrow.Timestamp(run.StartedAt.UnixMicro()))
		b.Field(11).(*array.StringBuilder).Append("in.csv")
		b.Field(12).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(13).(*array.StringBuilder).Append(extract.RecordHash(raw))
		if (i+1)%131072 == 0 || i == rows-1 {
			batches = append(batches, b.NewRecordBatch())
		}
	}
	// Whichever columns the writer chose to write without a dictionary.
	r, err := file.NewParquetReader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	rg := r.MetaData().RowGroup(0)
	var plain []string
	for c := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		if !cc.HasDictionaryPage() {
			plain = append(plain, cc.PathInSchema().String())
		}
	}
	r.Close()
	if len(plain) == 0 || len(plain) == len(aschema.Fields()) {
		t.Fatalf("%d of %d columns without a dictionary: the test should cover both kinds", len(plain), len(aschema.Fields()))
	}
	defer func() {
		for _, rec := range batches {
			rec.Release()
		}
	}()
	sameParquet(t, got, serialParquet(t, aschema, batches, mem, plain, []string{"code", "key", "blank", extract.ColRecordHash}))
}

// TestSetDateLandsAsSetTime: every day from 1600 to 2400, set with SetDate,
// lands as the same day set with SetTime (through Arrow builders too, for
// an entity with a list field).
func TestSetDateLandsAsSetTime(t *testing.T) {
	for _, fields := range [][]extract.Field{
		{{Name: "d", Type: extract.Date}},
		{{Name: "d", Type: extract.Date}, {Name: "l", Type: extract.StringList}},
	} {
		schema := extract.Schema{Entity: "days", Fields: fields}
		var files [2][]byte
		for k := range files {
			files[k] = landFile(t, sourceFunc(func(ctx context.Context, w *extract.Writer) error {
				ew, err := w.Entity(schema)
				if err != nil {
					return err
				}
				v := extract.NewValues(len(fields))
				n := int64(0)
				for d := time.Date(1600, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() <= 2400; d = d.AddDate(0, 0, 1) {
					if k == 0 {
						v.SetTime(0, d)
					} else {
						y, m, dd := d.Date()
						v.SetDate(0, y, m, dd)
					}
					n++
					if err := ew.AppendValues(extract.Position{File: "f", N: n}, nil, v); err != nil {
						return err
					}
				}
				return nil
			}), nil)
		}
		if !bytes.Equal(files[0], files[1]) {
			sameParquet(t, files[1], files[0])
		}
	}
}

// TestLandedStatistics: string fields and the record hash are landed
// without min/max statistics; the lineage columns that superseded landings
// are found by (_source_file, _run_id) and the other fields keep theirs.
func TestLandedStatistics(t *testing.T) {
	r, err := file.NewParquetReader(bytes.NewReader(landFile(t, keysSource{n: 5000}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]bool{"key": false, "code": false, extract.ColRecordHash: false, "seq": true, extract.ColSourceFile: true, extract.ColRunID: true, extract.ColPosition: true}
	rg := r.MetaData().RowGroup(0)
	for c := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		name := cc.PathInSchema().String()
		w, ok := want[name]
		if !ok {
			continue
		}
		delete(want, name)
		hasMinMax := false
		if set, _ := cc.StatsSet(); set {
			s, err := cc.Statistics()
			if err != nil {
				t.Fatal(err)
			}
			hasMinMax = s.HasMinMax()
		}
		if hasMinMax != w {
			t.Errorf("column %s: min/max statistics %v, want %v", name, hasMinMax, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("columns not found: %v", want)
	}
}

// landFile lands src as source "src" of a run in a new lake, with mem (nil:
// the default allocator), and returns the bytes of its first entity's file.
func landFile(t *testing.T, src extract.Source, mem memory.Allocator) []byte {
	t.Helper()
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), mem)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "src", "test", src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(lake, sm.Entities[0].Files[0]))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// serialParquet writes batches with pqarrow's own (serial) writer and the
// properties the landing writer uses: zstd level 1, the columns in plain
// without a dictionary, those in noStats without statistics.
func serialParquet(t *testing.T, schema *arrow.Schema, batches []arrow.RecordBatch, mem memory.Allocator, plain, noStats []string) []byte {
	t.Helper()
	opts := []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCompressionLevel(1), parquet.WithAllocator(mem), parquet.WithCreatedBy("sharedcare")}
	for _, c := range plain {
		opts = append(opts, parquet.WithDictionaryFor(c, false))
	}
	for _, c := range noStats {
		opts = append(opts, parquet.WithStatsFor(c, false))
	}
	var out bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &out, parquet.NewWriterProperties(opts...), pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range batches {
		if err := fw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
