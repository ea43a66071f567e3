package personindex

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
)

// readAll reads ps into a fresh set of records and returns them with how
// they were read.
func readAll(t *testing.T, lake string, ps PersonSource) ([]Record, SnapshotUse) {
	t.Helper()
	n, _, err := PersonRows(lake, ps)
	if err != nil {
		t.Fatal(err)
	}
	dst := NewPersons(n)
	use, err := ReadPersons(context.Background(), lake, ps, nil, dst)
	if err != nil {
		t.Fatal(err)
	}
	return dst.Records(), use
}

// TestSnapshotReadsAsTheLanding holds a snapshot to its promise: a source
// read from the last run's snapshot and the files landed since gives the
// records, values, links and order that reading every landed file gives,
// for file and database feeds; and a snapshot that no longer describes
// the landing is not read.
func TestSnapshotReadsAsTheLanding(t *testing.T) {
	for _, byFile := range []bool{true, false} {
		lake := t.TempDir()
		// Run 1 and 2: two files of patients, k2 sent twice, k1 with a link.
		writePersonLanding(t, lake, "r1.parquet", []landedRow{
			{"k1", "A1", "r1", "f1", []string{"Patient/k9"}}, {"k2", "A2", "r1", "f1", nil}, {"k3", "A3", "r1", "f1", nil},
			{"k2", "A2b", "r1", "f1", nil}, {"", "none", "r1", "f1", nil},
		})
		writePersonLanding(t, lake, "r2.parquet", []landedRow{
			{"k4", "B4", "r2", "f2", nil}, {"k1", "B1", "r2", "f2", []string{"Patient/k8", "RelatedPerson/x"}}, {"k5", "B5", "r2", "f2", nil},
		})
		landing := extract.Landing{Files: []string{"r1.parquet", "r2.parquet"}, LatestRun: map[string]string{"f1": "r1", "f2": "r2"}}
		ps := PersonSource{Source: "acute", System: "acute", Entity: "patients", Landing: landing, ByFile: byFile,
			LinksColumn: "links", SnapshotRun: "i2"}
		first, use := readAll(t, lake, ps)
		if !use.Wrote || use.From != "" {
			t.Fatalf("byFile=%v: the first read used %+v, want a snapshot written and none read", byFile, use)
		}

		// Run 3: news of k2 and k5 (k5 now without a link), a new k6.
		writePersonLanding(t, lake, "r3.parquet", []landedRow{
			{"k6", "C6", "r3", "f3", []string{"Patient/k1"}}, {"k2", "C2", "r3", "f3", nil}, {"k5", "C5", "r3", "f3", nil},
		})
		ps.Landing = extract.Landing{Files: []string{"r1.parquet", "r2.parquet", "r3.parquet"}, LatestRun: map[string]string{"f1": "r1", "f2": "r2", "f3": "r3"}}
		ps.From, ps.SnapshotRun = "i2", "i3"
		got, use := readAll(t, lake, ps)
		if use.From != "i2" || !use.Wrote {
			t.Fatalf("byFile=%v: the second read used %+v, want snapshot i2 read and i3 written", byFile, use)
		}
		full := ps
		full.From, full.SnapshotRun = "", ""
		want, _ := readAll(t, lake, full)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("byFile=%v: from the snapshot\n%+v\nfrom every file\n%+v", byFile, got, want)
		}
		if reflect.DeepEqual(got, first) || len(got) != 6 || got[1].GivenName != "C2" || got[0].Links[0] != "acute/patients/k8" {
			t.Fatalf("byFile=%v: the records do not show run 3 over runs 1 and 2: %+v", byFile, got)
		}

		// The snapshot of run i3 read again, on a landing it no longer describes.
		ps.From, ps.SnapshotRun = "i3", ""
		for _, tc := range []struct {
			name string
			edit func(ps *PersonSource)
			why  string // "" when the snapshot is still good
		}{
			{"nothing new", func(*PersonSource) {}, ""},
			{"another entity", func(ps *PersonSource) { ps.Entity = "people" }, "configuration changed"},
			{"another links column", func(ps *PersonSource) { ps.LinksColumn = "" }, "configuration changed"},
			{"a full run", func(ps *PersonSource) { ps.Landing.Files = []string{"r3.parquet"} }, "not the one"},
			{"no snapshot", func(ps *PersonSource) { ps.From = "i9" }, "wrote no snapshot"},
		} {
			p := ps
			p.Landing.Files = append([]string(nil), ps.Landing.Files...)
			tc.edit(&p)
			g, use := readAll(t, lake, p)
			if (use.From != "") != (tc.why == "") || !strings.Contains(use.Why, tc.why) {
				t.Errorf("byFile=%v, %s: read %+v, want the snapshot read: %v (%q)", byFile, tc.name, use, tc.why == "", tc.why)
			}
			f := p
			f.From = ""
			w, _ := readAll(t, lake, f)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("byFile=%v, %s: records differ from a read of every file", byFile, tc.name)
			}
		}

		// Run 4 lands f1 again: its rows of run 1 are superseded under a
		// file feed, and the snapshot, which holds them, is not read.
		writePersonLanding(t, lake, "r4.parquet", []landedRow{{"k3", "D3", "r4", "f1", nil}})
		ps.Landing = extract.Landing{Files: []string{"r1.parquet", "r2.parquet", "r3.parquet", "r4.parquet"},
			LatestRun: map[string]string{"f1": "r4", "f2": "r2", "f3": "r3"}}
		got, use = readAll(t, lake, ps)
		if byFile == (use.From != "") || (byFile && !strings.Contains(use.Why, "landed again")) {
			t.Errorf("byFile=%v: after f1 landed again the read used %+v", byFile, use)
		}
		full.Landing = ps.Landing
		want, _ = readAll(t, lake, full)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("byFile=%v: after f1 landed again\n%+v\nwant\n%+v", byFile, got, want)
		}
	}
}

// TestSnapshotOnlyForManyFiles: a source whose current records are all in
// one file (a GP extract sent whole every night) gets no snapshot, which
// would only copy it.
func TestSnapshotOnlyForManyFiles(t *testing.T) {
	lake := t.TempDir()
	writePersonLanding(t, lake, "r1.parquet", []landedRow{{"k1", "A1", "r1", "f1", nil}})
	writePersonLanding(t, lake, "r2.parquet", []landedRow{{"k1", "B1", "r2", "f1", nil}, {"k2", "B2", "r2", "f1", nil}})
	ps := PersonSource{Source: "gp", System: "gp", Entity: "patients", ByFile: true, SnapshotRun: "i2",
		Landing: extract.Landing{Files: []string{"r1.parquet", "r2.parquet"}, LatestRun: map[string]string{"f1": "r2"}}}
	got, use := readAll(t, lake, ps)
	if use.Wrote || len(got) != 2 {
		t.Fatalf("read %d records, %+v: want 2 and no snapshot", len(got), use)
	}
	if _, err := os.Stat(filepath.Join(lake, SnapshotFile("i2", "gp"))); err == nil {
		t.Error("a snapshot file was written")
	}
}
