package reports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London for the footer, whatever the host has
)

// ErrNoData means the mart holds no figures, or no activity, for the report
// month. Write then writes nothing: an empty board report would be taken for
// a month of no use.
var ErrNoData = errors.New("no usage data for the month")

// trendMonths is the length of the trend charts: the month and the 12 before.
const trendMonths = 13

// Options say which month to report and where to write it.
type Options struct {
	// Month is any day in the report month, taken in its own location.
	Month time.Time
	// Dir is the reports root; the report goes to Dir/YYYY-MM/.
	Dir string
	// Region names the region in the title.
	Region string
	// GeneratedAt is shown in the footer, in Europe/London time. The
	// caller passes it so that reruns can give identical files.
	GeneratedAt time.Time

	// PoorUptakeRate: an organisation live for 3 complete months or more
	// with active/authorised users below this rate is flagged for poor
	// uptake. Zero means DefaultPoorUptakeRate.
	PoorUptakeRate float64
	// DeclineShare: an organisation whose mean monthly records viewed over
	// the last 3 months (report month included) is below the mean over the
	// 3 months before by at least this share of it is flagged as
	// declining. Zero means DefaultDeclineShare.
	DeclineShare float64

	// DisclosureOff turns disclosure control off (it is on by default) for
	// tables by organisation, organisation type, role, section, reason and
	// referrer: the report then shows and writes unrounded small numbers
	// and says, on its first page, that it is for internal operational use.
	DisclosureOff bool

	// WEMWBSChange and SWEMWBSChange are the smallest rises in a person's
	// wellbeing score counted as a meaningful change. Zero means
	// DefaultWEMWBSChange and DefaultSWEMWBSChange.
	WEMWBSChange  int
	SWEMWBSChange int
}

// Result says where the report was written. Paths are under Options.Dir.
type Result struct {
	Dir    string            // the month directory, Dir/YYYY-MM
	HTML   string            // the board report
	PDF    string            // the board pack
	Tables map[string]string // table name → CSV path
	Charts []string          // SVG paths, in the order shown
}

// Write builds the programme board report for opt.Month from the usage
// marts in db and publishes it under opt.Dir, replacing any earlier report
// for that month. It returns an error wrapping ErrNoData, and writes
// nothing, when the mart holds no figures or no activity for the month.
// Output is a function of the data and opt alone: the same inputs give the
// same bytes. Write only reads db; concurrent calls for the same month and
// Dir must be serialised by the caller.
func Write(ctx context.Context, db *sql.DB, opt Options) (*Result, error) {
	r, err := newRules(opt)
	if err != nil {
		return nil, fmt.Errorf("checking report options: %w", err)
	}
	if opt.Dir == "" {
		return nil, errors.New("checking report options: no reports directory")
	}
	if opt.Month.IsZero() {
		return nil, errors.New("checking report options: no report month")
	}
	month := firstOfMonth(opt.Month)
	name := monthDir(month)

	rep, err := build(ctx, db, month, opt, r)
	if err != nil {
		return nil, fmt.Errorf("building board report for %s: %w", name, err)
	}

	res := &Result{
		Dir:    filepath.Join(opt.Dir, name),
		Tables: map[string]string{},
	}
	var files []outFile
	for _, t := range rep.tables {
		data, err := renderCSV(t)
		if err != nil {
			return nil, fmt.Errorf("building board report for %s: %w", name, err)
		}
		rel := "tables/" + t.Name + ".csv"
		files = append(files, outFile{Rel: rel, Data: data})
		res.Tables[t.Name] = filepath.Join(res.Dir, filepath.FromSlash(rel))
	}
	for _, c := range rep.charts {
		rel := "charts/" + c.Name + ".svg"
		files = append(files, outFile{Rel: rel, Data: c.SVG})
		res.Charts = append(res.Charts, filepath.Join(res.Dir, filepath.FromSlash(rel)))
	}
	html, err := renderHTML(rep.page)
	if err != nil {
		return nil, fmt.Errorf("building board report for %s: %w", name, err)
	}
	files = append(files, outFile{Rel: "board-report.html", Data: html})
	res.HTML = filepath.Join(res.Dir, "board-report.html")
	pdf, err := renderPDF(rep, opt.GeneratedAt)
	if err != nil {
		return nil, fmt.Errorf("building board report for %s: %w", name, err)
	}
	files = append(files, outFile{Rel: "board-report.pdf", Data: pdf})
	res.PDF = filepath.Join(res.Dir, "board-report.pdf")

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := publish(opt.Dir, name, files); err != nil {
		return nil, err
	}
	return res, nil
}

