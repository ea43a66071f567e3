package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/history"
)

// cli starts this test binary as the sharedcare CLI with args.
func cli(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SHAREDCARE_BE_CLI=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func exitStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// waitFor polls the run history until cond holds or the deadline passes.
func waitFor(t *testing.T, r *e2e, d time.Duration, cond func([]history.Record) bool) []history.Record {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		recs, _, _ := history.Read(historyPath(r.cfg))
		if cond(recs) {
			return recs
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("history condition not met within %s", d)
	return nil
}

// TestSIGTERMDuringRun: the run is cancelled, exits 4 within seconds, is
// recorded as cancelled, and the published warehouse is byte-identical.
func TestSIGTERMDuringRun(t *testing.T) {
	r := newRegion(t, 20000, 17, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	sum, err := runPipeline(context.Background(), r.cfg, r.log, time.Now, runOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	cmd, out := cli(t, "run", "--full", "--config", r.cfg.File)
	waitFor(t, r, 30*time.Second, func(recs []history.Record) bool {
		return len(recs) > 0 && recs[len(recs)-1].Status == history.Running
	})
	time.Sleep(200 * time.Millisecond) // into the extract
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("took %s to stop", took)
	}
	if code := exitStatus(err); code != ExitCancelled {
		t.Fatalf("exit code %d, want %d (cancelled); output:\n%s", code, ExitCancelled, out)
	}
	after, err := os.ReadFile(sum.Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the published warehouse changed")
	}
	recs, _, _ := history.Read(historyPath(r.cfg))
	if last := recs[len(recs)-1]; last.Status != history.Cancelled {
		t.Errorf("run recorded as %s, want cancelled", last.Status)
	}
	if _, err := os.Stat(sum.Warehouse + ".building"); !os.IsNotExist(err) {
		t.Error("the half-built warehouse was left behind")
	}
}

// TestDaemonRunsJobAndStops: a real daemon with a short schedule runs its
// job, records it, and stops on SIGTERM with exit code 0.
func TestDaemonRunsJobAndStops(t *testing.T) {
	r := newRegion(t, 300, 19, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	text, err := os.ReadFile(r.cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(text), "schedule:")
	short := string(text[:i]) + "schedule:\n  timezone: Europe/London\n  catch_up: false\n  jobs:\n    - {name: frequent, cron: \"@every 2s\", command: run}\n"
	if err := os.WriteFile(r.cfg.File, []byte(short), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := cli(t, "schedule", "--config", r.cfg.File)
	recs := waitFor(t, r, 60*time.Second, func(recs []history.Record) bool {
		for _, rec := range recs {
			if rec.Job == "frequent" && rec.Status == history.Succeeded {
				return true
			}
		}
		return false
	})
	if recs[0].Trigger != history.Schedule {
		t.Errorf("trigger %s", recs[0].Trigger)
	}
	// A manual run while the daemon holds the schedule is still possible
	// between jobs, but never two at once: the lock file exists.
	if _, err := os.Stat(lockPath(r.cfg)); err != nil {
		t.Error(err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitStatus(err); code != ExitOK {
			t.Errorf("daemon exit code %d; output:\n%s", code, out)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("daemon did not stop on SIGTERM; output:\n%s", out)
	}
}

// TestSchedulerAndManualRunRace: while the daemon's job holds the run lock,
// a manual run is refused with exit code 3 naming the holder, and the
// daemon's run still completes.
func TestSchedulerAndManualRunRace(t *testing.T) {
	r := newRegion(t, 20000, 23, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	text, err := os.ReadFile(r.cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(text), "schedule:")
	short := string(text[:i]) + "schedule:\n  timezone: Europe/London\n  catch_up: true\n  jobs:\n    - {name: nightly, cron: \"30 1 * * *\", command: run}\n"
	if err := os.WriteFile(r.cfg.File, []byte(short), 0o600); err != nil {
		t.Fatal(err)
	}
	// catch_up with no success yet: the daemon runs the job at once.
	daemon, dout := cli(t, "schedule", "--config", r.cfg.File)
	defer daemon.Process.Kill()
	waitFor(t, r, 30*time.Second, func(recs []history.Record) bool {
		return len(recs) > 0 && recs[0].Status == history.Running && recs[0].Trigger == history.CatchUp
	})
	manual, mout := cli(t, "run", "--config", r.cfg.File)
	err = manual.Wait()
	if code := exitStatus(err); code != ExitLocked {
		t.Fatalf("manual run during the daemon's job: exit %d, want %d; output:\n%s", code, ExitLocked, mout)
	}
	if !strings.Contains(mout.String(), "(run, started") {
		t.Errorf("the refusal does not name the holder:\n%s", mout)
	}
	recs := waitFor(t, r, 60*time.Second, func(recs []history.Record) bool {
		return len(recs) > 0 && recs[0].Status != history.Running
	})
	if recs[0].Status != history.Succeeded {
		t.Errorf("the daemon's run ended %s: %s\n%s", recs[0].Status, recs[0].Error, dout)
	}
	daemon.Process.Signal(syscall.SIGTERM)
	daemon.Wait()
}
