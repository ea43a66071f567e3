package reports

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// A table is shown in the HTML and written as CSV from the same cells, so
// both carry the same figures: Text is the display form, Raw the CSV form.
type table struct {
	Name    string // CSV file name without extension
	Caption string
	Columns []column
	Rows    []row
}

type column struct {
	Head string // HTML heading; empty for a CSV-only column
	CSV  string // CSV heading; empty for an HTML-only column
	Num  bool   // figures: right-aligned in HTML
}

type row struct {
	Cells []cell
	Class string // CSS class of the HTML row
}

type cell struct {
	Text  string // HTML display text
	Raw   string // CSV value
	Class string // CSS class of the HTML cell
}

// tableView is a table as the template sees it: HTML columns only.
type tableView struct {
	Caption string
	Columns []column
	Rows    []row
}

func (t *table) view() tableView {
	v := tableView{Caption: t.Caption}
	var keep []int
	for i, c := range t.Columns {
		if c.Head != "" {
			keep = append(keep, i)
			v.Columns = append(v.Columns, c)
		}
	}
	for _, r := range t.Rows {
		vr := row{Class: r.Class}
		for _, i := range keep {
			c := r.Cells[i]
			if t.Columns[i].Num {
				c.Class = strings.TrimSpace(c.Class + " num")
			}
			vr.Cells = append(vr.Cells, c)
		}
		v.Rows = append(v.Rows, vr)
	}
	return v
}

// figure is one headline number with its change on the month before.
type figure struct {
	Label     string
	Value     string
	Change    string // "+120 (+5.2%)"; empty without a previous month
	Direction string // "up", "down", "flat" or "" without a previous month
}

// chart is one rendered chart.
type chart struct {
	Name    string        // file name without extension
	Title   string        // heading above the chart
	Summary string        // one line in words, for readers who cannot see it
	SVG     []byte        // the standalone file
	Inline  template.HTML // the same drawing for inlining in the HTML
}

// attentionItem is one flag on one organisation, in words.
type attentionItem struct {
	Org    string
	Flag   string
	Detail string
}

// page is everything the HTML template shows.
type page struct {
	Title       string
	Region      string
	Month       string
	PrevMonth   string
	Headline    []figure
	Charts      []chart
	TrendNote   string
	Trend       tableView
	Uptake      tableView
	Attention   []attentionItem
	PoorUptake  string // threshold as a percentage
	Decline     string // threshold as a percentage
	MinLive     int
	Window      int
	Generated   string
	SourceNames []string
}

// report is the built report before it is written.
type report struct {
	page   page
	tables []*table
	charts []chart
}

// headlineTable builds the headline figures for cur against prev (nil when
// the mart has no previous month).
func headlineTable(cur regionMonth, prev *regionMonth) (*table, []figure) {
	t := &table{
		Name:    "headline",
		Caption: "Headline figures",
		Columns: []column{
			{Head: "Measure", CSV: "measure"},
			{Head: monthLabel(cur.Month), CSV: "value", Num: true},
			{Head: "Previous month", CSV: "previous_month_value", Num: true},
			{Head: "Change", CSV: "change", Num: true},
			{CSV: "change_share", Num: true},
		},
	}
	measures := []struct {
		label string
		get   func(regionMonth) int64
	}{
		{"Authorised users", func(r regionMonth) int64 { return r.Authorised }},
		{"Active users", func(r regionMonth) int64 { return r.Active }},
		{"Records viewed", func(r regionMonth) int64 { return r.Viewed }},
		{"Patients viewed", func(r regionMonth) int64 { return r.Patients }},
		{"Organisations live", func(r regionMonth) int64 { return r.OrgsLive }},
	}
	var figs []figure
	for _, m := range measures {
		v := m.get(cur)
		f := figure{Label: m.label, Value: fmtInt(v)}
		cells := []cell{{Text: m.label, Raw: m.label}, {Text: fmtInt(v), Raw: rawInt(v)}, {Text: "–"}, {Text: "–"}, {}}
		if prev != nil {
			p := m.get(*prev)
			d := v - p
			f.Change = fmtSigned(d)
			cells[2] = cell{Text: fmtInt(p), Raw: rawInt(p)}
			cells[3] = cell{Text: fmtSigned(d), Raw: rawInt(d)}
			if p != 0 {
				share := float64(d) / float64(p)
				f.Change += " (" + fmtSignedPct(share) + ")"
				cells[3].Text = f.Change
				cells[4] = cell{Raw: rawFloat(share, 3)}
			}
			switch {
			case d > 0:
				f.Direction = "up"
			case d < 0:
				f.Direction = "down"
			default:
				f.Direction = "flat"
			}
		}
		figs = append(figs, f)
		t.Rows = append(t.Rows, row{Cells: cells})
	}
	return t, figs
}

