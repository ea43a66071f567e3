package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
)

// Triggers passed to Job.Run (the same words as the run history's).
const (
	TriggerSchedule = "schedule" // at the job's scheduled time
	TriggerCatchUp  = "catch-up" // on start, for a scheduled time that was missed
)

// Job is one scheduled command.
type Job struct {
	Name string
	// Spec is a cron spec: five fields or a descriptor (@daily, @every 1h),
	// as config.ParseCron accepts.
	Spec string
	// Run does the job. The Daemon calls it from Run's goroutine, never two
	// (of any job) at once. scheduledFor is the slot it is for: the
	// scheduled instant, or for a catch-up the missed slot. It must return
	// soon after ctx is done. A panic is recovered and counted as a failure.
	Run func(ctx context.Context, trigger string, scheduledFor time.Time) error
}

// Options tune a Daemon.
type Options struct {
	// CatchUp runs, once on start, every job whose last scheduled time
	// before the start is later than its last success (or that never
	// succeeded). LastSuccess is then required.
	CatchUp bool
	// LastSuccess returns when the named job last succeeded.
	LastSuccess func(job string) (time.Time, bool)
	// Logger receives one line per job start and end; default discards.
	Logger *slog.Logger
	// MaxSleep caps one wait on the clock, so that a suspended host or a
	// stepped wall clock is noticed within it. Default one minute.
	MaxSleep time.Duration
}

// Stats counts one job's runs since the Daemon started.
type Stats struct {
	Runs      int // finished runs, whatever their outcome
	Failed    int // returned an error other than cancellation, or panicked
	Panicked  int
	Cancelled int
	LastStart time.Time
	LastEnd   time.Time
	LastErr   error
}

// PanicError is a job's recovered panic.
type PanicError struct {
	Job   string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("job %s panicked: %v", e.Job, e.Value) }

// Daemon runs jobs on their schedules in one time zone, one at a time.
type Daemon struct {
	jobs     []*job
	loc      *time.Location
	clock    Clock
	opts     Options
	log      *slog.Logger
	started  atomic.Bool
	mu       sync.Mutex // guards stats
	stats    map[string]Stats
	maxSleep time.Duration
}

type job struct {
	Job
	tt timetable
	// The pending slot: due at dueAt, for the slot (forWall, forAt).
	dueAt, forAt, forWall time.Time
	trigger               string
	pending               bool
	lastWall              time.Time // wall time of the last slot run
}

// New checks the jobs and returns a Daemon that will run them in loc
// (Europe/London when nil) by clock (SystemClock when nil). An error names
// the job and its spec.
func New(jobs []Job, loc *time.Location, clock Clock, opts Options) (*Daemon, error) {
	if loc == nil {
		l, err := time.LoadLocation("Europe/London")
		if err != nil {
			return nil, fmt.Errorf("loading the default time zone: %w", err)
		}
		loc = l
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if opts.CatchUp && opts.LastSuccess == nil {
		return nil, errors.New("schedule: catch-up needs Options.LastSuccess")
	}
	d := &Daemon{loc: loc, clock: clock, opts: opts, log: opts.Logger, stats: map[string]Stats{}, maxSleep: opts.MaxSleep}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.maxSleep <= 0 {
		d.maxSleep = time.Minute
	}
	now := clock.Now()
	seen := map[string]bool{}
	var errs []error
	for i, j := range jobs {
		name := j.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			errs = append(errs, fmt.Errorf("job %s: has no name", name))
		} else if seen[name] {
			errs = append(errs, fmt.Errorf("job %q: appears twice", name))
		}
		seen[name] = true
		if j.Run == nil {
			errs = append(errs, fmt.Errorf("job %q: has no Run func", name))
		}
		s, err := parse(j.Spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %q: %w", name, err))
			continue
		}
		tt := newTimetable(s, loc)
		if _, _, ok := tt.after(tt.wall(now), now); !ok {
			errs = append(errs, fmt.Errorf("job %q: cron spec %q never fires", name, j.Spec))
			continue
		}
		d.jobs = append(d.jobs, &job{Job: j, tt: tt})
	}
	if len(jobs) == 0 {
		errs = append(errs, errors.New("schedule: no jobs"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// parse is config.ParseCron, with any panic the parser still has turned
// into an error.
func parse(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid cron spec %q: %v", spec, r)
		}
	}()
	return config.ParseCron(spec)
}

// NextRuns returns, for each job, the next time after now it is scheduled
// (ignoring catch-up and any run in progress). A job that never fires again
// is left out. It does not touch the Daemon's state; call it at any time.
func (d *Daemon) NextRuns(now time.Time) map[string]time.Time {
	next := make(map[string]time.Time, len(d.jobs))
	for _, j := range d.jobs {
		if _, at, ok := j.tt.after(j.tt.wall(now), now); ok {
			next[j.Name] = at.In(d.loc)
		}
	}
	return next
}

// Stats returns each job's counts so far. Safe to call while Run runs.
func (d *Daemon) Stats() map[string]Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]Stats, len(d.stats))
	for k, v := range d.stats {
		out[k] = v
	}
	return out
}

