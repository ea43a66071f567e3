package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"
)

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, london)
}

// run is one call of a job's func.
type run struct {
	job, trigger     string
	start, scheduled time.Time
}

// recorder makes job funcs that record their calls on a fake clock.
type recorder struct {
	clk      *FakeClock
	mu       sync.Mutex
	runs     []run
	inFlight int
	overlap  bool
}

// job returns a Job that takes took of fake time, then returns err (or
// panics, when panicWith is not nil).
func (r *recorder) job(name, spec string, took time.Duration, panicWith any) Job {
	return Job{Name: name, Spec: spec, Run: func(ctx context.Context, trigger string, scheduledFor time.Time) error {
		r.mu.Lock()
		r.inFlight++
		r.overlap = r.overlap || r.inFlight > 1
		r.runs = append(r.runs, run{name, trigger, r.clk.Now(), scheduledFor})
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.inFlight--
			r.mu.Unlock()
		}()
		if took > 0 {
			r.clk.Advance(took)
		}
		if panicWith != nil {
			panic(panicWith)
		}
		return ctx.Err()
	}}
}

// simulate runs d from the clock's time until the next wake is after until,
// moving the fake clock from wake to wake, and returns Run's result.
func simulate(t *testing.T, d *Daemon, clk *FakeClock, until time.Time) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drive, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- d.Run(ctx)
		stop()
	}()
	for {
		if err := clk.WaitForWaiters(drive, 1); err != nil {
			select {
			case err := <-done:
				return err
			default:
				t.Fatal("simulation took more than 10 s")
			}
		}
		next, _ := clk.NextWake()
		if next.After(until) {
			cancel()
			return <-done
		}
		clk.Set(next)
	}
}

func newDaemon(t *testing.T, jobs []Job, clk *FakeClock, opts Options) *Daemon {
	t.Helper()
	d, err := New(jobs, london, clk, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// perDay counts runs per local date.
func perDay(runs []run) map[string]int {
	n := map[string]int{}
	for _, r := range runs {
		n[r.start.In(london).Format(time.DateOnly)]++
	}
	return n
}

// TestRobfigDST pins down what robfig/cron does on its own across the
// changes, which is why the Daemon walks wall time instead.
func TestRobfigDST(t *testing.T) {
	s, err := parse("30 1 * * *")
	if err != nil {
		t.Fatal(err)
	}
	count := func(day time.Time) int {
		n := 0
		for x := s.Next(day.Add(-time.Second)); x.Before(day.AddDate(0, 0, 1)); x = s.Next(x) {
			n++
		}
		return n
	}
	if n := count(at(2026, 3, 29, 0, 0)); n != 0 {
		t.Errorf("robfig runs 30 1 * * * %d times on 2026-03-29; this package's docs say 0", n)
	}
	if n := count(at(2026, 10, 25, 0, 0)); n != 2 {
		t.Errorf("robfig runs 30 1 * * * %d times on 2026-10-25; this package's docs say 2", n)
	}
}

func TestDST(t *testing.T) {
	tests := []struct {
		name        string
		spec        string
		from        time.Time
		changeDay   string
		onChangeDay int
		otherDays   int
		firstOnDay  time.Time // the first run on the change day
	}{
		{"spring 01:30 runs at the end of the gap", "30 1 * * *", at(2026, 3, 25, 12, 0), "2026-03-29", 1, 1, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"spring 01:00 runs at the end of the gap", "0 1 * * *", at(2026, 3, 25, 12, 0), "2026-03-29", 1, 1, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"spring 02:00 exists", "0 2 * * *", at(2026, 3, 25, 12, 0), "2026-03-29", 1, 1, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"spring 00:59 before the gap", "59 0 * * *", at(2026, 3, 25, 12, 0), "2026-03-29", 1, 1, time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC)},
		{"spring half-hourly: gap slots merge", "*/30 * * * *", at(2026, 3, 25, 12, 0), "2026-03-29", 46, 48, time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
		{"autumn 01:30 first occurrence only", "30 1 * * *", at(2026, 10, 21, 12, 0), "2026-10-25", 1, 1, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"autumn 01:00 first occurrence only", "0 1 * * *", at(2026, 10, 21, 12, 0), "2026-10-25", 1, 1, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)},
		{"autumn 02:00 once", "0 2 * * *", at(2026, 10, 21, 12, 0), "2026-10-25", 1, 1, time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC)},
		{"autumn half-hourly: each wall time once", "*/30 * * * *", at(2026, 10, 21, 12, 0), "2026-10-25", 48, 48, time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := NewFakeClock(tt.from)
			rec := &recorder{clk: clk}
			d := newDaemon(t, []Job{rec.job("nightly", tt.spec, time.Minute, nil)}, clk, Options{})
			until := tt.from.AddDate(0, 0, 7)
			if err := simulate(t, d, clk, until); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			days := perDay(rec.runs)
			first := tt.from.AddDate(0, 0, 1)
			for day := first; day.Before(until.AddDate(0, 0, -1)); day = day.AddDate(0, 0, 1) {
				key := day.Format(time.DateOnly)
				want := tt.otherDays
				if key == tt.changeDay {
					want = tt.onChangeDay
				}
				if days[key] != want {
					t.Errorf("%s: %d runs, want %d", key, days[key], want)
				}
			}
			for _, r := range rec.runs {
				if r.start.In(london).Format(time.DateOnly) == tt.changeDay {
					if !r.start.Equal(tt.firstOnDay) || !r.scheduled.Equal(tt.firstOnDay) {
						t.Errorf("first run on %s at %v for %v, want %v", tt.changeDay, r.start.In(london), r.scheduled, tt.firstOnDay.In(london))
					}
					break
				}
			}
		})
	}
}

