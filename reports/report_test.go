package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/reports"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// rawFixture is fixture with disclosure control off, for comparing figures
// with the fixture's own.
func rawFixture(t *testing.T) *reports.Options {
	t.Helper()
	o := fixture(t)
	o.DisclosureOff = true
	return o
}

func fixture(t *testing.T) *reports.Options {
	t.Helper()
	return &reports.Options{
		Month:       reportMonth.AddDate(0, 0, 17), // any day in the month
		Dir:         t.TempDir(),
		Region:      "Avon & Severn",
		GeneratedAt: time.Date(2025, time.May, 6, 8, 30, 0, 0, time.UTC),
	}
}

func writeFixture(t *testing.T, opt reports.Options) *reports.Result {
	t.Helper()
	ctx := context.Background()
	db, err := openFixture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := reports.Write(ctx, db, opt)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return res
}

func readCSV(t *testing.T, path string) (header []string, rows []map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header row", path)
	}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

func TestWriteLayout(t *testing.T) {
	opt := fixture(t)
	res := writeFixture(t, *opt)

	if want := filepath.Join(opt.Dir, "2025-04"); res.Dir != want {
		t.Errorf("Dir = %s, want %s", res.Dir, want)
	}
	if want := filepath.Join(res.Dir, "board-report.html"); res.HTML != want {
		t.Errorf("HTML = %s, want %s", res.HTML, want)
	}
	var names []string
	for name, path := range res.Tables {
		names = append(names, name)
		if want := filepath.Join(res.Dir, "tables", name+".csv"); path != want {
			t.Errorf("table %s at %s, want %s", name, path, want)
		}
	}
	slices.Sort(names)
	if want := []string{"data_quality", "headline", "needs_attention", "records_viewed_by_org_type", "referral_funnel",
		"referrals", "referrals_by_team", "rejects", "trend", "uptake", "usage_by_reason", "usage_by_role",
		"usage_by_section", "wellbeing_change"}; !slices.Equal(names, want) {
		t.Errorf("tables %q, want %q", names, want)
	}
	if len(res.Charts) != 6 {
		t.Errorf("charts %q, want 6", res.Charts)
	}
	if want := filepath.Join(res.Dir, "board-report.pdf"); res.PDF != want {
		t.Errorf("PDF = %s, want %s", res.PDF, want)
	}

	// Exactly the files in Result, and nothing left over from writing.
	want := []string{res.HTML, res.PDF}
	for _, p := range res.Tables {
		want = append(want, p)
	}
	want = append(want, res.Charts...)
	slices.Sort(want)
	var got []string
	filepath.WalkDir(opt.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			got = append(got, path)
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") {
			t.Errorf("left behind %s", path)
		}
		return nil
	})
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("files\n%q\nwant\n%q", got, want)
	}
	for _, c := range res.Charts {
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(data, new(struct{})); err != nil {
			t.Errorf("%s is not well-formed XML: %v", c, err)
		}
	}
}

