package reports

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// referralCell is one row of marts.referral_funnel: the referrals received
// in a month from one referrer, and the stages they reached.
type referralCell struct {
	Month                     time.Time
	Source                    string
	OrgCode, OrgName, Team    string
	Referrals                 int64
	Offered, FirstDNA, First  int64
	Attended, SessionDNA      int64
	Completed, Declined, Lost int64
	Open                      int64
}

// referralPeople is one row of board_referral_people.
type referralPeople struct {
	Clinicians, Teams, Orgs int64
	MedianDays              sql.NullFloat64
	WithFirst               int64
}

// outcome is one referral's wellbeing change on one tool.
type outcome struct {
	Source                 string
	OrgCode, OrgName, Team string
	Tool                   string
	Change                 int64
}

type referralData struct {
	cells    []referralCell
	people   map[[2]string]referralPeople // (period, source) → figures; source "" is all
	outcomes []outcome
}

func loadReferrals(ctx context.Context, db *sql.DB, month, yearFrom time.Time) (*referralData, error) {
	out := &referralData{people: map[[2]string]referralPeople{}}
	const name = "board_referrals"
	rows, err := query(ctx, db, name, dateParam(month))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c referralCell
		if err := rows.Scan(&c.Month, &c.Source, &c.OrgCode, &c.OrgName, &c.Team, &c.Referrals, &c.Offered, &c.FirstDNA,
			&c.First, &c.Attended, &c.SessionDNA, &c.Completed, &c.Declined, &c.Lost, &c.Open); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", name, len(out.cells)+1, err)
		}
		c.Month = firstOfMonth(c.Month)
		out.cells = append(out.cells, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}

	const pname = "board_referral_people"
	prows, err := query(ctx, db, pname, dateParam(month), dateParam(yearFrom))
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	n := 0
	for prows.Next() {
		n++
		var period, source string
		var p referralPeople
		if err := prows.Scan(&period, &source, &p.Clinicians, &p.Teams, &p.Orgs, &p.MedianDays, &p.WithFirst); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", pname, n, err)
		}
		out.people[[2]string{period, source}] = p
	}
	if err := prows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", pname, err)
	}

	const oname = "board_referral_outcomes"
	orows, err := query(ctx, db, oname, dateParam(yearFrom), dateParam(month))
	if err != nil {
		return nil, err
	}
	defer orows.Close()
	for orows.Next() {
		var o outcome
		if err := orows.Scan(&o.Source, &o.OrgCode, &o.OrgName, &o.Team, &o.Tool, &o.Change); err != nil {
			return nil, fmt.Errorf("reading %s row %d: %w", oname, len(out.outcomes)+1, err)
		}
		out.outcomes = append(out.outcomes, o)
	}
	if err := orows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", oname, err)
	}
	return out, nil
}

// interopSource is the referral source of referrals sent by the mental
// health EPR straight into the social prescribing system.
const interopSource = "mental_health"

// sourceLabel names a referral source for the board.
func sourceLabel(s string) string {
	switch s {
	case interopSource:
		return "Mental health EPR (interoperability)"
	case "gp":
		return "GP"
	case "self":
		return "Self-referral"
	case "":
		return "All sources"
	}
	return upperFirst(strings.ReplaceAll(s, "_", " "))
}

