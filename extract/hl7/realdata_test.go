package hl7

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// realdataDir holds public sample messages (MIT licence, see ../LICENSE)
// with a MANIFEST.tsv describing each file.
var realdataDir = filepath.Join("..", "..", "..", "shared", "realdata", "hl7v2", "messages")

// realdataFiles lists the sample files; the test fails, not skips, when the
// directory is missing.
func realdataFiles(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(realdataDir)
	if err != nil {
		t.Fatalf("real HL7 samples: %v", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		t.Fatalf("no files in %s", realdataDir)
	}
	return files
}

// TestRealdata extracts every sample file, one run per file, and then all
// of them in one run, and checks the totals observed when this connector
// was written, so that a change in what lands shows up here.
func TestRealdata(t *testing.T) {
	files := realdataFiles(t)
	for _, f := range files {
		src, err := New(realdataDir, []string{f})
		if err != nil {
			t.Fatal(err)
		}
		_, sm := landed(t, src)
		for _, e := range sm.Entities {
			if e.Read != e.Landed+e.Rejected {
				t.Errorf("%s %s: read %d != landed %d + rejected %d", f, e.Entity, e.Read, e.Landed, e.Rejected)
			}
		}
		if m := entityStats(sm, "messages"); m.Read < 1 {
			t.Errorf("%s: read %d messages", f, m.Read)
		}
	}

	src, err := New(realdataDir, []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	_, sm := landed(t, src)
	if len(sm.Inputs) != len(files) {
		t.Errorf("%d inputs, %d files", len(sm.Inputs), len(files))
	}
	want := map[string][3]int64{ // read, landed, rejected
		"messages":     {139, 64, 75},
		"patients":     {67, 67, 0},
		"encounters":   {57, 57, 0},
		"merges":       {3, 3, 0},
		"observations": {54, 54, 0},
	}
	for _, e := range sm.Entities {
		got := [3]int64{e.Read, e.Landed, e.Rejected}
		if got != want[e.Entity] {
			t.Errorf("%s: read/landed/rejected %v, want %v (%v)", e.Entity, got, want[e.Entity], e.RejectsByReason)
		}
	}
	if n := entityStats(sm, "messages").RejectsByReason[ReasonUnsupported]; n != 75 {
		t.Errorf("unsupported messages %d, want 75", n)
	}
}

// TestRealdataManifest checks that what the parser reads from each file
// agrees with MANIFEST.tsv: message count, MSH-9 and MSH-12.
func TestRealdataManifest(t *testing.T) {
	realdataFiles(t)
	f, err := os.Open(filepath.Join(realdataDir, "..", "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) < 5 {
			t.Fatalf("MANIFEST line %q", sc.Text())
		}
		n++
		file, wantCount, wantType, wantVersion := col[0], col[2], col[3], col[4]
		data, err := os.ReadFile(filepath.Join(realdataDir, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		sp := splitter{data: data}
		count := 0
		for {
			raw, segs, ok := sp.next()
			if !ok {
				break
			}
			count++
			m, err := Parse(raw, segs)
			if err != nil {
				t.Errorf("%s message %d: %v", file, count, err)
				continue
			}
			msh := m.Segments[0]
			if got := msh.Field(9).Render(); got != wantType {
				t.Errorf("%s: MSH-9 %q, manifest %q", file, got, wantType)
			}
			if got := msh.Field(12).String(); got != wantVersion {
				t.Errorf("%s: MSH-12 %q, manifest %q", file, got, wantVersion)
			}
		}
		if strconv.Itoa(count) != wantCount {
			t.Errorf("%s: %d messages, manifest %s", file, count, wantCount)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if files := realdataFiles(t); n != len(files) {
		t.Errorf("manifest lists %d files, directory holds %d", n, len(files))
	}
}