// trendTable lists the region's figures for each month in the window.
func trendTable(trend []regionMonth) *table {
	t := &table{
		Name:    "trend",
		Caption: "Region figures by month",
		Columns: []column{
			{Head: "Month", CSV: "month"},
			{Head: "Authorised users", CSV: "authorised_users", Num: true},
			{Head: "Active users", CSV: "active_users", Num: true},
			{Head: "Records viewed", CSV: "records_viewed", Num: true},
			{Head: "Patients viewed", CSV: "patients_viewed", Num: true},
			{Head: "Organisations live", CSV: "organisations_live", Num: true},
		},
	}
	for _, r := range trend {
		c := []cell{{Text: r.Month.Format("Jan 2006"), Raw: r.Month.Format(time.DateOnly)}}
		for _, v := range []int64{r.Authorised, r.Active, r.Viewed, r.Patients, r.OrgsLive} {
			c = append(c, cell{Text: fmtInt(v), Raw: rawInt(v)})
		}
		t.Rows = append(t.Rows, row{Cells: c})
	}
	return t
}

// uptakeTables builds the uptake by organisation table and the list of
// organisations needing attention, with its CSV.
func uptakeTables(orgs []orgUsage, month time.Time, r rules) (*table, *table, []attentionItem) {
	up := &table{
		Name:    "uptake",
		Caption: "Uptake by partner organisation, " + monthLabel(month),
		Columns: []column{
			{Head: "Organisation"},
			{CSV: "org_code"},
			{CSV: "org_name"},
			{Head: "Type", CSV: "org_type"},
			{CSV: "go_live_date"},
			{Head: "Months live", CSV: "months_live", Num: true},
			{Head: "Authorised users", CSV: "authorised_users", Num: true},
			{Head: "Active users", CSV: "active_users", Num: true},
			{Head: "Uptake rate", CSV: "uptake_rate", Num: true},
			{Head: "Records viewed", CSV: "records_viewed", Num: true},
			{Head: "Views per active user", CSV: "views_per_active_user", Num: true},
			{Head: "Flags", CSV: "flags"},
		},
	}
	att := &table{
		Name:    "needs_attention",
		Caption: "Organisations needing attention, " + monthLabel(month),
		Columns: []column{
			{CSV: "org_code"}, {CSV: "org_name"}, {CSV: "org_type"}, {CSV: "flag"},
			{CSV: "months_live"}, {CSV: "authorised_users"}, {CSV: "active_users"},
			{CSV: "uptake_rate"}, {CSV: "uptake_threshold"},
			{CSV: "previous_mean_records_viewed"}, {CSV: "recent_mean_records_viewed"},
			{CSV: "change_share"}, {CSV: "decline_threshold"},
			{CSV: "detail"},
		},
	}
	var items []attentionItem
	recentFrom := month.AddDate(0, 1-declineWindow, 0)
	prevFrom := month.AddDate(0, 1-2*declineWindow, 0)
	prevTo := month.AddDate(0, -declineWindow, 0)

	for _, o := range orgs {
		a := assess(o, month, r)
		org := o.Name + " (" + o.Code + ")"

		live := cell{Text: "not live", Raw: ""}
		goLive := ""
		if !o.GoLive.IsZero() {
			goLive = o.GoLive.Format(time.DateOnly)
		}
		if a.Live {
			live = cell{Text: fmtInt(int64(a.MonthsLive)), Raw: rawInt(int64(a.MonthsLive))}
		}
		rate := cell{Text: "–"}
		if a.HasUptake {
			rate = cell{Text: fmtPct(a.UptakeRate), Raw: rawFloat(a.UptakeRate, 3)}
		}
		vpa := cell{Text: "–"}
		if a.HasViewsPerActive {
			vpa = cell{Text: fmtDec(a.ViewsPerActive), Raw: rawFloat(a.ViewsPerActive, 1)}
		}
		var names []string
		for _, f := range a.Flags {
			names = append(names, string(f))
		}
		flags := cell{Text: strings.Join(names, ", "), Raw: strings.Join(names, ";")}
		rw := row{Cells: []cell{
			{Text: org},
			{Raw: o.Code},
			{Raw: o.Name},
			{Text: o.Type, Raw: o.Type},
			{Raw: goLive},
			live,
			{Text: fmtInt(o.Authorised), Raw: rawInt(o.Authorised)},
			{Text: fmtInt(o.Active), Raw: rawInt(o.Active)},
			rate,
			{Text: fmtInt(o.Viewed), Raw: rawInt(o.Viewed)},
			vpa,
			flags,
		}}
		if len(a.Flags) > 0 {
			rw.Class = "flagged"
		}
		up.Rows = append(up.Rows, rw)

		for _, f := range a.Flags {
			var detail string
			c := make([]cell, len(att.Columns))
			c[0], c[1], c[2], c[3] = cell{Raw: o.Code}, cell{Raw: o.Name}, cell{Raw: o.Type}, cell{Raw: string(f)}
			switch f {
			case flagPoorUptake:
				c[4], c[5], c[6] = live, cell{Raw: rawInt(o.Authorised)}, cell{Raw: rawInt(o.Active)}
				c[8] = cell{Raw: rawFloat(r.poorUptakeRate, 3)}
				if a.HasUptake {
					c[7] = rate
					detail = fmt.Sprintf("%s of authorised users active (%s of %s), below %s; live %s months.",
						fmtPct(a.UptakeRate), fmtInt(o.Active), fmtInt(o.Authorised), fmtPct(r.poorUptakeRate), fmtInt(int64(a.MonthsLive)))
				} else {
					detail = fmt.Sprintf("No authorised users after %s months live.", fmtInt(int64(a.MonthsLive)))
				}
			case flagDeclining:
				c[9] = cell{Raw: rawFloat(a.PreviousMean, 1)}
				c[10] = cell{Raw: rawFloat(a.RecentMean, 1)}
				c[11] = cell{Raw: rawFloat(a.Change, 3)}
				c[12] = cell{Raw: rawFloat(r.declineShare, 3)}
				detail = fmt.Sprintf("Records viewed averaged %s a month over %s, down %s from %s a month over %s.",
					fmtDec(a.RecentMean), monthRange(recentFrom, month),
					fmtPct(-a.Change), fmtDec(a.PreviousMean), monthRange(prevFrom, prevTo))
			}
			c[13] = cell{Raw: detail}
			att.Rows = append(att.Rows, row{Cells: c})
			items = append(items, attentionItem{Org: org, Flag: string(f), Detail: detail})
		}
	}
	return up, att, items
}

// monthRange formats an inclusive range of months: "Feb–Apr 2025" or
// "Nov 2024–Jan 2025".
func monthRange(from, to time.Time) string {
	if from.Year() == to.Year() {
		return from.Format("Jan") + "–" + to.Format("Jan 2006")
	}
	return from.Format("Jan 2006") + "–" + to.Format("Jan 2006")
}
