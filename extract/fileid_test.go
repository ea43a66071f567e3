//go:build linux

package extract

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// filesSource opens each of its files and reads those not landed before.
type filesSource struct {
	root  string
	files []string
}

func (s filesSource) Extract(_ context.Context, w *Writer) error {
	for _, f := range s.files {
		in, err := w.Open(s.root, f)
		if errors.Is(err, ErrAlreadyLanded) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, in); err != nil {
			return err
		}
		if err := in.Close(); err != nil {
			return err
		}
	}
	return nil
}

// TestUnchangedFilesAreNotRead checks that a night does not read again a
// file an earlier run landed unless its identity on disk has changed, and
// that a file changed in place is landed again even when its size and
// modification time are put back as they were.
func TestUnchangedFilesAreNotRead(t *testing.T) {
	defer func(w time.Duration, h func(string) (string, int64, error)) { racyWindow, hashFile = w, h }(racyWindow, hashFile)
	racyWindow = 0
	hashed := 0
	hashFile = func(p string) (string, int64, error) {
		hashed++
		return hashFileContents(p)
	}
	lake, root := t.TempDir(), t.TempDir()
	for _, f := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("hello "+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := filesSource{root: root, files: []string{"a.txt", "b.txt"}}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// night lands src in a new run and returns each file's input.
	night := func(full bool) map[string]Input {
		t.Helper()
		at = at.Add(24 * time.Hour)
		hashed = 0
		r, err := NewRun(lake, at, nil)
		if err != nil {
			t.Fatal(err)
		}
		if full {
			r.Full()
		}
		sm, err := r.Land(context.Background(), "files", "test", src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Commit(at); err != nil {
			t.Fatal(err)
		}
		out := map[string]Input{}
		for _, in := range sm.Inputs {
			out[in.File] = in
		}
		return out
	}

	first := night(false)
	if first["a.txt"].Stat == (FileID{}) || first["a.txt"].Stat.Size != first["a.txt"].Bytes || first["a.txt"].LandedIn != "" {
		t.Fatalf("first landing of a.txt: %+v", first["a.txt"])
	}
	firstRun := at.Format("20060102T150405.000000Z")

	got := night(false)
	if hashed != 0 || got["a.txt"].LandedIn != firstRun || got["b.txt"].LandedIn != firstRun {
		t.Errorf("untouched files: %d hashed, inputs %+v; want none hashed, both landed in %s", hashed, got, firstRun)
	}
	if got["a.txt"].SHA256 != first["a.txt"].SHA256 || got["a.txt"].Bytes != first["a.txt"].Bytes {
		t.Errorf("skipped a.txt recorded as %+v, landed as %+v", got["a.txt"], first["a.txt"])
	}

	// a.txt changed in place: same size, modification time put back.
	pa := filepath.Join(root, "a.txt")
	fi, err := os.Stat(pa)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pa, []byte("HELLO a.txt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(pa, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	got = night(false)
	if got["a.txt"].LandedIn != "" || got["a.txt"].SHA256 == first["a.txt"].SHA256 {
		t.Errorf("a.txt changed in place was not landed again: %+v", got["a.txt"])
	}
	if hashed != 1 || got["b.txt"].LandedIn != firstRun {
		t.Errorf("%d files hashed, b.txt %+v; want a.txt alone hashed", hashed, got["b.txt"])
	}

	// b.txt's mode changed, not its bytes: hashed once, skipped, and then
	// known by its new identity.
	if err := os.Chmod(filepath.Join(root, "b.txt"), 0o640); err != nil {
		t.Fatal(err)
	}
	got = night(false)
	if hashed != 1 || got["b.txt"].LandedIn != firstRun {
		t.Errorf("after chmod: %d hashed, b.txt %+v; want it hashed and skipped", hashed, got["b.txt"])
	}
	if got = night(false); hashed != 0 || got["b.txt"].LandedIn != firstRun {
		t.Errorf("the night after: %d hashed, b.txt %+v; want none hashed", hashed, got["b.txt"])
	}

	// A file that changed within the racy window is hashed, and its
	// identity is not kept.
	racyWindow = time.Hour
	if got = night(false); hashed != 2 || got["a.txt"].Stat != (FileID{}) || got["a.txt"].LandedIn == "" {
		t.Errorf("racy: %d hashed, a.txt %+v; want both hashed, a.txt skipped with no identity", hashed, got["a.txt"])
	}
	racyWindow = 0

	// A full run reads everything.
	if got = night(true); got["a.txt"].LandedIn != "" || got["b.txt"].LandedIn != "" {
		t.Errorf("full run skipped a file: %+v", got)
	}
}
