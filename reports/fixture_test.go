package reports_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// The fixture: five partner organisations over January 2024 to April 2025,
// built so that in April 2025 exactly one has poor uptake (GP1) and exactly
// one is declining (MH1). CS1 has poor uptake too but has been live under 3
// months; SC1 has never gone live.

var (
	fixtureFirst  = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	fixtureMonths = 16 // January 2024 to April 2025
	reportMonth   = time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)
)

type fixtureOrg struct {
	code, name, typ string
	goLive          time.Time // zero: never live
	// figures for month index i (0 = January 2024)
	usage func(i int) (authorised, active, viewed, patients int64)
}

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

var fixtureOrgs = []fixtureOrg{
	{"RA1", "Avon Acute Hospitals NHS Trust", "acute", d(2023, time.January, 1), func(i int) (int64, int64, int64, int64) {
		return 500 + int64(i)*10, 300 + int64(i)*5, 2000 + int64(i)*100, 1500 + int64(i)*60
	}},
	{"GP1", "St Mary's & St John's Surgery", "gp", d(2023, time.June, 15), func(i int) (int64, int64, int64, int64) {
		return 40, 5, 50, 45 // 12.5% uptake: poor
	}},
	{"MH1", "Severn Mental Health <Partnership>", "mental_health", d(2023, time.March, 1), func(i int) (int64, int64, int64, int64) {
		if i >= 13 { // February 2025 onwards: views fall by 40%
			return 200, 120, 600, 400
		}
		return 200, 120, 1000, 700
	}},
	{"CS1", "Community Services CIC", "community", d(2025, time.February, 10), func(i int) (int64, int64, int64, int64) {
		if i < 13 {
			return 0, 0, 0, 0
		}
		return 100, int64(i - 12), int64(i-12) * 3, int64(i - 12) // low uptake, but new
	}},
	{"SC1", "County Council Adult Social Care", "social_care", time.Time{}, func(i int) (int64, int64, int64, int64) {
		return 0, 0, 0, 0
	}},
}

const fixtureSchema = `
CREATE SCHEMA marts;
CREATE TABLE marts.usage_monthly (
    month DATE, org_code VARCHAR, org_name VARCHAR, org_type VARCHAR,
    go_live_date DATE,
    authorised_users BIGINT, active_users BIGINT, records_viewed BIGINT, patients_viewed BIGINT
);
CREATE TABLE marts.usage_monthly_region (
    month DATE, authorised_users BIGINT, active_users BIGINT, records_viewed BIGINT,
    patients_viewed BIGINT, organisations_live BIGINT
);`

// fixtureRegion derives the region rows from the organisation rows; the
// distinct patient count is below the sum, as patients are seen by several.
const fixtureRegion = `
INSERT INTO marts.usage_monthly_region
SELECT month, sum(authorised_users), sum(active_users), sum(records_viewed),
       CAST(sum(patients_viewed) * 9 / 10 AS BIGINT),
       count(*) FILTER (WHERE go_live_date < month + INTERVAL 1 MONTH)
FROM marts.usage_monthly GROUP BY month`

// openFixture opens an in-memory DuckDB holding the fixture marts.
func openFixture(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one in-memory database, not one per connection
	if _, err := db.ExecContext(ctx, fixtureSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating fixture schema: %w", err)
	}
	for i := range fixtureMonths {
		m := fixtureFirst.AddDate(0, i, 0)
		for _, o := range fixtureOrgs {
			a, act, v, p := o.usage(i)
			var goLive any
			if !o.goLive.IsZero() {
				goLive = o.goLive.Format(time.DateOnly)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO marts.usage_monthly VALUES (CAST(? AS DATE), ?, ?, ?, CAST(? AS DATE), ?, ?, ?, ?)`,
				m.Format(time.DateOnly), o.code, o.name, o.typ, goLive, a, act, v, p); err != nil {
				db.Close()
				return nil, fmt.Errorf("loading fixture row: %w", err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, fixtureRegion); err != nil {
		db.Close()
		return nil, fmt.Errorf("loading fixture region rows: %w", err)
	}
	return db, nil
}
