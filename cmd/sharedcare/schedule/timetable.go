package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// A timetable turns a cron schedule into instants in a time zone, running
// each local wall-clock time at most once across daylight-saving changes.
//
// robfig/cron's SpecSchedule.Next works on the instants of the location it
// is given, and so across a change it (verified with v3.0.1 in
// Europe/London) skips a job whose time falls in the hour the clocks jump
// over (30 1 * * * does not run at all on 2026-03-29) and runs a job twice
// whose time falls in the hour the clocks go back over (30 1 * * * runs at
// 01:30 BST and again at 01:30 GMT on 2026-10-25). A timetable instead walks
// the schedule on the wall clock — local times written as UTC, which has no
// daylight saving — and maps each wall time to an instant: the first of the
// two for a repeated time, and the end of the gap (02:00 BST in London) for
// a time that does not exist.
//
// Schedules that are not cron fields (@every 1h) are durations, not wall
// times, and are walked on instants.
type timetable struct {
	sched  cron.Schedule
	loc    *time.Location
	onWall bool
}

func newTimetable(s cron.Schedule, loc *time.Location) timetable {
	_, spec := s.(*cron.SpecSchedule)
	return timetable{sched: s, loc: loc, onWall: spec}
}

// wall returns t's local wall-clock time written as UTC.
func (tt timetable) wall(t time.Time) time.Time {
	if !tt.onWall {
		return t.UTC()
	}
	l := t.In(tt.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// instant returns when wall time w first happens in loc, or when the gap
// that swallowed it ends.
func (tt timetable) instant(w time.Time) time.Time {
	if !tt.onWall {
		return w
	}
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), tt.loc)
	switch got := tt.wall(t); {
	case got.After(w): // in a gap, normalised forward: the gap ended when t's zone began
		start, _ := t.ZoneBounds()
		return start
	case got.Before(w): // in a gap, normalised backward: the gap ends when t's zone ends
		_, end := t.ZoneBounds()
		return end
	}
	return t.Add(-repeatedBy(t))
}

// repeatedBy returns how long before t the same wall time happened, when t
// is in the second pass through an interval the clocks went back over; else 0.
func repeatedBy(t time.Time) time.Duration {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return 0
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, after := t.Zone()
	back := time.Duration(before-after) * time.Second
	if back > 0 && t.Sub(start) < back {
		return back
	}
	return 0
}

// after returns the first slot whose wall time is after from and whose
// instant is after now. ok is false if the schedule never fires again.
func (tt timetable) after(from, now time.Time) (wall, at time.Time, ok bool) {
	w := from
	for range 100000 {
		w = tt.sched.Next(w)
		if w.IsZero() {
			return time.Time{}, time.Time{}, false
		}
		if at := tt.instant(w); at.After(now) {
			return w, at, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// latest returns the last slot whose instant is after since (when since is
// not zero) and at or before now.
func (tt timetable) latest(since, now time.Time) (wall, at time.Time, ok bool) {
	if !tt.onWall {
		// A duration: one slot is due a period after the last success.
		if since.IsZero() {
			return tt.wall(now), now, true
		}
		next := tt.sched.Next(since)
		return next.UTC(), next, !next.After(now)
	}
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 367 * 24 * time.Hour} {
		from := now.Add(-back)
		if !since.IsZero() && from.Before(since) {
			from = since
		}
		w := tt.wall(from).Add(-time.Second) // a slot at exactly from counts
		for range 1_000_000 {
			w = tt.sched.Next(w)
			if w.IsZero() {
				break
			}
			a := tt.instant(w)
			if a.After(now) {
				break
			}
			if since.IsZero() || a.After(since) {
				wall, at, ok = w, a, true
			}
		}
		if ok || from.Equal(since) {
			return wall, at, ok
		}
	}
	return wall, at, ok
}
