package reports

import (
	"slices"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestMonthsLive(t *testing.T) {
	april := date(2025, time.April, 1)
	tests := []struct {
		name   string
		goLive time.Time
		want   int
		live   bool
	}{
		{"never live", time.Time{}, 0, false},
		{"goes live next month", date(2025, time.May, 1), 0, false},
		{"goes live on the last day", date(2025, time.April, 30), 0, true},
		{"live from the 1st of the month", date(2025, time.April, 1), 1, true},
		{"live from the 1st, three months", date(2025, time.February, 1), 3, true},
		{"live mid-month, two complete months", date(2025, time.February, 15), 2, true},
		{"across a year end", date(2024, time.November, 1), 6, true},
		{"years ago", date(2022, time.April, 1), 37, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, live := monthsLive(tt.goLive, april)
			if got != tt.want || live != tt.live {
				t.Errorf("monthsLive(%v, April 2025) = %d, %v; want %d, %v", tt.goLive.Format(time.DateOnly), got, live, tt.want, tt.live)
			}
		})
	}
}

func TestAssessFlags(t *testing.T) {
	april := date(2025, time.April, 1)
	r := rules{poorUptakeRate: 0.25, declineShare: 0.25}
	longLive := date(2023, time.January, 1)
	steady := []int64{100, 100, 100, 100, 100, 100}
	tests := []struct {
		name string
		org  orgUsage
		want []flag
	}{
		{"healthy", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: steady}, nil},
		{"poor uptake", orgUsage{GoLive: longLive, Authorised: 100, Active: 24, History: steady}, []flag{flagPoorUptake}},
		{"uptake exactly at threshold is not poor", orgUsage{GoLive: longLive, Authorised: 100, Active: 25, History: steady}, nil},
		{"low uptake but live under 3 months", orgUsage{GoLive: date(2025, time.February, 2), Authorised: 100, Active: 1, History: steady}, nil},
		{"low uptake, live exactly 3 months", orgUsage{GoLive: date(2025, time.February, 1), Authorised: 100, Active: 1, History: steady}, []flag{flagPoorUptake}},
		{"never live", orgUsage{Authorised: 0, Active: 0, History: []int64{0, 0, 0, 0, 0, 0}}, nil},
		{"live with nobody authorised", orgUsage{GoLive: longLive, History: []int64{0, 0, 0, 0, 0, 0}}, []flag{flagPoorUptake}},
		{"declining", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{100, 100, 100, 60, 60, 60}}, []flag{flagDeclining}},
		{"decline exactly at threshold", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{100, 100, 100, 75, 75, 75}}, []flag{flagDeclining}},
		{"decline just under threshold", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{100, 100, 100, 76, 75, 75}}, nil},
		{"means not single months", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{300, 0, 0, 0, 0, 100}}, []flag{flagDeclining}},
		{"only the last six months count", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{1000, 100, 100, 100, 100, 100, 100}}, nil},
		{"rising", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{10, 10, 10, 50, 50, 50}}, nil},
		{"no earlier views", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{0, 0, 0, 0, 0, 0}}, nil},
		{"too little history", orgUsage{GoLive: longLive, Authorised: 100, Active: 60, History: []int64{100, 100, 10, 10, 10}}, nil},
		{"both flags", orgUsage{GoLive: longLive, Authorised: 100, Active: 10, History: []int64{90, 90, 90, 10, 10, 10}}, []flag{flagPoorUptake, flagDeclining}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assess(tt.org, april, r).Flags
			if !slices.Equal(got, tt.want) {
				t.Errorf("flags = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAssessFigures(t *testing.T) {
	a := assess(orgUsage{GoLive: date(2024, time.May, 1), Authorised: 200, Active: 50, Viewed: 60,
		History: []int64{120, 90, 90, 60, 60, 60}}, date(2025, time.April, 1), rules{poorUptakeRate: 0.25, declineShare: 0.25})
	if !a.Live || a.MonthsLive != 12 {
		t.Errorf("live %v %d months, want 12", a.Live, a.MonthsLive)
	}
	if a.UptakeRate != 0.25 || a.ViewsPerActive != 1.2 {
		t.Errorf("uptake %v, views per active %v; want 0.25, 1.2", a.UptakeRate, a.ViewsPerActive)
	}
	if a.PreviousMean != 100 || a.RecentMean != 60 || a.Change != -0.4 {
		t.Errorf("means %v → %v change %v; want 100 → 60, -0.4", a.PreviousMean, a.RecentMean, a.Change)
	}
}

func TestNewRules(t *testing.T) {
	r, err := newRules(Options{})
	if err != nil || r.poorUptakeRate != DefaultPoorUptakeRate || r.declineShare != DefaultDeclineShare {
		t.Errorf("defaults = %+v, %v", r, err)
	}
	for _, opt := range []Options{{PoorUptakeRate: -0.1}, {PoorUptakeRate: 1.5}, {DeclineShare: -1}, {DeclineShare: 2}} {
		if _, err := newRules(opt); err == nil {
			t.Errorf("newRules(%+v) accepted", opt)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtInt(0), "0"},
		{fmtInt(999), "999"},
		{fmtInt(1000), "1,000"},
		{fmtInt(1234567), "1,234,567"},
		{fmtInt(-12345), "−12,345"},
		{fmtSigned(1500), "+1,500"},
		{fmtSigned(0), "0"},
		{fmtPct(0.125), "12.5%"},
		{fmtSignedPct(-0.4), "−40.0%"},
		{fmtSignedPct(0.05), "+5.0%"},
		{fmtDec(1234.56), "1,234.6"},
		{fmtDec(7), "7.0"},
		{monthRange(date(2024, time.November, 1), date(2025, time.January, 1)), "Nov 2024–Jan 2025"},
		{monthRange(date(2025, time.February, 1), date(2025, time.April, 1)), "Feb–Apr 2025"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