// Run runs the catch-up, then each job at its scheduled times, until ctx is
// done; it then returns ctx.Err() as soon as the job in progress (whose
// ctx is the same) has returned. Job errors are logged and counted, not
// returned. Run may be called once.
func (d *Daemon) Run(ctx context.Context) error {
	if !d.started.CompareAndSwap(false, true) {
		return errors.New("schedule: Run called twice")
	}
	now := d.clock.Now()
	for _, j := range d.jobs {
		d.plan(j, j.tt.wall(now), now)
	}
	if d.opts.CatchUp {
		d.planCatchUp(now)
	}
	for _, j := range d.jobs {
		if j.pending {
			d.log.Info("job scheduled", "job", j.Name, "next", j.dueAt.In(d.loc), "trigger", j.trigger)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := d.clock.Now()
		if j := d.due(now); j != nil {
			d.run(ctx, j)
			continue
		}
		wait := d.maxSleep
		for _, j := range d.jobs {
			if j.pending && j.dueAt.Sub(now) < wait {
				wait = j.dueAt.Sub(now)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.clock.After(wait):
		}
	}
}

// plan sets j's next slot: the first after wall time from that is after now.
func (d *Daemon) plan(j *job, from, now time.Time) {
	w, at, ok := j.tt.after(from, now)
	j.pending, j.trigger = ok, TriggerSchedule
	j.dueAt, j.forAt, j.forWall = at, at, w
	if !ok {
		d.log.Warn("job will not run again: its schedule has no more times", "job", j.Name, "spec", j.Spec)
	}
}

// planCatchUp makes each job that missed a slot due now.
func (d *Daemon) planCatchUp(now time.Time) {
	for _, j := range d.jobs {
		last, ok := d.opts.LastSuccess(j.Name)
		if !ok {
			last = time.Time{}
		}
		w, at, missed := j.tt.latest(last, now)
		if !missed {
			continue
		}
		j.pending, j.trigger = true, TriggerCatchUp
		j.dueAt, j.forAt, j.forWall = now, at, w
		d.log.Info("job missed a scheduled run; catching up", "job", j.Name, "scheduled_for", at.In(d.loc), "last_success", last)
	}
}

// due returns the pending job due at now that is earliest (by due time,
// then slot, then order given to New), or nil.
func (d *Daemon) due(now time.Time) *job {
	var best *job
	for _, j := range d.jobs {
		if !j.pending || j.dueAt.After(now) {
			continue
		}
		if best == nil || j.dueAt.Before(best.dueAt) || j.dueAt.Equal(best.dueAt) && j.forAt.Before(best.forAt) {
			best = j
		}
	}
	return best
}

func (d *Daemon) run(ctx context.Context, j *job) {
	start := d.clock.Now()
	log := d.log.With("job", j.Name, "trigger", j.trigger, "scheduled_for", j.forAt.In(d.loc))
	log.Info("job starting")
	err := call(ctx, j)
	end := d.clock.Now()

	d.mu.Lock()
	s := d.stats[j.Name]
	s.Runs++
	s.LastStart, s.LastEnd, s.LastErr = start, end, err
	var pe *PanicError
	switch {
	case err == nil:
		log.Info("job succeeded", "took", end.Sub(start))
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		s.Cancelled++
		log.Warn("job cancelled", "took", end.Sub(start))
	case errors.As(err, &pe):
		s.Failed++
		s.Panicked++
		log.Error("job panicked", "error", err.Error(), "stack", string(pe.Stack))
	default:
		s.Failed++
		log.Error("job failed", "error", err.Error(), "took", end.Sub(start))
	}
	d.stats[j.Name] = s
	d.mu.Unlock()

	// The next slot comes after both this slot and the end of the run: a
	// run that overran its own next slot skips it rather than running twice.
	j.lastWall = j.forWall
	from := j.lastWall
	if w := j.tt.wall(end); w.After(from) {
		from = w
	}
	if _, at, ok := j.tt.after(j.lastWall, j.forAt); ok && !at.After(end) {
		log.Warn("job ran past its next scheduled time; that run is skipped", "skipped", at.In(d.loc))
	}
	d.plan(j, from, end)
}

func call(ctx context.Context, j *job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Job: j.Name, Value: r, Stack: debug.Stack()}
		}
	}()
	return j.Run(ctx, j.trigger, j.forAt.In(j.tt.loc))
}