func TestMonthly(t *testing.T) {
	clk := NewFakeClock(at(2026, 1, 15, 9, 0))
	rec := &recorder{clk: clk}
	d := newDaemon(t, []Job{rec.job("board-report", "0 6 1 * *", 10*time.Minute, nil)}, clk, Options{MaxSleep: time.Hour})
	simulate(t, d, clk, at(2026, 4, 20, 0, 0))
	want := []time.Time{at(2026, 2, 1, 6, 0), at(2026, 3, 1, 6, 0), at(2026, 4, 1, 6, 0)}
	if len(rec.runs) != len(want) {
		t.Fatalf("runs %v, want at %v", rec.runs, want)
	}
	for i, r := range rec.runs {
		if !r.start.Equal(want[i]) || r.trigger != TriggerSchedule || r.start.In(london).Hour() != 6 {
			t.Errorf("run %d at %v (%s), want %v", i, r.start.In(london), r.trigger, want[i])
		}
	}
}

func TestNoOverlap(t *testing.T) {
	clk := NewFakeClock(at(2026, 5, 1, 12, 0))
	rec := &recorder{clk: clk}
	d := newDaemon(t, []Job{
		rec.job("nightly", "0 2 * * *", 3*time.Hour, nil), // runs 02:00–05:00
		rec.job("report", "30 2 * * *", time.Minute, nil), // due during nightly
		rec.job("hourly", "0 * * * *", time.Minute, nil),
	}, clk, Options{})
	simulate(t, d, clk, at(2026, 5, 3, 12, 0))
	if rec.overlap {
		t.Error("two jobs ran at once")
	}
	var report []run
	for _, r := range rec.runs {
		if r.job == "report" {
			report = append(report, r)
		}
	}
	if len(report) != 2 {
		t.Fatalf("report ran %d times in two days, want 2: %v", len(report), report)
	}
	for _, r := range report {
		day := r.scheduled.In(london)
		if r.scheduled.In(london).Hour() != 2 || r.scheduled.In(london).Minute() != 30 {
			t.Errorf("report scheduled for %v, want 02:30", day)
		}
		// nightly ends at 05:00; hourly's 02:00 slot (due before report's) runs first.
		if want := time.Date(day.Year(), day.Month(), day.Day(), 5, 1, 0, 0, london); !r.start.Equal(want) {
			t.Errorf("report started %v, want %v (after nightly and hourly)", r.start.In(london), want)
		}
	}
	hourlyPerDay := map[string]int{}
	for _, r := range rec.runs {
		if r.job == "hourly" {
			hourlyPerDay[r.scheduled.In(london).Format(time.DateOnly)]++
		}
	}
	// 24 slots; 03:00, 04:00 and 05:00 pass while nightly runs and are skipped.
	if n := hourlyPerDay["2026-05-02"]; n != 21 {
		t.Errorf("hourly ran %d times for 2026-05-02, want 21", n)
	}
}

