package synth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the recount checks offsets against the real zone rules

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// usageFakePop is a population of valid, distinct NHS numbers.
type usageFakePop []string

func (p usageFakePop) Len() int               { return len(p) }
func (p usageFakePop) NHSNumber(i int) string { return p[i] }

func newUsageFakePop(n int) usageFakePop {
	p := make(usageFakePop, 0, n)
	for base := 400000000; len(p) < n; base++ {
		d := strconv.Itoa(base)
		if c, ok := nhsnumber.CheckDigit(d); ok {
			p = append(p, d+strconv.Itoa(c))
		}
	}
	return p
}

// usageMonths returns n months ending with the given one.
func usageMonths(endYear, endMonth, n int) []Date {
	var ms []Date
	for k := n - 1; k >= 0; k-- {
		ms = append(ms, orgsAddMonths(Date{Year: endYear, Month: endMonth, Day: 1}, -k))
	}
	return ms
}

// usageRun generates a region's usage into a new directory.
func usageRun(t *testing.T, seed uint64, persons int, months []Date) (string, []Org, map[string]int) {
	t.Helper()
	dir := t.TempDir()
	orgs := buildOrgs(seed, persons, months)
	counts, err := writeUsage(context.Background(), dir, seed, orgs, newUsageFakePop(persons), months)
	if err != nil {
		t.Fatal(err)
	}
	return dir, orgs, counts
}

func readUsageCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return rows
}

func TestUsageDeterministic(t *testing.T) {
	months := usageMonths(2026, 10, 13)
	a, _, ca := usageRun(t, 42, 10000, months)
	b, _, cb := usageRun(t, 42, 10000, months)
	c, _, _ := usageRun(t, 43, 10000, months)
	files := usageFiles(t, a)
	if !slices.Equal(files, usageFiles(t, b)) {
		t.Fatalf("file lists differ")
	}
	if len(files) != 13+4 {
		t.Errorf("wrote %d files, want %d: %v", len(files), 13+4, files)
	}
	if fmt.Sprint(ca) != fmt.Sprint(cb) {
		t.Errorf("counts differ: %v vs %v", ca, cb)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".partial") {
			t.Errorf("partial file left behind: %s", f)
		}
		if _, ok := ca[f]; !ok {
			t.Errorf("%s not in the returned counts", f)
		}
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs with the same seed", f)
		}
	}
	x, _ := os.ReadFile(filepath.Join(a, "sources/portal/audit/audit-2026-10.jsonl"))
	y, _ := os.ReadFile(filepath.Join(c, "sources/portal/audit/audit-2026-10.jsonl"))
	if bytes.Equal(x, y) {
		t.Errorf("seeds 42 and 43 gave the same audit file")
	}
}

func usageFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// usageRecount is the truth recomputed from the emitted sources.
type usageRecount struct {
	rows     map[string][4]int // "month,org" → authorised, active, records, patients
	rejects  []string          // "file,line"
	offsets  map[string]map[string]int
	perMonth map[string]int
}