func TestWriteUptakeCSV(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	header, rows := readCSV(t, res.Tables["uptake"])
	wantHeader := []string{"org_code", "org_name", "org_type", "go_live_date", "months_live", "authorised_users",
		"active_users", "uptake_rate", "records_viewed", "views_per_active_user", "flags"}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header %q, want %q", header, wantHeader)
	}
	if len(rows) != len(fixtureOrgs)+1 {
		t.Fatalf("%d rows, want %d and a total", len(rows), len(fixtureOrgs))
	}
	total := rows[len(rows)-1]
	rows = rows[:len(rows)-1]
	if total["org_code"] != "ALL" {
		t.Errorf("last row %v, want the total", total)
	}
	i := fixtureMonths - 1
	byCode := map[string]map[string]string{}
	for _, r := range rows {
		byCode[r["org_code"]] = r
	}
	wantFlags := map[string]string{"GP1": "poor uptake", "MH1": "declining"}
	for _, o := range fixtureOrgs {
		r, ok := byCode[o.code]
		if !ok {
			t.Errorf("no row for %s", o.code)
			continue
		}
		a, act, v, _ := o.usage(i)
		want := map[string]string{
			"org_name":         o.name,
			"org_type":         o.typ,
			"authorised_users": strconv.FormatInt(a, 10),
			"active_users":     strconv.FormatInt(act, 10),
			"records_viewed":   strconv.FormatInt(v, 10),
			"flags":            wantFlags[o.code],
		}
		if !o.goLive.IsZero() {
			want["go_live_date"] = o.goLive.Format(time.DateOnly)
		}
		for col, w := range want {
			if r[col] != w {
				t.Errorf("%s %s = %q, want %q", o.code, col, r[col], w)
			}
		}
		if a > 0 {
			rate, err := strconv.ParseFloat(r["uptake_rate"], 64)
			if err != nil || fmt.Sprintf("%.3f", rate) != fmt.Sprintf("%.3f", float64(act)/float64(a)) {
				t.Errorf("%s uptake_rate = %q, want %.3f", o.code, r["uptake_rate"], float64(act)/float64(a))
			}
		} else if r["uptake_rate"] != "" {
			t.Errorf("%s uptake_rate = %q with no authorised users", o.code, r["uptake_rate"])
		}
	}
	for code, want := range map[string]string{"RA1": "28", "GP1": "22", "MH1": "26", "CS1": "2", "SC1": ""} {
		if got := byCode[code]["months_live"]; got != want {
			t.Errorf("%s months_live = %q, want %q", code, got, want)
		}
	}
	// Ordered by organisation name.
	var order []string
	for _, r := range rows {
		order = append(order, r["org_name"])
	}
	if !slices.IsSorted(order) {
		t.Errorf("rows not in name order: %q", order)
	}
}

func TestWriteNeedsAttention(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	_, rows := readCSV(t, res.Tables["needs_attention"])
	var got []string
	for _, r := range rows {
		got = append(got, r["org_code"]+": "+r["flag"])
	}
	slices.Sort(got)
	if want := []string{"GP1: poor uptake", "MH1: declining"}; !slices.Equal(got, want) {
		t.Fatalf("flagged %q, want %q", got, want)
	}
	for _, r := range rows {
		switch r["org_code"] {
		case "GP1":
			if r["uptake_rate"] != "0.125" || r["uptake_threshold"] != "0.250" || r["months_live"] != "22" {
				t.Errorf("GP1 figures %v", r)
			}
		case "MH1":
			if r["previous_mean_records_viewed"] != "1000.0" || r["recent_mean_records_viewed"] != "600.0" || r["change_share"] != "-0.400" {
				t.Errorf("MH1 figures %v", r)
			}
		}
	}

	// A 65% uptake threshold also catches RA1 (57.7%) and MH1 (60%); a 50%
	// decline share clears MH1's 40% fall.
	opt := rawFixture(t)
	opt.PoorUptakeRate, opt.DeclineShare = 0.65, 0.5
	res = writeFixture(t, *opt)
	_, rows = readCSV(t, res.Tables["needs_attention"])
	got = got[:0]
	for _, r := range rows {
		got = append(got, r["org_code"]+": "+r["flag"])
	}
	slices.Sort(got)
	if want := []string{"GP1: poor uptake", "MH1: poor uptake", "RA1: poor uptake"}; !slices.Equal(got, want) {
		t.Errorf("with thresholds 0.65, 0.5: flagged %q, want %q", got, want)
	}
}