// build loads the month's figures and turns them into tables, charts and
// the page.
func build(ctx context.Context, db *sql.DB, month time.Time, opt Options, r rules) (*report, error) {
	from := month.AddDate(0, 1-trendMonths, 0)
	trend, err := loadTrend(ctx, db, from, month)
	if err != nil {
		return nil, err
	}
	var cur, prev *regionMonth
	for i := range trend {
		switch {
		case trend[i].Month.Equal(month):
			cur = &trend[i]
		case trend[i].Month.Equal(month.AddDate(0, -1, 0)):
			prev = &trend[i]
		}
	}
	if cur == nil {
		return nil, fmt.Errorf("no row in marts.usage_monthly_region: %w", ErrNoData)
	}
	if cur.Active == 0 && cur.Viewed == 0 {
		return nil, fmt.Errorf("no active users and no records viewed: %w", ErrNoData)
	}

	orgs, err := loadOrgs(ctx, db, month.AddDate(0, 1-2*declineWindow, 0), month)
	if err != nil {
		return nil, err
	}

	head, figs, avgLabel := headlineTable(*cur, prev, trend)
	trendTab := trendTable(trend)
	upTab, attTab, items := uptakeTables(orgs, month, r)
	d := r.disclose

	viewsChart, err := trendChart("records-viewed", "Records viewed per month", "Records viewed",
		from, trendMonths, trend, func(r regionMonth) int64 { return r.Viewed })
	if err != nil {
		return nil, err
	}
	viewsChart.Summary = trendSummary("Records viewed", trend, func(r regionMonth) int64 { return r.Viewed })
	activeChart, err := trendChart("active-users", "Active users per month", "Active users",
		from, trendMonths, trend, func(r regionMonth) int64 { return r.Active })
	if err != nil {
		return nil, err
	}
	activeChart.Summary = trendSummary("Active users", trend, func(r regionMonth) int64 { return r.Active })

	types, err := loadOrgTypes(ctx, db, from, month)
	if err != nil {
		return nil, err
	}
	typeTab, typeChart, err := orgTypeTrend(types, from, trendMonths, d)
	if err != nil {
		return nil, err
	}
	charts := []chart{viewsChart, activeChart, typeChart}
	tables := []*table{head, trendTab, typeTab, upTab, attTab}

	// How the record is used.
	var usage []usageBlock
	for _, u := range []struct{ dim, title, head, note, table, chartName string }{
		{"role", "By role of the user", "Role", "", "usage_by_role", ""},
		{"section", "By section of the record viewed", "Section", " opening it",
			"usage_by_section", "records-viewed-by-section"},
		{"reason", "By reason for access", "Reason", "", "usage_by_reason", "records-viewed-by-reason"},
	} {
		cats, err := loadCategories(ctx, db, u.dim, month)
		if err != nil {
			return nil, err
		}
		t := categoryTable(u.table, u.title+", "+monthLabel(month), u.head, cats, cur.Viewed, prevViewed(prev), month, d, u.note)
		tables = append(tables, t)
		b := usageBlock{Title: u.title, Table: t.view()}
		if u.dim == "section" {
			b.Note = "A view can open several sections, so the shares add up to more than 100%."
		}
		if u.chartName != "" && len(cats) > 0 {
			c, err := categoryChart(u.chartName, "Records viewed by "+u.dim+", "+monthLabel(month), cats, d)
			if err != nil {
				return nil, err
			}
			b.Chart = &c
			charts = append(charts, c)
		}
		usage = append(usage, b)
	}

	// Referrals via interoperability.
	yearFrom := month.AddDate(0, -11, 0)
	rd, err := loadReferrals(ctx, db, month, yearFrom)
	if err != nil {
		return nil, err
	}
	refTabs, refSec, err := referralTables(rd, month, yearFrom, r)
	if err != nil {
		return nil, err
	}
	tables = append(tables, refTabs...)
	if refSec.Chart != nil {
		charts = append(charts, *refSec.Chart)
	}

	// Data quality.
	qs, rs, err := loadQuality(ctx, db)
	if err != nil {
		return nil, err
	}
	qTabs, qSec := qualityTables(qs, rs)
	tables = append(tables, qTabs...)

	region := strings.TrimSpace(opt.Region)
	title := "Shared care record: programme board report, " + monthLabel(month)
	if region != "" {
		title = region + " shared care record: programme board report, " + monthLabel(month)
	}
	p := page{
		Title:          title,
		Region:         region,
		Month:          monthLabel(month),
		PrevMonth:      monthLabel(month.AddDate(0, -1, 0)),
		Headline:       figs,
		AvgLabel:       avgLabel,
		Charts:         []chart{viewsChart, activeChart, typeChart},
		OrgTypes:       typeTab.view(),
		Usage:          usage,
		Referrals:      refSec,
		Quality:        qSec,
		Disclosure:     d.on,
		DisclosureNote: d.note(),
		Trend:          trendTab.view(),
		Uptake:         upTab.view(),
		Attention:      items,
		PoorUptake:     fmtPct(r.poorUptakeRate),
		Decline:        fmtPct(r.declineShare),
		MinLive:        minLiveMonths,
		Window:         declineWindow,
		Generated:      generatedLabel(opt.GeneratedAt),
		SourceNames: []string{
			"marts.usage_monthly", "marts.usage_monthly_region", "marts.usage_by_org_type",
			"marts.usage_by_role", "marts.usage_by_section", "marts.usage_by_reason",
			"marts.referral_funnel", "marts.referral_outcomes", "core.referral", "marts.data_quality", "meta.reject_counts",
		},
	}
	if prev == nil {
		p.PrevMonth = ""
	}
	if len(trend) > 0 && !trend[0].Month.Equal(from) {
		p.TrendNote = "The warehouse holds no figures before " + monthLabel(trend[0].Month) + "."
	}
	return &report{
		page:   p,
		tables: tables,
		charts: charts,
	}, nil
}

// trendSummary describes a trend in one sentence.
func trendSummary(label string, trend []regionMonth, get func(regionMonth) int64) string {
	first, last := trend[0], trend[len(trend)-1]
	return fmt.Sprintf("%s went from %s in %s to %s in %s.", label,
		fmtInt(get(first)), monthLabel(first.Month), fmtInt(get(last)), monthLabel(last.Month))
}

// generatedLabel formats the generation time in Europe/London.
func generatedLabel(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		t = t.In(loc)
	}
	return t.Format("2 January 2006 15:04 MST")
}

// prevViewed is the records viewed in the previous month, 0 without one.
func prevViewed(prev *regionMonth) int64 {
	if prev == nil {
		return 0
	}
	return prev.Viewed
}