func TestPanicRecovered(t *testing.T) {
	clk := NewFakeClock(at(2026, 5, 1, 12, 0))
	rec := &recorder{clk: clk}
	d := newDaemon(t, []Job{
		rec.job("boom", "0 3 * * *", 0, "index out of range"),
		rec.job("after", "0 4 * * *", 0, nil),
	}, clk, Options{})
	simulate(t, d, clk, at(2026, 5, 3, 12, 0))
	st := d.Stats()
	if b := st["boom"]; b.Runs != 2 || b.Failed != 2 || b.Panicked != 2 {
		t.Errorf("boom stats %+v, want 2 runs, 2 failed, 2 panicked", b)
	} else if pe, ok := errors.AsType[*PanicError](b.LastErr); !ok || pe.Job != "boom" || len(pe.Stack) == 0 {
		t.Errorf("last error %v, want a *PanicError with a stack", b.LastErr)
	}
	if a := st["after"]; a.Runs != 2 || a.Failed != 0 {
		t.Errorf("after stats %+v, want 2 clean runs", a)
	}
}

func TestCancel(t *testing.T) {
	t.Run("while waiting", func(t *testing.T) {
		start := at(2026, 5, 1, 12, 0)
		clk := NewFakeClock(start)
		rec := &recorder{clk: clk}
		d := newDaemon(t, []Job{rec.job("nightly", "0 2 * * *", 0, nil)}, clk, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		clk.WaitForWaiters(context.Background(), 1)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		case <-time.After(time.Second):
			t.Fatal("Run did not return within a second of cancel")
		}
		if !clk.Now().Equal(start) || len(rec.runs) != 0 {
			t.Errorf("clock moved to %v / %d runs; want no fake time and no run", clk.Now(), len(rec.runs))
		}
	})
	t.Run("while a job runs", func(t *testing.T) {
		clk := NewFakeClock(at(2026, 5, 1, 1, 59))
		started := make(chan struct{})
		var sawCancel bool
		d := newDaemon(t, []Job{{Name: "nightly", Spec: "0 2 * * *", Run: func(ctx context.Context, _ string, _ time.Time) error {
			close(started)
			<-ctx.Done()
			sawCancel = true
			return fmt.Errorf("building warehouse: %w", ctx.Err())
		}}}, clk, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		clk.WaitForWaiters(context.Background(), 1)
		clk.Advance(time.Minute)
		<-started
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || !sawCancel {
				t.Errorf("Run = %v (job saw cancel: %v)", err, sawCancel)
			}
		case <-time.After(time.Second):
			t.Fatal("Run did not return within a second of cancel")
		}
		if s := d.Stats()["nightly"]; s.Cancelled != 1 || s.Failed != 0 {
			t.Errorf("stats %+v, want one cancelled run", s)
		}
	})
}

