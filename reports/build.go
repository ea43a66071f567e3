package reports

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"gonum.org/v1/plot/vg/draw"
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
	// ChangeAvg and DirectionAvg compare with the mean of up to 12 months
	// before; empty when the mart holds none.
	ChangeAvg    string
	DirectionAvg string
}

// chart is one rendered chart.
type chart struct {
	Name    string            // file name without extension
	Title   string            // heading above the chart
	Summary string            // one line in words, for readers who cannot see it
	SVG     []byte            // the standalone file
	Inline  template.HTML     // the same drawing for inlining in the HTML
	draw    func(draw.Canvas) // the drawing, to render again for the PDF
}

// attentionItem is one flag on one organisation, in words.
type attentionItem struct {
	Org    string
	Flag   string
	Detail string
}

// page is everything the HTML template shows.
type page struct {
	Title          string
	Region         string
	Month          string
	PrevMonth      string
	Headline       []figure
	Charts         []chart
	TrendNote      string
	Trend          tableView
	Uptake         tableView
	Attention      []attentionItem
	AvgLabel       string // "the 12-month average"; empty without history
	Disclosure     bool   // disclosure control on
	DisclosureNote string
	OrgTypes       tableView
	Usage          []usageBlock
	Referrals      referralSection
	Quality        qualitySection
	PoorUptake     string // threshold as a percentage
	Decline        string // threshold as a percentage
	MinLive        int
	Window         int
	Generated      string
	SourceNames    []string
}

// usageBlock is one "how the record is used" breakdown.
type usageBlock struct {
	Title string
	Note  string
	Table tableView
	Chart *chart
}

// report is the built report before it is written.
type report struct {
	page   page
	tables []*table
	charts []chart
}

// headlineTable builds the headline figures for cur against prev (nil when
// the mart has no previous month) and against the mean of the months before
// cur in trend (up to 12).
func headlineTable(cur regionMonth, prev *regionMonth, trend []regionMonth) (*table, []figure, string) {
	var before []regionMonth
	for _, r := range trend {
		if r.Month.Before(cur.Month) {
			before = append(before, r)
		}
	}
	avgLabel := ""
	if len(before) > 0 {
		avgLabel = fmt.Sprintf("the %d-month average", len(before))
		if len(before) == 1 {
			avgLabel = "the month before"
		}
	}
	t := &table{
		Name:    "headline",
		Caption: "Headline figures",
		Columns: []column{
			{Head: "Measure", CSV: "measure"},
			{Head: monthLabel(cur.Month), CSV: "value", Num: true},
			{Head: "Previous month", CSV: "previous_month_value", Num: true},
			{Head: "Change", CSV: "change", Num: true},
			{CSV: "change_share", Num: true},
			{Head: "Average of previous 12 months", CSV: "previous_12_month_average", Num: true},
			{Head: "Change on average", CSV: "change_on_average", Num: true},
			{CSV: "change_on_average_share", Num: true},
			{CSV: "months_averaged", Num: true},
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
		cells := []cell{{Text: m.label, Raw: m.label}, {Text: fmtInt(v), Raw: rawInt(v)}, {Text: "–"}, {Text: "–"}, {},
			{Text: "–"}, {Text: "–"}, {}, {Raw: rawInt(int64(len(before)))}}
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
			f.Direction = direction(float64(d))
		}
		if len(before) > 0 {
			var sum int64
			for _, r := range before {
				sum += m.get(r)
			}
			avg := float64(sum) / float64(len(before))
			d := float64(v) - avg
			f.ChangeAvg = signedDec(d)
			cells[5] = cell{Text: fmtDec(avg), Raw: rawFloat(avg, 1)}
			cells[6] = cell{Text: signedDec(d), Raw: rawFloat(d, 1)}
			if avg != 0 {
				share := d / avg
				f.ChangeAvg += " (" + fmtSignedPct(share) + ")"
				cells[6].Text = f.ChangeAvg
				cells[7] = cell{Raw: rawFloat(share, 3)}
			}
			f.DirectionAvg = direction(d)
		}
		figs = append(figs, f)
		t.Rows = append(t.Rows, row{Cells: cells})
	}
	return t, figs, avgLabel
}

// direction names the sign of a change for the headline cards.
func direction(d float64) string {
	switch {
	case d > 0:
		return "up"
	case d < 0:
		return "down"
	}
	return "flat"
}

