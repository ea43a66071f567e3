package personindex

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/transform/match"
)

// The hand-written evidence encoder must write what encoding/json writes:
// the stored evidence is compared across runs.
func TestEvidenceJSONEqualsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	floats := []float64{0, 1, -1, 0.5, 1e-7, -3.2e-9, 1e21, 1e20, 123456789.125, -0.000001, 0.0000009, math.SmallestNonzeroFloat64, math.MaxFloat64}
	names := []string{"nhs_number", "given name <&>", "level \"quoted\"", "é unicode", "tab\tnewline\n", ""}
	var e evidenceJSON
	for i := range 2000 {
		var ev []match.Evidence
		if i > 0 {
			ev = []match.Evidence{}
		}
		for range rng.IntN(5) {
			f := func() float64 {
				if rng.IntN(3) == 0 {
					return floats[rng.IntN(len(floats))]
				}
				return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(30)-15))
			}
			ev = append(ev, match.Evidence{Comparison: names[rng.IntN(len(names))], Level: names[rng.IntN(len(names))],
				LevelIndex: rng.IntN(12) - 1, Weight: f(), TFAdjustment: f()})
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Fatalf("evidence %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if _, err := e.encode([]match.Evidence{{Weight: math.NaN()}}); err == nil {
		t.Error("NaN weight encoded without error; encoding/json refuses it")
	}
}

// writeLanding writes rows (source file, run) with a record_key column as
// one landing file whose row groups hold rowsPerGroup rows.
func writeLanding(t *testing.T, lake, rel string, rows [][2]string, rowsPerGroup int) {
	t.Helper()
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "record_key", Type: arrow.BinaryTypes.String},
		{Name: extract.ColSourceFile, Type: arrow.BinaryTypes.String},
		{Name: extract.ColRunID, Type: arrow.BinaryTypes.String},
	}, nil)
	pf, err := extract.CreateParquet(lake, rel, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for lo := 0; lo < len(rows); lo += rowsPerGroup {
		for i := lo; i < min(len(rows), lo+rowsPerGroup); i++ {
			b.Field(0).(*array.StringBuilder).Append(rows[i][0] + "-" + rows[i][1])
			b.Field(1).(*array.StringBuilder).Append(rows[i][0])
			b.Field(2).(*array.StringBuilder).Append(rows[i][1])
		}
		rec := b.NewRecordBatch()
		if err := pf.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if _, err := pf.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCurrentRowGroupsSkipsOnlySupersededGroups(t *testing.T) {
	lake := t.TempDir()
	// Group 0: a.csv from run 1 (superseded by run 2); group 1: b.csv from
	// run 1 (current); group 2: a.csv and b.csv mixed (must be read).
	rows := [][2]string{{"a.csv", "1"}, {"a.csv", "1"}, {"b.csv", "1"}, {"b.csv", "1"}, {"a.csv", "1"}, {"b.csv", "1"}}
	writeLanding(t, lake, "x/part-00000.parquet", rows, 2)
	p := filepath.Join(lake, "x", "part-00000.parquet")
	latest := map[string]string{"a.csv": "2", "b.csv": "1"}
	groups := func(us []parquetUnit, err error) []int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var gs []int
		for _, u := range us {
			gs = append(gs, u.group)
			if u.rows != 2 {
				t.Errorf("row group %d has %d rows, want 2", u.group, u.rows)
			}
		}
		return gs
	}
	got := groups(currentRowGroups(p, latest))
	if !slices.Equal(got, []int{1, 2}) {
		t.Errorf("row groups read = %v, want [1 2]", got)
	}
	if got := groups(currentRowGroups(p, nil)); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("without a latest map, row groups = %v, want all", got)
	}
	// Every row read from the kept groups that is current is still found.
	var keys []string
	for _, g := range got {
		err := readParquet(context.Background(), p, []string{"record_key", extract.ColSourceFile, extract.ColRunID}, []int{g}, nil, func(c []arrow.Array, i int) error {
			if latest[str(c[1], i)] == str(c[2], i) {
				keys = append(keys, str(c[0], i))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(keys) != 3 {
		t.Errorf("current rows read = %v, want the three b.csv rows", keys)
	}
}
