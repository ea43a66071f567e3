package personindex

import (
	"context"
	"fmt"
	"path/filepath"
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
	rr, err := fr.GetRecordReader(ctx, idx, nil)
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

// GPPatientColumns are the landed columns the index reads from a GP
// patients entity; the source's CSV mapping must produce them.
var GPPatientColumns = []string{"practice_code", "patient_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"}

// ReadGPPatients reads the current landed GP patients of a source: for each
// source file, the rows of the run that last landed it. The record key is
// practice_code/patient_id.
func ReadGPPatients(ctx context.Context, lake, source string, landing extract.Landing, mem memory.Allocator) ([]Record, error) {
	var recs []Record
	cols := append(append([]string{}, GPPatientColumns...), extract.ColRunID, extract.ColSourceFile)
	n := len(GPPatientColumns)
	for _, f := range landing.Files {
		err := ReadParquet(ctx, filepath.Join(lake, filepath.FromSlash(f)), cols, mem, func(c []arrow.Array, i int) error {
			if landing.LatestRun[str(c[n+1], i)] != str(c[n], i) {
				return nil // superseded by a later landing of the same file
			}
			recs = append(recs, Record{
				Source: source, Entity: "patients",
				RecordKey: str(c[0], i) + "/" + str(c[1], i),
				NHSNumber: str(c[2], i), GivenName: str(c[3], i), Family: str(c[4], i),
				BirthDate: date(c[5], i), Sex: str(c[6], i), Postcode: str(c[7], i),
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return recs, nil
}
