package reports_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sharedcare/sharedcare/reports"
)

func ExampleWrite() {
	ctx := context.Background()
	db, err := openFixture(ctx) // a DuckDB holding the report's marts
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	dir, err := os.MkdirTemp("", "reports")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	res, err := reports.Write(ctx, db, reports.Options{
		Month:       time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC),
		Dir:         dir,
		Region:      "Avon & Severn",
		GeneratedAt: time.Date(2025, time.May, 6, 8, 30, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	rel := func(p string) string { r, _ := filepath.Rel(dir, p); return filepath.ToSlash(r) }
	fmt.Println(rel(res.HTML))
	fmt.Println(rel(res.PDF))
	for _, name := range []string{"headline", "trend", "uptake", "needs_attention", "referrals", "data_quality"} {
		fmt.Println(rel(res.Tables[name]))
	}
	for _, c := range res.Charts {
		fmt.Println(rel(c))
	}

	_, err = reports.Write(ctx, db, reports.Options{Month: time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC), Dir: dir})
	fmt.Println(err)
	// Output:
	// 2025-04/board-report.html
	// 2025-04/board-report.pdf
	// 2025-04/tables/headline.csv
	// 2025-04/tables/trend.csv
	// 2025-04/tables/uptake.csv
	// 2025-04/tables/needs_attention.csv
	// 2025-04/tables/referrals.csv
	// 2025-04/tables/data_quality.csv
	// 2025-04/charts/records-viewed.svg
	// 2025-04/charts/active-users.svg
	// 2025-04/charts/records-viewed-by-org-type.svg
	// 2025-04/charts/records-viewed-by-section.svg
	// 2025-04/charts/records-viewed-by-reason.svg
	// 2025-04/charts/referral-funnel.svg
	// building board report for 2020-01: no row in marts.usage_monthly_region: no usage data for the month
}