// recountUsage reads users.csv and the audit files the way the pipeline
// would and recomputes the monthly truth.
func recountUsage(t *testing.T, dir string, orgs []Org, months []Date) usageRecount {
	t.Helper()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	users := readUsageCSV(t, filepath.Join(dir, "sources/portal/users.csv"))
	if got := strings.Join(users[0], ","); got != "user_id,org_code,role,given_name,family_name,authorised_date,revoked_date" {
		t.Fatalf("users.csv header %q", got)
	}
	userOrg := map[string]string{}
	rc := usageRecount{rows: map[string][4]int{}, offsets: map[string]map[string]int{}, perMonth: map[string]int{}}
	for _, m := range months {
		month := fmt.Sprintf("%04d-%02d", m.Year, m.Month)
		last := fmt.Sprintf("%s-%02d", month, orgsDaysIn(m.Year, m.Month))
		for _, o := range orgs {
			n := 0
			for _, u := range users[1:] {
				if u[1] == o.Code && u[5] <= last && (u[6] == "" || u[6] > last) {
					n++
				}
			}
			rc.rows[month+","+o.Code] = [4]int{n}
		}
	}
	for _, u := range users[1:] {
		if _, dup := userOrg[u[0]]; dup {
			t.Errorf("user %s listed twice", u[0])
		}
		userOrg[u[0]] = u[1]
	}

	lastID := ""
	for _, m := range months {
		month := fmt.Sprintf("%04d-%02d", m.Year, m.Month)
		name := fmt.Sprintf("sources/portal/audit/audit-%s.jsonl", month)
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		active := map[string]map[string]bool{}
		patients := map[string]map[string]bool{}
		records := map[string]int{}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			var ev struct {
				EventID   string   `json:"event_id"`
				Timestamp string   `json:"timestamp"`
				UserID    string   `json:"user_id"`
				OrgCode   string   `json:"org_code"`
				Role      string   `json:"role"`
				NHSNumber string   `json:"nhs_number"`
				Sections  []string `json:"sections"`
				Reason    string   `json:"reason"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil ||
				ev.EventID == "" || ev.Timestamp == "" || ev.UserID == "" || ev.OrgCode == "" || ev.NHSNumber == "" {
				rc.rejects = append(rc.rejects, fmt.Sprintf("%s,%d", name, line))
				continue
			}
			if ev.EventID <= lastID {
				t.Errorf("%s:%d: event id %s not after %s", name, line, ev.EventID, lastID)
			}
			lastID = ev.EventID
			ts, err := time.Parse(time.RFC3339, ev.Timestamp)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			_, want := ts.In(london).Zone()
			if _, got := ts.Zone(); got != want {
				t.Errorf("%s:%d: timestamp %s has offset %d, Europe/London has %d", name, line, ev.Timestamp, got, want)
			}
			if got := ts.In(london).Format("2006-01"); got != month {
				t.Errorf("%s:%d: timestamp %s is in %s", name, line, ev.Timestamp, got)
			}
			if userOrg[ev.UserID] != ev.OrgCode {
				t.Errorf("%s:%d: user %s is not in %s", name, line, ev.UserID, ev.OrgCode)
			}
			if !nhsnumber.Valid(ev.NHSNumber) || len(ev.Sections) == 0 || ev.Reason == "" || ev.Role == "" {
				t.Errorf("%s:%d: bad event %+v", name, line, ev)
			}
			off := ev.Timestamp[len(ev.Timestamp)-6:]
			if rc.offsets[month] == nil {
				rc.offsets[month] = map[string]int{}
			}
			rc.offsets[month][off]++
			records[ev.OrgCode]++
			if active[ev.OrgCode] == nil {
				active[ev.OrgCode] = map[string]bool{}
				patients[ev.OrgCode] = map[string]bool{}
			}
			active[ev.OrgCode][ev.UserID] = true
			patients[ev.OrgCode][ev.NHSNumber] = true
			rc.perMonth[month]++
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		for _, o := range orgs {
			k := month + "," + o.Code
			row := rc.rows[k]
			row[1], row[2], row[3] = len(active[o.Code]), records[o.Code], len(patients[o.Code])
			rc.rows[k] = row
		}
	}
	return rc
}

func TestUsageTruthMatchesSources(t *testing.T) {
	for _, persons := range []int{300, 10000, 60000} {
		t.Run(strconv.Itoa(persons), func(t *testing.T) {
			// 14 months from September 2025: two autumn and one spring DST change.
			months := usageMonths(2026, 10, 14)
			dir, orgs, counts := usageRun(t, 7, persons, months)
			rc := recountUsage(t, dir, orgs, months)

			truth := readUsageCSV(t, filepath.Join(dir, "truth/usage_monthly.csv"))
			if got := strings.Join(truth[0], ","); got != "month,org_code,authorised_users,active_users,records_viewed,patients_viewed" {
				t.Fatalf("usage_monthly.csv header %q", got)
			}
			if len(truth)-1 != len(orgs)*len(months) {
				t.Errorf("usage_monthly.csv has %d rows, want %d", len(truth)-1, len(orgs)*len(months))
			}
			if counts["truth/usage_monthly.csv"] != len(truth)-1 {
				t.Errorf("count %d for usage_monthly.csv, file has %d rows", counts["truth/usage_monthly.csv"], len(truth)-1)
			}
			sorted := slices.IsSortedFunc(truth[1:], func(a, b []string) int {
				return strings.Compare(a[0]+","+a[1], b[0]+","+b[1])
			})
			if !sorted {
				t.Errorf("usage_monthly.csv not sorted by month, org_code")
			}
			for _, row := range truth[1:] {
				var got [4]int
				for i := range got {
					got[i], _ = strconv.Atoi(row[2+i])
				}
				if want := rc.rows[row[0]+","+row[1]]; got != want {
					t.Errorf("%s %s: truth %v, recount %v (authorised, active, records, patients)", row[0], row[1], got, want)
				}
			}

			rejects := readUsageCSV(t, filepath.Join(dir, "truth/rejects_portal.csv"))
			if got := strings.Join(rejects[0], ","); got != "source,file,line,reason" {
				t.Fatalf("rejects_portal.csv header %q", got)
			}
			var listed []string
			for _, r := range rejects[1:] {
				if r[0] != "portal" || r[3] == "" {
					t.Errorf("reject row %v", r)
				}
				listed = append(listed, r[1]+","+r[2])
			}
			if !slices.Equal(listed, rc.rejects) {
				t.Errorf("rejects_portal.csv lists %v, the malformed lines are %v", listed, rc.rejects)
			}
			for _, m := range months {
				name := fmt.Sprintf("sources/portal/audit/audit-%04d-%02d.jsonl", m.Year, m.Month)
				n, bad := counts[name], 0
				for _, r := range rc.rejects {
					if strings.HasPrefix(r, name+",") {
						bad++
					}
				}
				if n >= 500 && bad == 0 {
					t.Errorf("%s: %d lines and none malformed", name, n)
				}
				if float64(bad) > 0.004*float64(n)+1 {
					t.Errorf("%s: %d of %d lines malformed", name, bad, n)
				}
			}

			// DST: summer months are all +01:00, winter months all +00:00.
			for month, want := range map[string]string{"2026-07": "+01:00", "2026-01": "+00:00", "2025-12": "+00:00", "2026-06": "+01:00"} {
				offs := rc.offsets[month]
				if len(offs) != 1 || offs[want] == 0 {
					t.Errorf("%s offsets %v, want only %s", month, offs, want)
				}
			}
			if persons >= 10000 {
				for _, month := range []string{"2026-03", "2025-10", "2026-10"} {
					if len(rc.offsets[month]) != 2 {
						t.Errorf("%s offsets %v, want both (a DST change)", month, rc.offsets[month])
					}
				}
			}
		})
	}
}

func TestUsageProfiles(t *testing.T) {
	months := usageMonths(2026, 10, 13)
	for _, persons := range []int{300, 10000, 60000} {
		for seed := range uint64(6) {
			t.Run(fmt.Sprintf("%d/%d", persons, seed), func(t *testing.T) {
				dir, orgs, _ := usageRun(t, seed, persons, months)
				truth := readUsageCSV(t, filepath.Join(dir, "truth/usage_monthly.csv"))
				series := map[string][][4]int{}
				for _, row := range truth[1:] {
					var v [4]int
					for i := range v {
						v[i], _ = strconv.Atoi(row[2+i])
					}
					series[row[1]] = append(series[row[1]], v)
				}
				profiles := readUsageCSV(t, filepath.Join(dir, "truth/org_profiles.csv"))
				if len(profiles)-1 != len(orgs) {
					t.Fatalf("org_profiles.csv has %d rows for %d orgs", len(profiles)-1, len(orgs))
				}
				for _, o := range orgs {
					s := series[o.Code]
					sum := func(from, to, col int) int {
						n := 0
						for _, v := range s[from:to] {
							n += v[col]
						}
						return n
					}
					n := len(s)
					switch o.Profile {
					case profileDeclining:
						prev, last := sum(n-6, n-3, 2), sum(n-3, n, 2)
						if prev == 0 || float64(last) > 0.75*float64(prev) {
							t.Errorf("declining %s: %d views in the last 3 months, %d in the 3 before", o.Code, last, prev)
						}
					case profilePoorUptake, profileSteady:
						authorised, active := sum(n-6, n, 0), sum(n-6, n, 1)
						ratio := float64(active) / float64(max(authorised, 1))
						// Few become active: a quarter at most, or one user a month
						// where the organisation has only a handful.
						if o.Profile == profilePoorUptake && ((ratio > 0.25 && active > 6) || authorised == 0) {
							t.Errorf("poor_uptake %s: %d active of %d authorised", o.Code, active, authorised)
						}
						if o.Profile == profileSteady && o.Type != orgsTypeSocialRx && o.Type != orgsTypeHospice && ratio < 0.4 {
							t.Errorf("steady %s: %d active of %d authorised", o.Code, active, authorised)
						}
					case profileNeverLive:
						if sum(0, n, 0)+sum(0, n, 2) != 0 {
							t.Errorf("never_live %s has users or views", o.Code)
						}
					case profileLateStart:
						if sum(0, n-3, 0)+sum(0, n-3, 2) != 0 {
							t.Errorf("late_start %s had users or views before its last 3 months", o.Code)
						}
					}
				}
			})
		}
	}
}

func TestBuildOrgs(t *testing.T) {
	months := usageMonths(2026, 10, 13)
	first, last := months[0], months[len(months)-1]
	for _, persons := range []int{300, 10000, 100000, 1000000} {
		for _, seed := range []uint64{1, 2, 3, 4} {
			orgs := buildOrgs(seed, persons, months)
			if !slices.EqualFunc(orgs, buildOrgs(seed, persons, months), func(a, b Org) bool { return a == b }) {
				t.Fatalf("%d/%d: buildOrgs not deterministic", persons, seed)
			}
			codes := map[string]bool{}
			dates := map[Date]bool{}
			profiles := map[string]int{}
			practices, before, during := 0, 0, 0
			for _, o := range orgs {
				codes[o.Code] = true
				profiles[o.Profile]++
				if o.Type == orgsTypeGP {
					practices++
				}
				if o.Name == "" || o.Postcode == "" || o.Type == "" {
					t.Errorf("%d/%d: incomplete org %+v", persons, seed, o)
				}
				if o.GoLive.IsZero() != (o.Profile == profileNeverLive) {
					t.Errorf("%d/%d: %s go-live %v with profile %s", persons, seed, o.Code, o.GoLive, o.Profile)
				}
				if o.GoLive.IsZero() {
					continue
				}
				if dates[o.GoLive] {
					t.Errorf("%d/%d: go-live %v shared", persons, seed, o.GoLive)
				}
				dates[o.GoLive] = true
				if usageDateLess(o.GoLive, first) {
					before++
				} else {
					during++
				}
				if !usageDateLess(o.GoLive, orgsAddMonths(last, 1)) {
					t.Errorf("%d/%d: %s goes live after the window: %v", persons, seed, o.Code, o.GoLive)
				}
				if o.Profile == profileLateStart && usageDateLess(o.GoLive, orgsAddMonths(last, -2)) {
					t.Errorf("%d/%d: late_start %s went live %v", persons, seed, o.Code, o.GoLive)
				}
			}
			if len(codes) != len(orgs) {
				t.Errorf("%d/%d: duplicate codes", persons, seed)
			}
			for _, o := range orgs {
				if o.Parent != "" && !codes[o.Parent] {
					t.Errorf("%d/%d: %s has unknown parent %s", persons, seed, o.Code, o.Parent)
				}
			}
			if lo, hi := max(3, persons/9000), max(3, persons/7000+1); practices < lo || practices > hi {
				t.Errorf("%d/%d: %d practices, want %d–%d", persons, seed, practices, lo, hi)
			}
			if profiles[profilePoorUptake] < 1 || profiles[profileDeclining] < 1 || profiles[profileLateStart] < 1 {
				t.Errorf("%d/%d: profiles %v", persons, seed, profiles)
			}
			if 2*profiles[profileSteady] <= len(orgs) {
				t.Errorf("%d/%d: only %d of %d orgs steady", persons, seed, profiles[profileSteady], len(orgs))
			}
			if before == 0 || during == 0 {
				t.Errorf("%d/%d: %d orgs live before the window, %d during", persons, seed, before, during)
			}
		}
	}
}

func usageDateLess(a, b Date) bool {
	return a.Year*10000+a.Month*100+a.Day < b.Year*10000+b.Month*100+b.Day
}

// TestUsageScale checks the volumes against the programme figures: at a
// million persons about 3,600 users and 17,600 views a month; at 10,000 a
// few hundred users and a few thousand views.
func TestUsageScale(t *testing.T) {
	sizes := []int{10000, 1000000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	months := usageMonths(2026, 1, 13)
	for _, persons := range sizes {
		dir, _, counts := usageRun(t, 11, persons, months)
		truth := readUsageCSV(t, filepath.Join(dir, "truth/usage_monthly.csv"))
		authorised, views := 0, 0
		for _, row := range truth[1:] {
			if row[0] == "2026-01" {
				a, _ := strconv.Atoi(row[2])
				v, _ := strconv.Atoi(row[4])
				authorised += a
				views += v
			}
		}
		t.Logf("%d persons: %d users listed, %d authorised and %d views in 2026-01", persons, counts["sources/portal/users.csv"], authorised, views)
		lo, hi := 150, 600
		vlo, vhi := 1500, 6000
		if persons == 1000000 {
			lo, hi, vlo, vhi = 2800, 4500, 13000, 24000
		}
		if authorised < lo || authorised > hi || views < vlo || views > vhi {
			t.Errorf("%d persons: %d authorised, %d views; want %d–%d and %d–%d", persons, authorised, views, lo, hi, vlo, vhi)
		}
	}
}

func TestUsageCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	months := usageMonths(2026, 10, 13)
	dir := t.TempDir()
	_, err := writeUsage(ctx, dir, 1, buildOrgs(1, 1000, months), newUsageFakePop(1000), months)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	for _, f := range usageFiles(t, dir) {
		if strings.HasSuffix(f, ".partial") {
			t.Errorf("partial file left behind: %s", f)
		}
	}
}
