package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// InputFile is a source file being read. It hashes what is read so the
// manifest records exactly which bytes were landed; Close records it with the
// Writer.
type InputFile struct {
	w   *Writer
	f   *os.File
	h   hash.Hash
	n   int64
	rel string
	id  FileID // the file's identity when opened, if the system gives one
	eof bool   // Read has returned io.EOF: the caller saw the whole file
}

// ErrAlreadyLanded is returned by Writer.Open for a file whose exact bytes an
// earlier complete run has landed (since the last full run). The connector
// skips the file; the manifest records it as an input with LandedIn set, and
// loads keep using the earlier landing.
var ErrAlreadyLanded = errors.New("file already landed unchanged")

// Open opens root/rel for reading. rel is a slash-separated path relative to
// the source's root and becomes the _source_file lineage value. It returns
// ErrAlreadyLanded, and nothing to read, when the same bytes were landed
// before and the run is not full.
//
// A file an earlier run landed is not read again when it has the identity
// (FileID) it had when an earlier run hashed it; otherwise it is hashed
// and compared. Either way a night costs a stat, not a read, for each file
// of the history that has not changed.
func (w *Writer) Open(root, rel string) (*InputFile, error) {
	path := filepath.Join(root, filepath.FromSlash(rel))
	if prev := w.run.landed[w.source][rel]; len(prev) > 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("opening source file: %w", err)
		}
		id, known := stableID(fi)
		if sha, ok := w.run.hashed[w.source][rel][id]; known && ok {
			if run, ok := prev[sha]; ok {
				w.inputs = append(w.inputs, Input{File: rel, Bytes: id.Size, SHA256: sha, LandedIn: run, Stat: id})
				return nil, ErrAlreadyLanded
			}
		}
		sha, size, err := hashFile(path)
		if err != nil {
			return nil, err
		}
		if run, ok := prev[sha]; ok {
			in := Input{File: rel, Bytes: size, SHA256: sha, LandedIn: run}
			if known && size == id.Size {
				in.Stat = id // taken before the read: a write since shows in it
			}
			w.inputs = append(w.inputs, in)
			return nil, ErrAlreadyLanded
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening source file: %w", err)
	}
	in := &InputFile{w: w, f: f, h: sha256.New(), rel: rel}
	if fi, err := f.Stat(); err == nil {
		in.id, _ = stableID(fi)
	}
	return in, nil
}

// Name is the file's path relative to the source root.
func (in *InputFile) Name() string { return in.rel }

func (in *InputFile) Read(p []byte) (int, error) {
	n, err := in.f.Read(p)
	in.h.Write(p[:n])
	in.n += int64(n)
	if err == io.EOF {
		in.eof = true
	}
	return n, err
}

// Close reads whatever the caller left unread (so the hash covers the whole
// file), closes the file and records it as an input of the run. Once the
// caller has read to the end it reads nothing more: bytes appended to the
// file after that were not landed, and must not be in the recorded hash, or
// the next run would take the grown file for one already landed.
func (in *InputFile) Close() error {
	if !in.eof {
		if _, err := io.Copy(io.Discard, in); err != nil {
			in.f.Close()
			return fmt.Errorf("reading %s: %w", in.rel, err)
		}
	}
	if err := in.f.Close(); err != nil {
		return err
	}
	id := in.id
	if id.Size != in.n {
		id = FileID{} // written to while it was read: the next run hashes it
	}
	in.w.inputs = append(in.w.inputs, Input{File: in.rel, Bytes: in.n, SHA256: hex.EncodeToString(in.h.Sum(nil)), Stat: id})
	return nil
}

// Glob lists the files under root matching the slash-separated patterns, in
// lexical order, each once. A pattern that matches nothing is an error: a
// configured feed that is missing is a systemic failure, not an empty night.
func Glob(root string, patterns []string) ([]string, error) {
	fsys := os.DirFS(root)
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		m, err := fs.Glob(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("file pattern %q: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no file under %s matches %q", root, p)
		}
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// racyWindow is how long before it is looked at a file must have last
// changed for its FileID to be kept. On a file system with coarse
// timestamps a write in the same tick as the look would leave the FileID
// as it was; a file changed this recently is hashed by the next run too.
var racyWindow = 2 * time.Second

// stableID is fi's FileID, and false when the system gives none or the
// file changed within racyWindow.
func stableID(fi os.FileInfo) (FileID, bool) {
	id, ok := fileIDOf(fi)
	if !ok || time.Now().UnixNano()-id.ChangeTime < int64(racyWindow) {
		return FileID{}, false
	}
	return id, true
}

// hashFile is the SHA-256 and size of the file at path. A variable so that
// tests can count the files read.
var hashFile = hashFileContents

func hashFileContents(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("opening source file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
