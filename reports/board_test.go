package reports_test

import (
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func rowBy(rows []map[string]string, col, val string) map[string]string {
	for _, r := range rows {
		if r[col] == val {
			return r
		}
	}
	return nil
}

// Disclosure control is on by default: small counts are "*", others are
// rounded to 5, rates and means over suppressed counts are withheld, and
// the total is rounded from the unrounded sum.
func TestWriteDisclosureDefault(t *testing.T) {
	res := writeFixture(t, *fixture(t))
	_, rows := readCSV(t, res.Tables["uptake"])
	want := map[string]map[string]string{
		// RA1 in April 2025: 650 authorised, 375 active, 3500 viewed.
		"RA1": {"authorised_users": "650", "active_users": "375", "records_viewed": "3500", "uptake_rate": "0.577"},
		// GP1: 40 authorised, 5 active (suppressed), 50 viewed.
		"GP1": {"authorised_users": "40", "active_users": "*", "uptake_rate": "*", "records_viewed": "50", "views_per_active_user": "*"},
		// CS1: 100 authorised, 3 active, 9 viewed → 10.
		"CS1": {"authorised_users": "100", "active_users": "*", "records_viewed": "10", "uptake_rate": "*"},
		// Total: 650+40+200+100+0 = 990 authorised; 375+5+120+3 = 503 active → 505.
		"ALL": {"authorised_users": "990", "active_users": "505", "records_viewed": "4160"},
	}
	for code, cols := range want {
		r := rowBy(rows, "org_code", code)
		if r == nil {
			t.Errorf("no uptake row %s", code)
			continue
		}
		for col, w := range cols {
			if r[col] != w {
				t.Errorf("%s %s = %q, want %q", code, col, r[col], w)
			}
		}
	}
	page := readFile(t, res.HTML)
	for _, want := range []string{"counts from 1 to 7 are shown as *", "(disclosure control applied)",
		"Fewer than 25.0% of authorised users active (figures withheld: small numbers)"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(page, "Disclosure control is OFF") {
		t.Error("HTML says disclosure control is off")
	}

	off := writeFixture(t, *rawFixture(t))
	page = readFile(t, off.HTML)
	if !strings.Contains(page, "Disclosure control is OFF — for internal operational use") {
		t.Error("HTML with disclosure off lacks the warning")
	}
	_, rows = readCSV(t, off.Tables["uptake"])
	if r := rowBy(rows, "org_code", "GP1"); r["active_users"] != "5" || r["uptake_rate"] != "0.125" {
		t.Errorf("disclosure off: GP1 %v", r)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The headline compares with the month before and with the mean of the 12
// months before.
func TestWriteHeadlineAverage(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	_, rows := readCSV(t, res.Tables["headline"])
	r := rowBy(rows, "measure", "Authorised users")
	// Authorised users in month i: sum over the orgs; April 2025 is i=15.
	auth := func(i int) (n int64) {
		for _, o := range fixtureOrgs {
			a, _, _, _ := o.usage(i)
			n += a
		}
		return n
	}
	var sum int64
	for i := 3; i < 15; i++ {
		sum += auth(i)
	}
	avg := float64(sum) / 12
	if r["previous_12_month_average"] != strconv.FormatFloat(avg, 'f', 1, 64) || r["months_averaged"] != "12" ||
		r["change_on_average"] != strconv.FormatFloat(float64(auth(15))-avg, 'f', 1, 64) {
		t.Errorf("headline %v; want average %.1f of 12 months", r, avg)
	}
	if page := readFile(t, res.HTML); !strings.Contains(page, "on the 12-month average") {
		t.Error("HTML lacks the change on the 12-month average")
	}
}

// Referral figures before disclosure control equal the fixture's.
func TestWriteReferrals(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	_, rows := readCSV(t, res.Tables["referrals"])
	check := func(table string, rows []map[string]string, key, val string, want map[string]string) {
		t.Helper()
		r := rowBy(rows, key, val)
		for col, w := range want {
			if r[col] != w {
				t.Errorf("%s %s %s = %q, want %q (row %v)", table, val, col, r[col], w, r)
			}
		}
	}
	check("referrals", rows, "referral_source", "all", map[string]string{
		"referrals_month": "3", "referrals_12_months": "6", "referrals_to_date": "6",
		"referring_clinicians_month": "2", "referring_clinicians_to_date": "4",
		"referring_teams_to_date": "3", "median_days_to_first_contact_12_months": "5.5",
	})
	check("referrals", rows, "referral_source", "mental_health", map[string]string{
		"referrals_month": "2", "referrals_to_date": "3", "referring_teams_to_date": "2",
	})
	check("referrals", rows, "referral_source", "self", map[string]string{"referrals_month": "1", "referring_clinicians_to_date": "0"})

	_, rows = readCSV(t, res.Tables["referral_funnel"])
	for stage, n := range map[string]string{"referred": "6", "first_contact_offered": "5", "first_contact_dna": "2",
		"first_contact": "4", "attended": "3", "session_dna": "1", "completed": "2", "declined": "1", "disengaged": "1", "still_open": "2"} {
		check("referral_funnel", rows, "stage", stage, map[string]string{"all": n})
	}
	check("referral_funnel", rows, "stage", "completed", map[string]string{"all_share": "0.333", "mental_health": "1", "gp": "1"})

	_, rows = readCSV(t, res.Tables["wellbeing_change"])
	if len(rows) != 4 {
		t.Errorf("%d wellbeing rows, want 4: %v", len(rows), rows)
	}
	for _, r := range rows {
		if r["referrer_org_code"] == "ALL" && r["tool"] == "WEMWBS" {
			if r["people"] != "1" || r["mean_change"] != "7.0" || r["share_improved"] != "1.000" || r["share_meaningful_change"] != "1.000" {
				t.Errorf("WEMWBS all %v", r)
			}
		}
		if r["referrer_org_code"] == "ALL" && r["tool"] == "SWEMWBS" {
			if r["people"] != "1" || r["mean_change"] != "1.0" || r["share_improved"] != "1.000" || r["share_meaningful_change"] != "0.000" {
				t.Errorf("SWEMWBS all %v", r)
			}
		}
	}
	// A lower threshold makes the SWEMWBS rise of 1 meaningful.
	opt := rawFixture(t)
	opt.SWEMWBSChange = 1
	_, rows = readCSV(t, writeFixture(t, *opt).Tables["wellbeing_change"])
	for _, r := range rows {
		if r["referrer_org_code"] == "ALL" && r["tool"] == "SWEMWBS" && r["share_meaningful_change"] != "1.000" {
			t.Errorf("SWEMWBS threshold 1: %v", r)
		}
	}
}

func TestWriteDataQuality(t *testing.T) {
	res := writeFixture(t, *fixture(t))
	_, rows := readCSV(t, res.Tables["data_quality"])
	r := rowBy(rows, "source", "gp")
	want := map[string]string{"records_read": "100", "person_records": "100", "nhs_number_completeness": "0.900",
		"nhs_number_validity": "0.850", "match_rate": "0.900"}
	for col, w := range want {
		if r[col] != w {
			t.Errorf("gp %s = %q, want %q", col, r[col], w)
		}
	}
	if r := rowBy(rows, "source", "portal_audit"); r["records_rejected"] != "10" || r["reject_rate"] != "0.010" {
		t.Errorf("portal %v", r)
	}
	_, rows = readCSV(t, res.Tables["rejects"])
	if len(rows) != 2 || rows[0]["reason"] != "missing_field" || rows[0]["records"] != "7" {
		t.Errorf("rejects %v", rows)
	}
	if page := readFile(t, res.HTML); !strings.Contains(page, "extract run R20250502, which finished 2 May 2025 02:42 BST") {
		t.Error("HTML lacks the freshness line")
	}
}

var (
	htmlTable   = regexp.MustCompile(`(?s)<table>\s*<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>`)
	htmlRow     = regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`)
	htmlCell    = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	plainNumber = regexp.MustCompile(`^-?\d+$`)
	csvOnly     = map[string]bool{"meaningful_change_threshold": true}
)

// Every CSV parses, and each table the HTML shows has the same rows, with
// every count of the CSV row shown in the HTML row, in order.
func TestWriteCSVMatchesHTML(t *testing.T) {
	for _, raw := range []bool{false, true} {
		opt := fixture(t)
		opt.DisclosureOff = raw
		res := writeFixture(t, *opt)
		page := readFile(t, res.HTML)
		tables := map[string][][]string{}
		for _, m := range htmlTable.FindAllStringSubmatch(page, -1) {
			var rows [][]string
			for _, r := range htmlRow.FindAllStringSubmatch(m[2], -1) {
				var cells []string
				for _, c := range htmlCell.FindAllStringSubmatch(r[1], -1) {
					cells = append(cells, html.UnescapeString(c[1]))
				}
				rows = append(rows, cells)
			}
			tables[html.UnescapeString(m[1])] = rows
		}
		captions := map[string]string{
			"trend": "Region figures by month", "uptake": "Uptake by partner organisation",
			"records_viewed_by_org_type": "Records viewed by organisation type", "usage_by_role": "By role of the user",
			"usage_by_section": "By section of the record viewed", "usage_by_reason": "By reason for access",
			"referrals": "Referrals received by", "referral_funnel": "Referral journey", "referrals_by_team": "Referrals by referring",
			"wellbeing_change": "Wellbeing change for", "data_quality": "Records by source", "rejects": "Records rejected",
		}
		for name, path := range res.Tables {
			_, rows := readCSV(t, path) // parses
			prefix, ok := captions[name]
			if !ok {
				continue // headline (cards) and needs_attention (a list) are CSV only
			}
			var hrows [][]string
			for c, r := range tables {
				if strings.HasPrefix(c, prefix) {
					hrows = r
				}
			}
			if len(hrows) != len(rows) {
				t.Errorf("%s: %d CSV rows, %d HTML rows", name, len(rows), len(hrows))
				continue
			}
			header, _ := readCSV(t, path)
			recs := readRecords(t, path)
			for i, rec := range recs {
				j := 0
				for k, v := range rec {
					if csvOnly[header[k]] || (!plainNumber.MatchString(v) && v != "*") {
						continue
					}
					want := v
					if v != "*" {
						n, _ := strconv.ParseInt(v, 10, 64)
						want = strings.Replace(groupThousands(n), "-", "−", 1)
					}
					for j < len(hrows[i]) && hrows[i][j] != want {
						j++
					}
					if j == len(hrows[i]) {
						t.Errorf("%s row %d: %s = %s not in the HTML row %q", name, i+1, header[k], v, hrows[i])
						break
					}
					j++
				}
			}
		}
	}
}

func readRecords(t *testing.T, path string) [][]string {
	t.Helper()
	header, rows := readCSV(t, path)
	var out [][]string
	for _, r := range rows {
		var rec []string
		for _, h := range header {
			rec = append(rec, r[h])
		}
		out = append(out, rec)
	}
	return out
}