// referralSources lists the sources present, the interoperable one first.
func referralSources(cells []referralCell) []string {
	var out []string
	for _, c := range cells {
		if !slices.Contains(out, c.Source) {
			out = append(out, c.Source)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if (a == interopSource) != (b == interopSource) {
			if a == interopSource {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

// referralSection is what the referrals section shows.
type referralSection struct {
	Summary, Funnel, Teams, Outcomes tableView
	Any                              bool   // any referral up to the month
	Window                           string // "November 2025 to October 2026"
	WEMWBS, SWEMWBS                  int
	Chart                            *chart
}

// referralTables builds the referral summary, funnel, by-team and
// wellbeing tables.
func referralTables(rd *referralData, month, yearFrom time.Time, r rules) ([]*table, referralSection, error) {
	d := r.disclose
	sec := referralSection{
		Any:     len(rd.cells) > 0,
		Window:  monthLabel(yearFrom) + " to " + monthLabel(month),
		WEMWBS:  r.wemwbsChange,
		SWEMWBS: r.swemwbsChange,
	}
	sources := referralSources(rd.cells)
	all := append(slices.Clone(sources), "")
	inYear := func(c referralCell) bool { return !c.Month.Before(yearFrom) && !c.Month.After(month) }
	sum := func(src string, keep func(referralCell) bool, get func(referralCell) int64) (n int64) {
		for _, c := range rd.cells {
			if (src == "" || c.Source == src) && keep(c) {
				n += get(c)
			}
		}
		return n
	}
	inMonth := func(c referralCell) bool { return c.Month.Equal(month) }
	toDate := func(referralCell) bool { return true }
	refs := func(c referralCell) int64 { return c.Referrals }

	// Summary by source.
	summary := &table{
		Name:    "referrals",
		Caption: d.caption("Referrals received by the social prescribing service, " + monthLabel(month)),
		Columns: []column{
			{Head: "Referred by", CSV: "referral_source"},
			{Head: "Referrals in " + month.Format("Jan 2006"), CSV: "referrals_month", Num: true},
			{Head: "Referrals, last 12 months", CSV: "referrals_12_months", Num: true},
			{Head: "Referrals to date", CSV: "referrals_to_date", Num: true},
			{Head: "Referring clinicians in month", CSV: "referring_clinicians_month", Num: true},
			{Head: "Referring clinicians to date", CSV: "referring_clinicians_to_date", Num: true},
			{Head: "Referring teams to date", CSV: "referring_teams_to_date", Num: true},
			{Head: "Median days to first contact (12 months)", CSV: "median_days_to_first_contact_12_months", Num: true},
		},
	}
	for _, src := range all {
		pm, pt, py := rd.people[[2]string{"month", src}], rd.people[[2]string{"to_date", src}], rd.people[[2]string{"year", src}]
		median := cell{Text: "–"}
		if py.MedianDays.Valid && py.WithFirst > 0 {
			if d.suppressed(py.WithFirst) {
				median = cell{Text: withheld, Raw: withheld}
			} else {
				median = cell{Text: fmtDec(py.MedianDays.Float64), Raw: rawFloat(py.MedianDays.Float64, 1)}
			}
		}
		rw := row{Cells: []cell{
			{Text: sourceLabel(src), Raw: orAll(src)},
			d.count(sum(src, inMonth, refs)), d.count(sum(src, inYear, refs)), d.count(sum(src, toDate, refs)),
			d.count(pm.Clinicians), d.count(pt.Clinicians), d.count(pt.Teams), median,
		}}
		if src == "" {
			rw.Class = "total"
		}
		summary.Rows = append(summary.Rows, rw)
	}

	// Funnel for the referrals received in the 12 months.
	funnel := &table{
		Name:    "referral_funnel",
		Caption: d.caption("Referral journey for referrals received " + sec.Window + ", as at the warehouse build"),
		Columns: []column{{Head: "Stage", CSV: "stage"}},
	}
	for _, src := range all {
		key := orAll(src)
		funnel.Columns = append(funnel.Columns,
			column{Head: sourceLabel(src), CSV: key, Num: true},
			column{Head: "%", CSV: key + "_share", Num: true})
	}
	stages := []struct {
		label, key string
		get        func(referralCell) int64
	}{
		{"Referred", "referred", refs},
		{"First contact offered", "first_contact_offered", func(c referralCell) int64 { return c.Offered }},
		{"Did not attend a first contact", "first_contact_dna", func(c referralCell) int64 { return c.FirstDNA }},
		{"First contact made", "first_contact", func(c referralCell) int64 { return c.First }},
		{"Attended a session", "attended", func(c referralCell) int64 { return c.Attended }},
		{"Did not attend a session", "session_dna", func(c referralCell) int64 { return c.SessionDNA }},
		{"Completed", "completed", func(c referralCell) int64 { return c.Completed }},
		{"Declined", "declined", func(c referralCell) int64 { return c.Declined }},
		{"Disengaged", "disengaged", func(c referralCell) int64 { return c.Lost }},
		{"Still open", "still_open", func(c referralCell) int64 { return c.Open }},
	}
	var chartLabels []string
	var chartVals []float64
	for _, st := range stages {
		c := []cell{{Text: st.label, Raw: st.key}}
		for _, src := range all {
			base := sum(src, inYear, refs)
			n := sum(src, inYear, st.get)
			share := d.share(n, base)
			if st.key == "referred" {
				share = cell{} // the base itself
			}
			c = append(c, d.count(n), share)
			if src == "" && st.key != "still_open" && st.key != "session_dna" {
				chartLabels = append(chartLabels, st.label)
				chartVals = append(chartVals, float64(d.published(n)))
			}
		}
		funnel.Rows = append(funnel.Rows, row{Cells: c})
	}
	if sec.Any {
		ch, err := barChart("referral-funnel", "Referral journey, referrals received "+sec.Window, "Referrals", chartLabels, chartVals)
		if err != nil {
			return nil, sec, err
		}
		ch.Summary = "Referrals received in the 12 months and how many reached each stage of the journey, all sources."
		sec.Chart = &ch
	}

	// By referring team (self-referrals have none).
	type teamKey struct{ src, code, name, team string }
	var teams []teamKey
	for _, c := range rd.cells {
		k := teamKey{c.Source, c.OrgCode, c.OrgName, c.Team}
		if c.OrgCode == "" || slices.Contains(teams, k) {
			continue
		}
		teams = append(teams, k)
	}
	slices.SortFunc(teams, func(a, b teamKey) int {
		for _, p := range [][2]string{{a.src, b.src}, {a.name, b.name}, {a.code, b.code}, {a.team, b.team}} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return 0
	})
	byTeam := &table{
		Name:    "referrals_by_team",
		Caption: d.caption("Referrals by referring organisation and team"),
		Columns: []column{
			{Head: "Referrer"}, {CSV: "referral_source"}, {CSV: "referrer_org_code"}, {CSV: "referrer_org_name"},
			{Head: "Team", CSV: "referrer_team"},
			{Head: "Referrals in " + month.Format("Jan 2006"), CSV: "referrals_month", Num: true},
			{Head: "Referrals, last 12 months", CSV: "referrals_12_months", Num: true},
			{Head: "Referrals to date", CSV: "referrals_to_date", Num: true},
			{Head: "First contact made (12 months)", CSV: "first_contact_12_months", Num: true},
			{Head: "Completed (12 months)", CSV: "completed_12_months", Num: true},
		},
	}
	for _, k := range teams {
		of := func(keep func(referralCell) bool, get func(referralCell) int64) (n int64) {
			for _, c := range rd.cells {
				if c.Source == k.src && c.OrgCode == k.code && c.OrgName == k.name && c.Team == k.team && keep(c) {
					n += get(c)
				}
			}
			return n
		}
		team := k.team
		teamText := team
		if team == "" {
			teamText = "–"
		}
		byTeam.Rows = append(byTeam.Rows, row{Cells: []cell{
			{Text: k.name + " (" + k.code + ")"}, {Raw: k.src}, {Raw: k.code}, {Raw: k.name},
			{Text: teamText, Raw: team},
			d.count(of(inMonth, refs)), d.count(of(inYear, refs)), d.count(of(toDate, refs)),
			d.count(of(inYear, func(c referralCell) int64 { return c.First })),
			d.count(of(inYear, func(c referralCell) int64 { return c.Completed })),
		}})
	}

	// Wellbeing change by team and tool.
	out := &table{
		Name: "wellbeing_change",
		Caption: d.caption(fmt.Sprintf("Wellbeing change for people with a baseline and a follow-up score, follow-ups %s "+
			"(meaningful change: WEMWBS +%d, SWEMWBS +%d or more)", sec.Window, r.wemwbsChange, r.swemwbsChange)),
		Columns: []column{
			{Head: "Referrer"}, {CSV: "referrer_org_code"}, {CSV: "referrer_org_name"}, {Head: "Team", CSV: "referrer_team"},
			{Head: "Tool", CSV: "tool"},
			{Head: "People with both scores", CSV: "people", Num: true},
			{Head: "Mean change", CSV: "mean_change", Num: true},
			{Head: "Improved", CSV: "share_improved", Num: true},
			{Head: "Meaningful change", CSV: "share_meaningful_change", Num: true},
			{CSV: "meaningful_change_threshold", Num: true},
		},
	}
	var tools []string
	for _, o := range rd.outcomes {
		if !slices.Contains(tools, o.Tool) {
			tools = append(tools, o.Tool)
		}
	}
	slices.Sort(tools)
	threshold := func(tool string) int64 {
		if tool == "SWEMWBS" {
			return int64(r.swemwbsChange)
		}
		return int64(r.wemwbsChange)
	}
	type group struct {
		all                   bool
		src, code, name, team string
		text, teamText        string
	}
	groups := []group{{all: true, text: "All referrers", teamText: ""}}
	for _, o := range rd.outcomes {
		g := group{src: o.Source, code: o.OrgCode, name: o.OrgName, team: o.Team}
		switch {
		case o.OrgCode == "":
			g.text = sourceLabel(o.Source)
		default:
			g.text = o.OrgName + " (" + o.OrgCode + ")"
		}
		g.teamText = o.Team
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.SortStableFunc(groups[1:], func(a, b group) int {
		if c := strings.Compare(a.text, b.text); c != 0 {
			return c
		}
		return strings.Compare(a.team, b.team)
	})
	for _, g := range groups {
		for _, tool := range tools {
			var n, improved, meaningful, total int64
			for _, o := range rd.outcomes {
				if o.Tool != tool || (!g.all && (o.Source != g.src || o.OrgCode != g.code || o.OrgName != g.name || o.Team != g.team)) {
					continue
				}
				n++
				total += o.Change
				if o.Change > 0 {
					improved++
				}
				if o.Change >= threshold(tool) {
					meaningful++
				}
			}
			if n == 0 {
				continue
			}
			teamText := g.teamText
			if teamText == "" && !g.all {
				teamText = "–"
			}
			code := g.code
			if g.all {
				code = "ALL"
			}
			rw := row{Cells: []cell{
				{Text: g.text}, {Raw: code}, {Raw: g.name}, {Text: teamText, Raw: g.team},
				{Text: tool, Raw: tool},
				d.count(n), d.mean(float64(total), n, false), d.share(improved, n), d.share(meaningful, n),
				{Raw: rawInt(threshold(tool))},
			}}
			if g.all {
				rw.Class = "total"
			}
			out.Rows = append(out.Rows, rw)
		}
	}
	sec.Summary, sec.Funnel, sec.Teams, sec.Outcomes = summary.view(), funnel.view(), byTeam.view(), out.view()
	return []*table{summary, funnel, byTeam, out}, sec, nil
}

func orAll(src string) string {
	if src == "" {
		return "all"
	}
	return src
}