func TestWriteHeadlineAndTrendCSV(t *testing.T) {
	res := writeFixture(t, *fixture(t))
	region := func(i int) (a, act, v, p, live int64) {
		m := fixtureFirst.AddDate(0, i, 0)
		for _, o := range fixtureOrgs {
			x, y, z, w := o.usage(i)
			a, act, v, p = a+x, act+y, v+z, p+w
			if !o.goLive.IsZero() && o.goLive.Before(m.AddDate(0, 1, 0)) {
				live++
			}
		}
		return a, act, v, p * 9 / 10, live
	}
	cur := fixtureMonths - 1
	a, act, v, p, live := region(cur)
	pa, pact, pv, pp, plive := region(cur - 1)
	_, rows := readCSV(t, res.Tables["headline"])
	want := [][3]any{
		{"Authorised users", a, pa}, {"Active users", act, pact}, {"Records viewed", v, pv},
		{"Patients viewed", p, pp}, {"Organisations live", live, plive},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d headline rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r["measure"] != w[0] || r["value"] != fmt.Sprint(w[1]) || r["previous_month_value"] != fmt.Sprint(w[2]) ||
			r["change"] != fmt.Sprint(w[1].(int64)-w[2].(int64)) {
			t.Errorf("headline row %v, want %v", r, w)
		}
	}

	_, rows = readCSV(t, res.Tables["trend"])
	if len(rows) != 13 {
		t.Fatalf("%d trend rows, want 13", len(rows))
	}
	for k, r := range rows {
		i := cur - 12 + k
		a, act, v, p, live := region(i)
		want := map[string]string{
			"month":              fixtureFirst.AddDate(0, i, 0).Format(time.DateOnly),
			"authorised_users":   fmt.Sprint(a),
			"active_users":       fmt.Sprint(act),
			"records_viewed":     fmt.Sprint(v),
			"patients_viewed":    fmt.Sprint(p),
			"organisations_live": fmt.Sprint(live),
		}
		for col, w := range want {
			if r[col] != w {
				t.Errorf("trend row %d %s = %q, want %q", k, col, r[col], w)
			}
		}
	}
}

func TestWriteHTML(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	data, err := os.ReadFile(res.HTML)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{
		"<svg", "</svg>",
		"Avon &amp; Severn shared care record",
		"April 2025",
		"St Mary&#39;s &amp; St John&#39;s Surgery (GP1)",
		"Severn Mental Health &lt;Partnership&gt; (MH1)",
		"Avon Acute Hospitals NHS Trust (RA1)",
		"Community Services CIC (CS1)",
		"County Council Adult Social Care (SC1)",
		"@media print",
		"6 May 2025 09:30 BST",
		"fewer than 25.0% of its authorised users active",
		"at least 25.0% below",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("%d inline charts, want 6", n)
	}
	if strings.Contains(page, "<Partnership>") {
		t.Error("organisation name not escaped")
	}

	// The uptake table shows the same figures as its CSV, formatted.
	_, rows := readCSV(t, res.Tables["uptake"])
	for _, r := range rows {
		if r["org_code"] == "ALL" {
			continue
		}
		n, _ := strconv.ParseInt(r["records_viewed"], 10, 64)
		a, _ := strconv.ParseInt(r["authorised_users"], 10, 64)
		cells := fmt.Sprintf(`<td>%s (%s)</td><td>%s</td>`, html.EscapeString(r["org_name"]), r["org_code"], r["org_type"])
		i := strings.Index(page, cells)
		if i < 0 {
			t.Errorf("no uptake row for %s", r["org_code"])
			continue
		}
		line := page[i:]
		line = line[:strings.Index(line, "</tr>")]
		for _, want := range []string{groupThousands(n), groupThousands(a)} {
			if !strings.Contains(line, `<td class="num">`+want+`</td>`) {
				t.Errorf("%s row lacks %s: %s", r["org_code"], want, line)
			}
		}
	}
	// Needs attention names each flagged organisation with its flag.
	for _, want := range []string{
		"<strong>St Mary&#39;s &amp; St John&#39;s Surgery (GP1)</strong>: <span class=\"flag\">poor uptake</span>. 12.5% of authorised users active (5 of 40)",
		"<strong>Severn Mental Health &lt;Partnership&gt; (MH1)</strong>: <span class=\"flag\">declining</span>. Records viewed averaged 600.0 a month over Feb–Apr 2025, down 40.0% from 1,000.0 a month over Nov 2024–Jan 2025.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("needs attention lacks %q", want)
		}
	}
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestWriteSelfContained(t *testing.T) {
	res := writeFixture(t, *fixture(t))
	data, err := os.ReadFile(res.HTML)
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ToLower(string(data))
	if strings.Contains(page, "http") {
		t.Error("HTML holds a URL")
	}
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML holds %q: not self-contained", bad)
		}
	}
	if ref := regexp.MustCompile(`\s(src|href)\s*=`).FindString(page); ref != "" {
		t.Errorf("HTML refers to a resource: %q", ref)
	}
}

