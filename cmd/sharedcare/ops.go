package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
	"github.com/sharedcare/sharedcare/cmd/sharedcare/runlock"
)

func lockPath(cfg *config.Config) string {
	return filepath.Join(cfg.Path(cfg.Lake), "sharedcare.lock")
}

func historyPath(cfg *config.Config) string {
	return filepath.Join(cfg.Path(cfg.Lake), "history", "runs.jsonl")
}

// runInfo says what started a tracked run.
type runInfo struct {
	Command      string    // "run" or "report"
	Job          string    // schedule job name; empty for a manual run
	Trigger      string    // history.Manual, history.Schedule or history.CatchUp
	ScheduledFor time.Time // the slot a scheduled run is for
}

// tracked runs fn holding the run lock, which covers the daemon's jobs and
// manual runs alike, and records it in the run history: a "running" record
// first, then its outcome with the steps and counts fn put in rec.
func tracked(ctx context.Context, cfg *config.Config, log *slog.Logger, info runInfo, fn func(ctx context.Context, rec *history.Record) error) (err error) {
	lock, err := runlock.Acquire(lockPath(cfg), runlock.Self(info.Command))
	if err != nil {
		return err
	}
	defer func() {
		if rerr := lock.Release(); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if h := lock.RecoveredFrom; h != nil {
		log.Warn("took over the lock of a run that did not finish", "pid", h.PID, "command", h.Command, "started", h.Started)
	}
	host, _ := os.Hostname()
	start := time.Now().UTC()
	rec := history.Record{
		RunID: fmt.Sprintf("%s-%d", start.Format("20060102T150405.000000Z"), os.Getpid()), Job: info.Job,
		Command: info.Command, Trigger: info.Trigger, ScheduledFor: info.ScheduledFor,
		PID: os.Getpid(), Host: host, Start: start, Status: history.Running,
	}
	hp := historyPath(cfg)
	if err := history.Append(hp, rec); err != nil {
		return fmt.Errorf("recording run start: %w", err)
	}
	err = fn(ctx, &rec)
	rec.End = time.Now().UTC()
	switch {
	case err == nil:
		rec.Status = history.Succeeded
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		rec.Status = history.Cancelled
		rec.Error = "cancelled"
	default:
		rec.Status = history.Failed
		rec.Error = err.Error()
	}
	if herr := history.Append(hp, rec); herr != nil {
		return errors.Join(err, fmt.Errorf("recording run outcome: %w", herr))
	}
	return err
}

// stepRecorder collects a run's steps for the history.
type stepRecorder struct {
	rec *history.Record
	// probe, if set, is called as each step ends (the bench measures CPU
	// time and peak memory per step with it).
	probe func(name string)
}

func (s stepRecorder) add(name string, start time.Time, read, landed, rejected int64, err error) {
	if s.rec == nil {
		return
	}
	st := history.Step{Name: name, Start: start.UTC(), End: time.Now().UTC(), Status: history.Succeeded, Read: read, Landed: landed, Rejected: rejected}
	if err != nil {
		st.Status, st.Error = history.Failed, err.Error()
	}
	s.rec.Steps = append(s.rec.Steps, st)
	s.rec.Read += read
	s.rec.Landed += landed
	s.rec.Rejected += rejected
	if s.probe != nil {
		s.probe(name)
	}
}
