package runlock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Holder describes the process that holds (or held) the lock. It is written
// into the lock file as JSON.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Host    string    `json:"host"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("pid %d (%s, started %s", h.PID, orUnknown(h.Command), h.Started.Format(time.RFC3339))
	if h.Host != "" {
		s += " on " + h.Host
	}
	return s + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown command"
	}
	return s
}

// Self returns a Holder for the calling process running command, started now.
func Self(command string) Holder {
	host, _ := os.Hostname() // an unknown host is shown as empty, not an error
	return Holder{PID: os.Getpid(), Command: command, Started: time.Now().Truncate(time.Second), Host: host}
}

// ErrLocked is matched (errors.Is) by every *LockedError.
var ErrLocked = errors.New("another sharedcare process holds the run lock")

// LockedError is returned by Acquire when another process holds the lock.
// Holder is what that process wrote into the file; Known is false when the
// file could not be read or the holder had not yet written it (the window
// between its flock and its write).
type LockedError struct {
	Path   string
	Holder Holder
	Known  bool
}

func (e *LockedError) Error() string {
	if !e.Known {
		return fmt.Sprintf("lock %s is held by another process (holder not yet recorded)", e.Path)
	}
	return fmt.Sprintf("lock %s is held by %s", e.Path, e.Holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held run lock.
type Lock struct {
	// Path is the lock file.
	Path string
	// Holder is what this process wrote into the file.
	Holder Holder
	// RecoveredFrom, when not nil, is the holder left in the file by a
	// process that exited without releasing the lock (a crash or kill -9).
	RecoveredFrom *Holder

	f *os.File
}

// Acquire takes the lock at path without waiting, creating the file (0600)
// and its directory (0700) if needed, and records info in it. If another
// process holds the lock it returns a *LockedError; other errors are I/O
// problems with the lock file.
func Acquire(path string, info Holder) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		h, known := readHolder(f)
		f.Close() // read-only use of this descriptor; nothing to flush
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: h, Known: known}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	l := &Lock{Path: path, Holder: info, f: f}
	if prev, ok := readHolder(f); ok {
		l.RecoveredFrom = &prev
	}
	data, err := json.Marshal(info)
	if err == nil {
		err = writeAll(f, append(data, '\n'))
	}
	if err != nil {
		if rerr := l.Release(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, fmt.Errorf("writing lock %s: %w", path, err)
	}
	return l, nil
}

func writeAll(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// Release truncates the lock file and unlocks it. It is safe to call more
// than once; calls after the first return nil.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	err := f.Truncate(0)
	if uerr := flock(f, syscall.LOCK_UN); uerr != nil && err == nil {
		err = uerr
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("releasing lock %s: %w", l.Path, err)
	}
	return nil
}

// Inspect reports what the lock file at path says without touching the lock.
// ok is false when the file is missing or empty (nobody holds the lock, or a
// holder is between its flock and its write). A holder whose PID is not alive
// on this host is stale: Alive tells them apart.
func Inspect(path string) (h Holder, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("reading lock %s: %w", path, err)
	}
	defer f.Close() // read-only
	h, ok = readHolder(f)
	return h, ok, nil
}

// Alive reports whether h could still be holding the lock: its process exists
// on this host. For a holder on another host it returns true (it cannot tell).
// A reused PID makes it answer true for a dead holder; only Acquire is sure.
func Alive(h Holder) bool {
	if host, _ := os.Hostname(); h.Host != "" && host != "" && h.Host != host {
		return true
	}
	return PIDAlive(h.PID)
}

// PIDAlive reports whether a process with this pid exists on this host.
func PIDAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func readHolder(f *os.File) (Holder, bool) {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return Holder{}, false
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		return Holder{}, false
	}
	return h, true
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