// signedDec formats x with a sign, thousands separators and one decimal.
func signedDec(x float64) string {
	s := fmtDec(x)
	if x > 0 && s != "0.0" {
		return "+" + s
	}
	if s == "−0.0" {
		return "0.0"
	}
	return s
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
		Caption: r.disclose.caption("Uptake by partner organisation, " + monthLabel(month)),
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
		Caption: r.disclose.caption("Organisations needing attention, " + monthLabel(month)),
		Columns: []column{
			{CSV: "org_code"}, {CSV: "org_name"}, {CSV: "org_type"}, {CSV: "flag"},
			{CSV: "months_live"}, {CSV: "authorised_users"}, {CSV: "active_users"},
			{CSV: "uptake_rate"}, {CSV: "uptake_threshold"},
			{CSV: "previous_mean_records_viewed"}, {CSV: "recent_mean_records_viewed"},
			{CSV: "change_share"}, {CSV: "decline_threshold"},
			{CSV: "detail"},
		},
	}
	d := r.disclose
	var items []attentionItem
	var tAuth, tActive, tViewed int64
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
		tAuth, tActive, tViewed = tAuth+o.Authorised, tActive+o.Active, tViewed+o.Viewed
		rate := d.share(o.Active, o.Authorised)
		vpa := d.mean(float64(o.Viewed), o.Active, true)
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
			d.count(o.Authorised),
			d.count(o.Active),
			rate,
			d.count(o.Viewed),
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
				c[4], c[5], c[6] = live, d.count(o.Authorised), d.count(o.Active)
				c[8] = cell{Raw: rawFloat(r.poorUptakeRate, 3)}
				switch {
				case !a.HasUptake:
					detail = fmt.Sprintf("No authorised users after %s months live.", fmtInt(int64(a.MonthsLive)))
				case rate.Raw == withheld:
					c[7] = rate
					detail = fmt.Sprintf("Fewer than %s of authorised users active (figures withheld: small numbers); live %s months.",
						fmtPct(r.poorUptakeRate), fmtInt(int64(a.MonthsLive)))
				default:
					c[7] = rate
					detail = fmt.Sprintf("%s of authorised users active (%s of %s), below %s; live %s months.",
						fmtPct(a.UptakeRate), d.count(o.Active).Text, d.count(o.Authorised).Text, fmtPct(r.poorUptakeRate), fmtInt(int64(a.MonthsLive)))
				}
			case flagDeclining:
				// Means over the window from its rounded total; the
				// change withheld when either total is suppressed.
				h := o.History[len(o.History)-2*declineWindow:]
				var prevSum, recentSum int64
				for i, v := range h {
					if i < declineWindow {
						prevSum += v
					} else {
						recentSum += v
					}
				}
				meanOf := func(sum int64) cell {
					x := float64(d.round(sum)) / declineWindow
					return cell{Text: fmtDec(x), Raw: rawFloat(x, 1)}
				}
				prevMean, recentMean := meanOf(prevSum), meanOf(recentSum)
				if d.suppressed(prevSum) {
					prevMean = cell{Text: withheld, Raw: withheld}
				}
				if d.suppressed(recentSum) {
					recentMean = cell{Text: withheld, Raw: withheld}
				}
				change := cell{Text: fmtPct(-a.Change), Raw: rawFloat(a.Change, 3)}
				if d.suppressed(prevSum) || d.suppressed(recentSum) {
					change = cell{Text: withheld, Raw: withheld}
				}
				c[9], c[10], c[11] = cell{Raw: prevMean.Raw}, cell{Raw: recentMean.Raw}, cell{Raw: change.Raw}
				c[12] = cell{Raw: rawFloat(r.declineShare, 3)}
				detail = fmt.Sprintf("Records viewed averaged %s a month over %s, down %s from %s a month over %s.",
					recentMean.Text, monthRange(recentFrom, month),
					change.Text, prevMean.Text, monthRange(prevFrom, prevTo))
			}
			c[13] = cell{Raw: detail}
			att.Rows = append(att.Rows, row{Cells: c})
			items = append(items, attentionItem{Org: org, Flag: string(f), Detail: detail})
		}
	}
	if len(orgs) > 0 {
		up.Rows = append(up.Rows, row{Class: "total", Cells: []cell{
			{Text: "All organisations"}, {Raw: "ALL"}, {Raw: "All organisations"}, {}, {}, {},
			d.count(tAuth), d.count(tActive), d.share(tActive, tAuth), d.count(tViewed), d.mean(float64(tViewed), tActive, true), {},
		}})
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