func TestWriteDeterministic(t *testing.T) {
	opt := fixture(t)
	first := writeFixture(t, *opt)
	a := snapshot(t, first.Dir)

	// Again into another root, and again over the first report.
	opt2 := *opt
	opt2.Dir = t.TempDir()
	b := snapshot(t, writeFixture(t, opt2).Dir)
	c := snapshot(t, writeFixture(t, *opt).Dir)
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two writes", name)
		}
		if !bytes.Equal(data, c[name]) {
			t.Errorf("%s differs after rewriting in place", name)
		}
	}
	if len(a) != len(b) || len(a) != len(c) {
		t.Errorf("file counts %d, %d, %d", len(a), len(b), len(c))
	}
	entries, err := os.ReadDir(opt.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "2025-04" {
		t.Errorf("reports root holds %v after a rewrite, want only 2025-04", entries)
	}

	golden := filepath.Join("testdata", "golden", "2025-04")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		for name, data := range a {
			p := filepath.Join(golden, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	g := snapshot(t, golden)
	for name, data := range a {
		if !bytes.Equal(data, g[name]) {
			t.Errorf("%s differs from %s (go test -run Deterministic -update to accept)", name, golden)
		}
	}
	if len(g) != len(a) {
		t.Errorf("golden holds %d files, output %d", len(g), len(a))
	}
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteNoData(t *testing.T) {
	ctx := context.Background()
	db, err := openFixture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A month the mart holds with no activity at all.
	if _, err := db.ExecContext(ctx, `INSERT INTO marts.usage_monthly_region VALUES (DATE '2023-06-01', 10, 0, 0, 0, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, month := range []time.Time{
		time.Date(2020, time.January, 15, 0, 0, 0, 0, time.UTC), // no rows
		time.Date(2025, time.May, 1, 0, 0, 0, 0, time.UTC),      // after the data
		time.Date(2023, time.June, 30, 0, 0, 0, 0, time.UTC),    // no activity
	} {
		opt := fixture(t)
		opt.Month = month
		res, err := reports.Write(ctx, db, *opt)
		if !errors.Is(err, reports.ErrNoData) {
			t.Errorf("%s: Write = %v, %v; want ErrNoData", month.Format("2006-01"), res, err)
		}
		if entries, _ := os.ReadDir(opt.Dir); len(entries) != 0 {
			t.Errorf("%s: wrote %v for a month with no data", month.Format("2006-01"), entries)
		}
	}
}

func TestWriteOptionErrors(t *testing.T) {
	ctx := context.Background()
	db, err := openFixture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, mod := range map[string]func(*reports.Options){
		"no dir":           func(o *reports.Options) { o.Dir = "" },
		"no month":         func(o *reports.Options) { o.Month = time.Time{} },
		"bad uptake rate":  func(o *reports.Options) { o.PoorUptakeRate = 1.5 },
		"bad decline rate": func(o *reports.Options) { o.DeclineShare = -0.1 },
	} {
		opt := fixture(t)
		mod(opt)
		if _, err := reports.Write(ctx, db, *opt); err == nil || errors.Is(err, reports.ErrNoData) {
			t.Errorf("%s: Write = %v, want an options error", name, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	opt := fixture(t)
	if _, err := reports.Write(cancelled, db, *opt); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
	if entries, _ := os.ReadDir(opt.Dir); len(entries) != 0 {
		t.Errorf("wrote %v with a cancelled context", entries)
	}
}

func TestWriteShortHistory(t *testing.T) {
	opt := fixture(t)
	opt.Month = fixtureFirst.AddDate(0, 1, 0) // February 2024: two months of data
	res := writeFixture(t, *opt)
	if _, rows := readCSV(t, res.Tables["trend"]); len(rows) != 2 {
		t.Errorf("%d trend rows, want 2", len(rows))
	}
	_, rows := readCSV(t, res.Tables["needs_attention"])
	var got []string
	for _, r := range rows {
		got = append(got, r["org_code"]+": "+r["flag"])
	}
	// Too little history to judge a decline.
	if want := []string{"GP1: poor uptake"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	data, err := os.ReadFile(res.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if want := "The warehouse holds no figures before January 2024."; !strings.Contains(string(data), want) {
		t.Errorf("HTML lacks %q", want)
	}
}
