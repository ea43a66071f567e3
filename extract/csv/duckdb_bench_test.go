//go:build duckdbbench

// This benchmark links DuckDB (cgo), which extract/ otherwise avoids, so it
// builds only with the duckdbbench tag:
//
//	SHAREDCARE_CSV_BENCH=/path/to/gp/patients.csv \
//	  go test -tags duckdbbench -run '^$' -bench VsDuckDB -benchtime 1x ./extract/csv/
package csv_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/csv"
)

// BenchmarkVsDuckDB lands the file named by SHAREDCARE_CSV_BENCH through the
// connector and through DuckDB's read_csv → COPY TO parquet, alternately,
// SHAREDCARE_CSV_ROUNDS times (default 5), and reports both medians and their
// ratio. The file must have the GP patients columns.
func BenchmarkVsDuckDB(b *testing.B) {
	path, _ := benchFile(b)
	rounds := 5
	if n := os.Getenv("SHAREDCARE_CSV_ROUNDS"); n != "" {
		var err error
		if rounds, err = strconv.Atoi(n); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	for b.Loop() {
		var ours, duck, oursCPU, duckCPU []float64
		for i := 0; i < rounds; i++ {
			dir := b.TempDir()
			src, err := csv.New(filepath.Dir(path), gpPatients(filepath.Base(path)), time.UTC)
			if err != nil {
				b.Fatal(err)
			}
			t0, c0 := time.Now(), csv.CPUSeconds()
			run, err := extract.NewRun(filepath.Join(dir, "lake"), time.Now(), nil)
			if err != nil {
				b.Fatal(err)
			}
			sm, err := run.Land(ctx, "gp", "csv", src)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := run.Commit(time.Now()); err != nil {
				b.Fatal(err)
			}
			ours = append(ours, time.Since(t0).Seconds())
			oursCPU = append(oursCPU, csv.CPUSeconds()-c0)
			if i == 0 {
				e := sm.Entities[0]
				b.Logf("read %d landed %d rejected %d", e.Read, e.Landed, e.Rejected)
			}

			t0, c0 = time.Now(), csv.CPUSeconds()
			if _, err := db.ExecContext(ctx, "COPY (SELECT * FROM read_csv("+quote(path)+", header = true, all_varchar = true)) TO "+quote(filepath.Join(dir, "duck.parquet"))+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
				b.Fatal(err)
			}
			duck = append(duck, time.Since(t0).Seconds())
			duckCPU = append(duckCPU, csv.CPUSeconds()-c0)
			os.RemoveAll(dir)
		}
		mo, md := median(ours), median(duck)
		ratios := make([]float64, len(ours))
		for i := range ours {
			ratios[i] = ours[i] / duck[i]
		}
		b.Logf("ours %.2f s, duckdb %.2f s (medians of %d); ratio of medians %.2f, median of paired ratios %.2f; ours %v duck %v", mo, md, rounds, mo/md, median(ratios), ours, duck)
		b.Logf("CPU: ours %.2f s, duckdb %.2f s (medians), ratio %.2f", median(oursCPU), median(duckCPU), median(oursCPU)/median(duckCPU))
		b.ReportMetric(mo, "ours-s")
		b.ReportMetric(md, "duckdb-s")
		b.ReportMetric(mo/md, "ratio")
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
