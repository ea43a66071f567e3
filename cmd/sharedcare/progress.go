package main

import (
	"log/slog"
	"sync"
	"time"
)

// progressEvery is how often a step still under way is reported. A night
// of a 1,000,000-person region has no step this long; at 5,000,000 the
// person index and the load take minutes each, and without these lines
// the log would say nothing while they run.
var progressEvery = 30 * time.Second

// progress reports, at Info, every progressEvery while a pipeline step is
// under way: which step, for how long, and what it last got to (records
// landed so far, the index phase, the last SQL file done). Lines carry
// counts and names of steps and files only, never a record's values.
type progress struct {
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	step    string // empty between steps
	started time.Time
	at      string // what the step last got to, for the line
	landed  int64  // records the run had landed when the step began
	landedN int64  // records the run has landed so far
}

// startProgress starts the reporter; close stops it.
func startProgress(log *slog.Logger) *progress {
	p := &progress{log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop(progressEvery)
	return p
}

func (p *progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.report(now, every)
		}
	}
}

func (p *progress) report(now time.Time, every time.Duration) {
	p.mu.Lock()
	step, el, at, landed := p.step, now.Sub(p.started), p.at, p.landedN-p.landed
	p.mu.Unlock()
	if step == "" || el < every {
		return
	}
	args := []any{"step", step, "seconds", roundSec(el)}
	if landed > 0 {
		args = append(args, "records_landed", landed)
	}
	if at != "" {
		args = append(args, "at", at)
	}
	p.log.Info("still running", args...)
}

// The methods below do nothing on a nil *progress.

// begin says step has started.
func (p *progress) begin(step string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.step, p.started, p.at, p.landed = step, time.Now(), "", p.landedN
	p.mu.Unlock()
}

// reached says what the current step has got to.
func (p *progress) reached(at string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.at = at
	p.mu.Unlock()
}

// landedSoFar is the extract's count of records landed in the run.
func (p *progress) landedSoFar(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.landedN = n
	p.mu.Unlock()
}

// end says the current step is over.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.step = ""
	p.mu.Unlock()
}

// close stops the reporter.
func (p *progress) close() {
	close(p.stop)
	<-p.done
}
