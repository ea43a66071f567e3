package csv_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/csv"
)

// BenchmarkExtract lands a GP-patients-like file of 100,000 rows and reports
// MB/s (b.SetBytes) and records/s.
func BenchmarkExtract(b *testing.B) {
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode,last_updated\n")
	const rows = 100_000
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&sb, "P%05d,%d,943 476 5919,Mary,O'Brien-%d,%02d/%02d/19%02d,BS1 %dDJ,2026-01-02T03:04:05\n", i%90, i, i%977, i%28+1, i%12+1, i%100, i%10)
	}
	if err := os.WriteFile(filepath.Join(dir, "patients.csv"), []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	ents := []csv.Entity{{Entity: "patients", Files: []string{"patients.csv"}, Columns: []csv.Column{
		{Name: "practice_code", Type: extract.String, Required: true},
		{Name: "patient_id", Type: extract.String, Required: true},
		{Name: "nhs_number", Type: extract.String},
		{Name: "given_name", Type: extract.String},
		{Name: "family_name", Type: extract.String},
		{Name: "date_of_birth", Type: extract.Date, Format: "02/01/2006"},
		{Name: "postcode", Type: extract.String},
		{Name: "last_updated", Type: extract.Timestamp, Format: "2006-01-02T15:04:05"},
	}}}
	b.SetBytes(int64(sb.Len()))
	b.ResetTimer()
	for b.Loop() {
		landCSV(b, dir, ents)
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "records/s")
}

// gpPatients is the mapping the synthetic region's configuration gives the
// GP patients extract.
func gpPatients(file string) []csv.Entity {
	s := func(n string, req bool) csv.Column { return csv.Column{Name: n, Type: extract.String, Required: req} }
	d := func(n string) csv.Column { return csv.Column{Name: n, Type: extract.Date, Format: "02/01/2006"} }
	return []csv.Entity{{Entity: "patients", Files: []string{file}, Columns: []csv.Column{
		s("practice_code", true), s("patient_id", true), s("nhs_number", false), s("title", false),
		s("given_name", false), s("middle_names", false), s("family_name", false), d("date_of_birth"),
		s("sex", false), s("address_line_1", false), s("address_line_2", false), s("town", false),
		s("postcode", false), s("phone", false), d("registration_date"),
		{Name: "last_updated", Type: extract.Timestamp, Format: "2006-01-02T15:04:05"},
	}}}
}

// benchFile is the file SHAREDCARE_CSV_BENCH names and its size; the
// benchmark is skipped when it names none.
func benchFile(b *testing.B) (string, int64) {
	path := os.Getenv("SHAREDCARE_CSV_BENCH")
	if path == "" {
		b.Skip("SHAREDCARE_CSV_BENCH names no file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, fi.Size()
}

// BenchmarkExtractFile lands the GP-patients-shaped file named by
// SHAREDCARE_CSV_BENCH (for profiling the connector on real volumes).
func BenchmarkExtractFile(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	c0, n := csv.CPUSeconds(), 0
	for b.Loop() {
		n++
		landCSV(b, filepath.Dir(path), gpPatients(filepath.Base(path)))
	}
	b.ReportMetric((csv.CPUSeconds()-c0)/float64(n), "cpu-s/op")
}

// landCSV lands the files ents map under dir as source gp of a new run.
func landCSV(b *testing.B, dir string, ents []csv.Entity) {
	b.Helper()
	src, err := csv.New(dir, ents, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	run, err := extract.NewRun(b.TempDir(), time.Now(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := run.Land(context.Background(), "gp", "csv", src); err != nil {
		b.Fatal(err)
	}
}
