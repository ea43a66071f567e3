package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	sqlfiles "github.com/sharedcare/sharedcare/sql"
)

// regionMonth is one row of marts.usage_monthly_region.
type regionMonth struct {
	Month      time.Time
	Authorised int64
	Active     int64
	Viewed     int64
	Patients   int64 // distinct patients across all organisations
	OrgsLive   int64
}

// dateParam formats a month for binding; the queries cast it to DATE, so
// no session time zone can move it to another day.
func dateParam(t time.Time) string { return t.Format(time.DateOnly) }

// query runs the named statement from sql/reports with args bound.
func query(ctx context.Context, db *sql.DB, name string, args ...any) (*sql.Rows, error) {
	text, err := sqlfiles.FS.ReadFile("reports/" + name + ".sql")
	if err != nil {
		return nil, fmt.Errorf("reading query %s: %w", name, err)
	}
	rows, err := db.QueryContext(ctx, string(text), args...)
	if err != nil {
		return nil, fmt.Errorf("running query %s: %w", name, err)
	}
	return rows, nil
}

// loadTrend returns the region's months from..to inclusive that the mart
// holds, oldest first.
func loadTrend(ctx context.Context, db *sql.DB, from, to time.Time) ([]regionMonth, error) {
	const name = "board_trend"
	rows, err := query(ctx, db, name, dateParam(from), dateParam(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []regionMonth
	for rows.Next() {
		var r regionMonth
		if err := rows.Scan(&r.Month, &r.Authorised, &r.Active, &r.Viewed, &r.Patients, &r.OrgsLive); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", name, len(out)+1, err)
		}
		r.Month = firstOfMonth(r.Month)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

// loadOrgs returns every organisation the mart holds for the report month,
// ordered by name then code, with its records viewed over the months from
// the start of the window in History.
func loadOrgs(ctx context.Context, db *sql.DB, from, month time.Time) ([]orgUsage, error) {
	const name = "board_org_usage"
	rows, err := query(ctx, db, name, dateParam(from), dateParam(month))
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	type key = string
	byCode := map[key]*orgUsage{}
	lastMonth := map[key]time.Time{} // month of the last History entry
	n := 0
	for rows.Next() {
		n++
		var (
			m                                    time.Time
			code, orgName, orgType               string
			goLive                               sql.NullTime
			authorised, active, viewed, patients int64
		)
		if err := rows.Scan(&m, &code, &orgName, &orgType, &goLive, &authorised, &active, &viewed, &patients); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", name, n, err)
		}
		m = firstOfMonth(m)
		o := byCode[code]
		if o == nil {
			o = &orgUsage{}
			byCode[code] = o
		}
		// Rows come in month order per organisation; a missing month
		// breaks the run, so the history restarts after it.
		if last, ok := lastMonth[code]; ok && !m.Equal(last.AddDate(0, 1, 0)) {
			o.History = o.History[:0]
		}
		o.History = append(o.History, viewed)
		lastMonth[code] = m
		if m.Equal(month) {
			o.Code, o.Name, o.Type = code, orgName, orgType
			if goLive.Valid {
				o.GoLive = goLive.Time
			}
			o.Authorised, o.Active, o.Viewed, o.Patients = authorised, active, viewed, patients
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}

	var out []orgUsage
	for code, o := range byCode {
		if !lastMonth[code].Equal(month) {
			continue // no row for the report month: not in this report
		}
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b orgUsage) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out, nil
}

// firstOfMonth returns midnight UTC on the first day of t's calendar month,
// taken in t's own location.
func firstOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
