package extract

import (
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// RowGroup is one row group of a landed Parquet file.
type RowGroup struct {
	Index int
	Rows  int64
}

// CurrentRowGroups lists the row groups of the landed Parquet file at path
// that may hold current rows, with their row counts, from the file's
// statistics alone. With latest (source file → run that last landed it, as
// Landing.LatestRun) set, a row group whose statistics show a single
// _source_file and a single _run_id that is not that file's latest holds
// only rows a later landing superseded, and is left out; a row group
// without such statistics is always kept. With latest nil every row group
// is listed. Readers of a file feed use it so that the cost of reading a
// landing follows what is current, not how many times a file was landed.
func CurrentRowGroups(path string, latest map[string]string) ([]RowGroup, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer pf.Close()
	md := pf.MetaData()
	fileCol, runCol := md.Schema.ColumnIndexByName(ColSourceFile), md.Schema.ColumnIndexByName(ColRunID)
	var groups []RowGroup
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		if latest != nil && fileCol >= 0 && runCol >= 0 {
			f, okF := singleValue(rg, fileCol)
			r, okR := singleValue(rg, runCol)
			if okF && okR && latest[f] != r {
				continue
			}
		}
		groups = append(groups, RowGroup{Index: g, Rows: rg.NumRows()})
	}
	return groups, nil
}

// singleValue returns the one value of a string column chunk whose
// statistics say min = max and no nulls.
func singleValue(rg *metadata.RowGroupMetaData, col int) (string, bool) {
	cc, err := rg.ColumnChunk(col)
	if err != nil {
		return "", false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		return "", false
	}
	bs, ok := st.(*metadata.ByteArrayStatistics)
	if !ok || !bs.HasMinMax() || !bs.HasNullCount() || bs.NullCount() > 0 {
		return "", false
	}
	if string(bs.Min()) != string(bs.Max()) {
		return "", false
	}
	return string(bs.Min()), true
}