func TestNewErrors(t *testing.T) {
	noop := func(context.Context, string, time.Time) error { return nil }
	tests := []struct {
		name string
		jobs []Job
		opts Options
		want []string
	}{
		{"bad field", []Job{{Name: "nightly", Spec: "61 2 * * *", Run: noop}}, Options{}, []string{`job "nightly"`, "61"}},
		{"TZ prefix", []Job{{Name: "nightly", Spec: "TZ=Europe/London 0 2 * * *", Run: noop}}, Options{}, []string{`job "nightly"`, "schedule.timezone"}},
		{"TZ without space", []Job{{Name: "monthly", Spec: "CRON_TZ=UTC", Run: noop}}, Options{}, []string{`job "monthly"`}},
		{"empty spec", []Job{{Name: "nightly", Spec: "", Run: noop}}, Options{}, []string{`job "nightly"`}},
		{"seconds field", []Job{{Name: "nightly", Spec: "0 0 2 * * *", Run: noop}}, Options{}, []string{`job "nightly"`}},
		{"never fires", []Job{{Name: "leap", Spec: "0 0 30 2 *", Run: noop}}, Options{}, []string{`job "leap"`, "never fires"}},
		{"duplicate", []Job{{Name: "a", Spec: "@daily", Run: noop}, {Name: "a", Spec: "@daily", Run: noop}}, Options{}, []string{`job "a": appears twice`}},
		{"no run func", []Job{{Name: "a", Spec: "@daily"}}, Options{}, []string{`job "a": has no Run func`}},
		{"no name", []Job{{Spec: "@daily", Run: noop}}, Options{}, []string{"job #1: has no name"}},
		{"no jobs", nil, Options{}, []string{"no jobs"}},
		{"catch-up without history", []Job{{Name: "a", Spec: "@daily", Run: noop}}, Options{CatchUp: true}, []string{"LastSuccess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.jobs, london, NewFakeClock(at(2026, 5, 1, 0, 0)), tt.opts)
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCatchUp(t *testing.T) {
	start := at(2026, 5, 12, 9, 0) // a Tuesday
	type success struct {
		at time.Time
		ok bool
	}
	tests := []struct {
		name    string
		catchUp bool
		last    map[string]success
		want    []string // job@scheduled_for (local) of the catch-up runs, in order
	}{
		{"off", false, nil, nil},
		{"up to date", true, map[string]success{"nightly": {at(2026, 5, 12, 2, 5), true}, "report": {at(2026, 5, 1, 6, 10), true}}, nil},
		{"missed last night", true, map[string]success{"nightly": {at(2026, 5, 11, 2, 5), true}, "report": {at(2026, 5, 1, 6, 10), true}}, []string{"nightly@2026-05-12 02:00"}},
		{"missed several nights: once", true, map[string]success{"nightly": {at(2026, 5, 2, 2, 5), true}, "report": {at(2026, 5, 1, 6, 10), true}}, []string{"nightly@2026-05-12 02:00"}},
		{"missed the monthly report", true, map[string]success{"nightly": {at(2026, 5, 12, 2, 5), true}, "report": {at(2026, 4, 1, 6, 10), true}}, []string{"report@2026-05-01 06:00"}},
		{"never succeeded: oldest slot first", true, nil, []string{"report@2026-05-01 06:00", "nightly@2026-05-12 02:00"}},
		{"success at the slot itself", true, map[string]success{"nightly": {at(2026, 5, 12, 2, 0), true}, "report": {at(2026, 5, 1, 6, 0), true}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := NewFakeClock(start)
			rec := &recorder{clk: clk}
			opts := Options{CatchUp: tt.catchUp, LastSuccess: func(job string) (time.Time, bool) {
				s := tt.last[job]
				return s.at, s.ok
			}}
			d := newDaemon(t, []Job{
				rec.job("nightly", "0 2 * * *", 30*time.Minute, nil),
				rec.job("report", "0 6 1 * *", 5*time.Minute, nil),
			}, clk, opts)
			simulate(t, d, clk, at(2026, 5, 13, 12, 0))
			var got []string
			for _, r := range rec.runs {
				if r.trigger == TriggerCatchUp {
					got = append(got, r.job+"@"+r.scheduled.In(london).Format("2006-01-02 15:04"))
					if r.start.Before(start) || r.start.After(start.Add(time.Hour)) {
						t.Errorf("catch-up of %s started at %v, want at start", r.job, r.start)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("catch-ups %v, want %v", got, tt.want)
			}
			// The regular slot still runs once the next night.
			if n := perDay(rec.runs)["2026-05-13"]; n != 1 {
				t.Errorf("%d runs on 2026-05-13, want the nightly once", n)
			}
			if rec.overlap {
				t.Error("jobs overlapped")
			}
		})
	}
}

func TestNextRuns(t *testing.T) {
	clk := NewFakeClock(at(2026, 1, 1, 0, 0))
	noop := func(context.Context, string, time.Time) error { return nil }
	d := newDaemon(t, []Job{{Name: "nightly", Spec: "30 1 * * *", Run: noop}, {Name: "report", Spec: "0 6 1 * *", Run: noop}}, clk, Options{})
	tests := []struct {
		now           time.Time
		nightly, rept time.Time
	}{
		{at(2026, 3, 28, 12, 0), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), at(2026, 4, 1, 6, 0)},
		{at(2026, 10, 25, 0, 50), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), at(2026, 11, 1, 6, 0)},
		// 01:10 GMT, the second pass through 01:xx: 01:30 has already been.
		{time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC), time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), at(2026, 11, 1, 6, 0)},
		{at(2026, 12, 31, 23, 0), at(2027, 1, 1, 1, 30), at(2027, 1, 1, 6, 0)},
	}
	for _, tt := range tests {
		got := d.NextRuns(tt.now)
		if !got["nightly"].Equal(tt.nightly) || !got["report"].Equal(tt.rept) {
			t.Errorf("NextRuns(%v) = %v, want nightly %v, report %v", tt.now, got, tt.nightly.In(london), tt.rept)
		}
	}
}
