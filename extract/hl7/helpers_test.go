package hl7

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
)

// landed runs src into a fresh lake and returns the lake and the manifest.
func landed(t testing.TB, src extract.Source) (string, extract.SourceManifest) {
	t.Helper()
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "acute", "hl7", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Commit(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return lake, sm
}

func entityStats(sm extract.SourceManifest, entity string) extract.EntityManifest {
	for _, e := range sm.Entities {
		if e.Entity == entity {
			return e
		}
	}
	return extract.EntityManifest{}
}

// rows reads one landed entity (or the rejects when entity is "rejects")
// as strings keyed by column; nulls are "<nil>".
func rows(t testing.TB, lake string, sm extract.SourceManifest, entity string) []map[string]string {
	t.Helper()
	var files []string
	if entity == "rejects" {
		files = sm.RejectFiles
	} else {
		files = entityStats(sm, entity).Files
	}
	var out []map[string]string
	for _, p := range files {
		f, err := file.OpenParquetFile(filepath.Join(lake, p), false)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tr := array.NewTableReader(tbl, -1)
		for tr.Next() {
			rec := tr.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				m := map[string]string{}
				for c := 0; c < int(rec.NumCols()); c++ {
					col := rec.Column(c)
					v := "<nil>"
					if !col.IsNull(i) {
						v = col.ValueStr(i)
					}
					m[rec.ColumnName(c)] = v
				}
				out = append(out, m)
			}
		}
		tr.Release()
		tbl.Release()
		f.Close()
	}
	return out
}
