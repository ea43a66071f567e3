package runlock

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary re-executes itself as a lock holder when this is set to
// a lock path.
const holderEnv = "RUNLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holderEnv); path != "" {
		os.Exit(hold(path))
	}
	os.Exit(m.Run())
}

// hold takes the lock, says so on stdout and waits to be killed.
func hold(path string) int {
	l, err := Acquire(path, Self("run"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder did not lock: %q, %v", line, err)
	}
	return cmd
}

func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lake", "sharedcare.lock")
	holder := startHolder(t, path)
	pid := holder.Process.Pid

	_, err := Acquire(path, Self("report"))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Acquire while held: got %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("error %T is not a *LockedError", err)
	}
	if !le.Known || le.Holder.PID != pid || le.Holder.Command != "run" {
		t.Errorf("holder = %+v (known %v), want pid %d running run", le.Holder, le.Known, pid)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", pid), "run", le.Holder.Started.Format(time.RFC3339), path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %q", err, want)
		}
	}
	if h, ok, err := Inspect(path); err != nil || !ok || h.PID != pid || !Alive(h) {
		t.Errorf("Inspect = %+v, %v, %v; want live pid %d", h, ok, err, pid)
	}

	// kill -9: the kernel drops the flock; the file still names the holder.
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.Wait()
	if h, ok, _ := Inspect(path); !ok || Alive(h) {
		t.Errorf("after kill, Inspect = %+v, %v; want a dead holder", h, ok)
	}
	l, err := Acquire(path, Self("report"))
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	if l.RecoveredFrom == nil || l.RecoveredFrom.PID != pid {
		t.Errorf("RecoveredFrom = %+v, want pid %d", l.RecoveredFrom, pid)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

func TestAcquire(t *testing.T) {
	dead := Holder{PID: 1 << 30, Command: "run", Started: time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), Host: "etl-1"}
	deadJSON, _ := json.Marshal(dead)
	tests := []struct {
		name      string
		content   string // lock file before Acquire; "-" for no file
		recovered *Holder
	}{
		{"no file", "-", nil},
		{"released (empty) file", "", nil},
		{"stale holder after a crash", string(deadJSON) + "\n", &dead},
		{"garbage left by a crash mid-write", `{"pid": 12`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sharedcare.lock")
			if tt.content != "-" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			me := Self("run")
			l, err := Acquire(path, me)
			if err != nil {
				t.Fatal(err)
			}
			if (l.RecoveredFrom == nil) != (tt.recovered == nil) ||
				(tt.recovered != nil && !l.RecoveredFrom.Started.Equal(tt.recovered.Started)) {
				t.Errorf("RecoveredFrom = %+v, want %+v", l.RecoveredFrom, tt.recovered)
			}
			h, ok, err := Inspect(path)
			if err != nil || !ok || h.PID != os.Getpid() || !h.Started.Equal(me.Started) {
				t.Errorf("file names %+v (%v, %v), want this process", h, ok, err)
			}
			// A second Acquire in the same process is refused too.
			if _, err := Acquire(path, me); !errors.Is(err, ErrLocked) {
				t.Errorf("second Acquire: %v, want ErrLocked", err)
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 && tt.content == "-" {
				t.Errorf("lock file mode: %v %v", st.Mode(), err)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := Inspect(path); ok {
				t.Error("file still names a holder after Release")
			}
			l2, err := Acquire(path, me)
			if err != nil {
				t.Fatalf("Acquire after Release: %v", err)
			}
			if l2.RecoveredFrom != nil {
				t.Errorf("clean release reported as recovered: %+v", l2.RecoveredFrom)
			}
			l2.Release()
		})
	}
}
