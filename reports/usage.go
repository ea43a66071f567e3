package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// typeMonth is one row of marts.usage_by_org_type.
type typeMonth struct {
	Month   time.Time
	OrgType string
	Viewed  int64
}

// loadOrgTypes returns records viewed by organisation type over the months
// from..to inclusive.
func loadOrgTypes(ctx context.Context, db *sql.DB, from, to time.Time) ([]typeMonth, error) {
	const name = "board_org_type"
	rows, err := query(ctx, db, name, dateParam(from), dateParam(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []typeMonth
	for rows.Next() {
		var r typeMonth
		if err := rows.Scan(&r.Month, &r.OrgType, &r.Viewed); err != nil {
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

// category is one role, section or reason with its record views in the
// report month and the month before.
type category struct {
	Name           string
	Viewed, Before int64
}

// loadCategories runs one of the board_usage_by_* queries.
func loadCategories(ctx context.Context, db *sql.DB, dim string, month time.Time) ([]category, error) {
	name := "board_usage_by_" + dim
	rows, err := query(ctx, db, name, dateParam(month))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []category
	for rows.Next() {
		var c category
		if err := rows.Scan(&c.Name, &c.Viewed, &c.Before); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", name, len(out)+1, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

// orgTypeTrend builds the table and stacked chart of records viewed by
// organisation type over the window.
func orgTypeTrend(rows []typeMonth, from time.Time, months int, d disclosure) (*table, chart, error) {
	var types []string
	byType := map[string][]int64{}
	for _, r := range rows {
		i := monthsBetween(from, r.Month)
		if i < 0 || i >= months {
			continue
		}
		if _, ok := byType[r.OrgType]; !ok {
			types = append(types, r.OrgType)
			byType[r.OrgType] = make([]int64, months)
		}
		byType[r.OrgType][i] += r.Viewed
	}
	// Largest total first, at the bottom of the stack.
	total := func(t string) (n int64) {
		for _, v := range byType[t] {
			n += v
		}
		return n
	}
	slices.SortStableFunc(types, func(a, b string) int {
		if ta, tb := total(a), total(b); ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})

	t := &table{
		Name:    "records_viewed_by_org_type",
		Caption: d.caption("Records viewed by organisation type, by month"),
		Columns: []column{{Head: "Month", CSV: "month"}},
	}
	var ss []series
	for _, ty := range types {
		t.Columns = append(t.Columns, column{Head: ty, CSV: ty, Num: true})
		s := series{Name: ty, Values: make([]float64, months)}
		for i, v := range byType[ty] {
			s.Values[i] = float64(d.published(v))
		}
		ss = append(ss, s)
	}
	t.Columns = append(t.Columns, column{Head: "All types", CSV: "all_types", Num: true})
	for i := range months {
		m := from.AddDate(0, i, 0)
		c := []cell{{Text: m.Format("Jan 2006"), Raw: m.Format(time.DateOnly)}}
		var sum int64
		any := false
		for _, r := range rows {
			if r.Month.Equal(m) {
				any = true
			}
		}
		if !any {
			continue // months the mart does not hold
		}
		for _, ty := range types {
			v := byType[ty][i]
			sum += v
			c = append(c, d.count(v))
		}
		c = append(c, d.count(sum))
		t.Rows = append(t.Rows, row{Cells: c})
	}
	ch, err := stackedChart("records-viewed-by-org-type", "Records viewed per month by organisation type", "Records viewed",
		from, months, ss)
	if err != nil {
		return nil, chart{}, err
	}
	if len(types) > 0 {
		ch.Summary = fmt.Sprintf("Each bar is one month's records viewed, split by the type of the viewing organisation; %s viewed the most over the period.", types[0])
	}
	return t, ch, nil
}

// categoryTable builds a "how the record is used" table: record views in
// the month by category, their share of all the month's views, and the
// month before.
func categoryTable(name, caption, head string, cats []category, monthViews, prevViews int64, month time.Time, d disclosure, note string) *table {
	t := &table{
		Name:    name,
		Caption: d.caption(caption),
		Columns: []column{
			{Head: head, CSV: strings.ToLower(strings.ReplaceAll(head, " ", "_"))},
			{Head: "Records viewed, " + month.Format("Jan 2006"), CSV: "records_viewed", Num: true},
			{Head: "Share of views" + note, CSV: "share_of_views", Num: true},
			{Head: "Records viewed, " + month.AddDate(0, -1, 0).Format("Jan 2006"), CSV: "previous_month_records_viewed", Num: true},
			{Head: "Share, previous month", CSV: "previous_month_share_of_views", Num: true},
		},
	}
	for _, c := range cats {
		t.Rows = append(t.Rows, row{Cells: []cell{
			{Text: c.Name, Raw: c.Name},
			d.count(c.Viewed), d.share(c.Viewed, monthViews),
			d.count(c.Before), d.share(c.Before, prevViews),
		}})
	}
	return t
}

// categoryChart draws the month's record views by category as bars.
func categoryChart(name, title string, cats []category, d disclosure) (chart, error) {
	var labels []string
	var vals []float64
	for _, c := range cats {
		labels = append(labels, c.Name)
		vals = append(vals, float64(d.published(c.Viewed)))
	}
	ch, err := barChart(name, title, "Records viewed", labels, vals)
	if err != nil {
		return chart{}, err
	}
	if len(cats) > 0 {
		ch.Summary = fmt.Sprintf("%s is the most viewed.", upperFirst(cats[0].Name))
	}
	return ch, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
