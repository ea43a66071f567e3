package load

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
)

// TestFileFeedViews builds a file feed's landing view as a load does, from
// run manifests and Parquet files, for three histories, and checks the
// rows it gives: the filter on each source file's latest landing is left
// out only where no row is superseded.
func TestFileFeedViews(t *testing.T) {
	type landed struct {
		file string   // source file
		rows []string // values of v
	}
	for _, tc := range []struct {
		name      string
		runs      [][]landed // per run (R1, R2, …), the source files it landed
		wantWhole bool
		want      string
	}{
		{"new files every night (hospital ADT)", [][]landed{
			{{file: "a.hl7", rows: []string{"a1", "a2"}}},
			{{file: "b.hl7", rows: []string{"b1"}}},
		}, true, "a1 a2 b1"},
		{"one file landed again among others (portal audit)", [][]landed{
			{{file: "a.jsonl", rows: []string{"a1", "a2"}}, {file: "b.jsonl", rows: []string{"b1"}}},
			{{file: "a.jsonl", rows: []string{"a1", "a3"}}},
		}, false, "a1 a3 b1"},
		{"one file sent whole every night (GP extract)", [][]landed{
			{{file: "p.csv", rows: []string{"p1", "p2"}}},
			{{file: "p.csv", rows: []string{"p1"}}},
		}, true, "p1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := t.TempDir()
			db, err := sql.Open("duckdb", "")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var runs []*extract.Manifest
			for i, files := range tc.runs {
				id := fmt.Sprintf("R%d", i+1)
				rel := "run=" + id + ".parquet"
				var sel []string
				var inputs []extract.Input
				for _, f := range files {
					inputs = append(inputs, extract.Input{File: f.file})
					for _, v := range f.rows {
						sel = append(sel, fmt.Sprintf("SELECT '%s' AS v, 'src' AS _source, '%s' AS _source_file, '%s' AS _run_id", v, f.file, id))
					}
				}
				q := fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", strings.Join(sel, " UNION ALL "), filepath.Join(lake, rel))
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
				runs = append(runs, &extract.Manifest{RunID: id, Sources: []extract.SourceManifest{
					{Name: "src", Inputs: inputs, Entities: []extract.EntityManifest{{Entity: "e", Files: []string{rel}}}}}})
			}
			files, whole, err := currentFiles(lake, extract.EntityLanding(runs, "src", "e"))
			if err != nil {
				t.Fatal(err)
			}
			if whole != tc.wantWhole {
				t.Errorf("whole = %v, want %v (files %v)", whole, tc.wantWhole, files)
			}
			src, err := readParquet(lake, files)
			if err != nil {
				t.Fatal(err)
			}
			rows := func(body string) string {
				var vs []string
				r, err := db.QueryContext(context.Background(), "SELECT v FROM ("+body+")")
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				for r.Next() {
					var v string
					if err := r.Scan(&v); err != nil {
						t.Fatal(err)
					}
					vs = append(vs, v)
				}
				slices.Sort(vs)
				return strings.Join(vs, " ")
			}
			if got := rows(fileFeedView(src, whole)); got != tc.want {
				t.Errorf("the view gives %q, want %q", got, tc.want)
			}
			if got := rows(fileFeedView(src, false)); got != tc.want {
				t.Errorf("the filtered view gives %q, want %q", got, tc.want)
			}
		})
	}
}
