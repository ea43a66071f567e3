package reports

import (
	"fmt"
	"time"
)

// Defaults for the thresholds in [Options].
const (
	DefaultPoorUptakeRate = 0.25
	DefaultDeclineShare   = 0.25
	// Meaningful change in wellbeing: the rises commonly used for WEMWBS
	// (3 points) and SWEMWBS (2 points, raw score).
	DefaultWEMWBSChange  = 3
	DefaultSWEMWBSChange = 2
)

const (
	// minLiveMonths is how long an organisation must have been live before
	// low uptake counts as poor uptake rather than a slow start.
	minLiveMonths = 3
	// declineWindow is the number of months averaged on each side of the
	// decline comparison; the rule needs twice as many months of history.
	declineWindow = 3
)

// rules holds the thresholds of the uptake flags.
type rules struct {
	poorUptakeRate float64 // active/authorised below this is poor uptake
	declineShare   float64 // fall in mean views at least this share is a decline
	wemwbsChange   int     // rise in WEMWBS counted as meaningful
	swemwbsChange  int     // rise in SWEMWBS counted as meaningful
	disclose       disclosure
}

// flag names a reason to bring an organisation to the board's attention.
type flag string

const (
	flagPoorUptake flag = "poor uptake"
	flagDeclining  flag = "declining"
)

// orgUsage is one partner organisation's figures for the report month.
type orgUsage struct {
	Code, Name, Type string
	GoLive           time.Time // zero when never live
	Authorised       int64
	Active           int64
	Viewed           int64 // records viewed in the report month
	Patients         int64
	// History holds records viewed per month, oldest first, ending with
	// the report month. It holds only the unbroken run of months the mart
	// has, at most 2*declineWindow.
	History []int64
}

// assessment is what the rules make of one organisation's month.
type assessment struct {
	Live       bool // live by the end of the report month
	MonthsLive int  // complete months live by the end of the report month

	HasUptake  bool    // authorised > 0
	UptakeRate float64 // active / authorised

	HasViewsPerActive bool    // active > 0
	ViewsPerActive    float64 // viewed / active

	HasTrend     bool    // enough history for the decline rule
	RecentMean   float64 // mean views over the last declineWindow months
	PreviousMean float64 // mean views over the declineWindow months before
	Change       float64 // (recent - previous) / previous; 0 when previous is 0

	Flags []flag // in the order poor uptake, declining
}

// monthsLive reports whether an organisation that went live on goLive was
// live by the end of the month starting at month, and for how many complete
// calendar months. A go-live on the 1st counts its month in full.
func monthsLive(goLive, month time.Time) (int, bool) {
	if goLive.IsZero() {
		return 0, false
	}
	end := month.AddDate(0, 1, 0) // first day of the following month
	if !goLive.Before(end) {
		return 0, false
	}
	n := (end.Year()-goLive.Year())*12 + int(end.Month()) - int(goLive.Month())
	if goLive.Day() > 1 { // end is always the 1st
		n--
	}
	return n, true
}

// assess applies the uptake and decline rules to one organisation's month.
//
// Poor uptake: live for at least minLiveMonths complete months and fewer
// than r.poorUptakeRate of authorised users active. An organisation live that
// long with no authorised users at all is flagged too.
//
// Declining: the mean records viewed over the last declineWindow months
// (report month included) is below the mean over the declineWindow months
// before by at least r.declineShare of the earlier mean, which must be above
// zero. Organisations without 2*declineWindow months of history are not
// judged.
func assess(o orgUsage, month time.Time, r rules) assessment {
	var a assessment
	a.MonthsLive, a.Live = monthsLive(o.GoLive, month)
	if o.Authorised > 0 {
		a.HasUptake = true
		a.UptakeRate = float64(o.Active) / float64(o.Authorised)
	}
	if o.Active > 0 {
		a.HasViewsPerActive = true
		a.ViewsPerActive = float64(o.Viewed) / float64(o.Active)
	}
	if a.Live && a.MonthsLive >= minLiveMonths && (!a.HasUptake || a.UptakeRate < r.poorUptakeRate) {
		a.Flags = append(a.Flags, flagPoorUptake)
	}

	if len(o.History) >= 2*declineWindow {
		h := o.History[len(o.History)-2*declineWindow:]
		var prev, recent int64
		for i, v := range h {
			if i < declineWindow {
				prev += v
			} else {
				recent += v
			}
		}
		a.HasTrend = true
		a.PreviousMean = float64(prev) / declineWindow
		a.RecentMean = float64(recent) / declineWindow
		if prev > 0 {
			a.Change = float64(recent-prev) / float64(prev)
			// Compare sums, not means, so that a fall of exactly the
			// threshold share is not lost to rounding.
			if float64(prev-recent) >= r.declineShare*float64(prev) {
				a.Flags = append(a.Flags, flagDeclining)
			}
		}
	}
	return a
}

// newRules checks the thresholds of opt and fills in the defaults.
func newRules(opt Options) (rules, error) {
	r := rules{poorUptakeRate: opt.PoorUptakeRate, declineShare: opt.DeclineShare,
		wemwbsChange: opt.WEMWBSChange, swemwbsChange: opt.SWEMWBSChange,
		disclose: disclosure{on: !opt.DisclosureOff}}
	if r.wemwbsChange == 0 {
		r.wemwbsChange = DefaultWEMWBSChange
	}
	if r.swemwbsChange == 0 {
		r.swemwbsChange = DefaultSWEMWBSChange
	}
	if r.wemwbsChange < 0 || r.swemwbsChange < 0 {
		return rules{}, fmt.Errorf("meaningful wellbeing change %d (WEMWBS), %d (SWEMWBS): must be positive", opt.WEMWBSChange, opt.SWEMWBSChange)
	}
	if r.poorUptakeRate == 0 {
		r.poorUptakeRate = DefaultPoorUptakeRate
	}
	if r.declineShare == 0 {
		r.declineShare = DefaultDeclineShare
	}
	if !(r.poorUptakeRate > 0 && r.poorUptakeRate <= 1) {
		return rules{}, fmt.Errorf("poor uptake rate %v: must be in (0, 1]", opt.PoorUptakeRate)
	}
	if !(r.declineShare > 0 && r.declineShare <= 1) {
		return rules{}, fmt.Errorf("decline share %v: must be in (0, 1]", opt.DeclineShare)
	}
	return r, nil
}
