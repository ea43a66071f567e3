package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// outFile is one file of a report, by path relative to the month directory.
type outFile struct {
	Rel  string
	Data []byte
}

// publish writes files into a new directory beside dir/name and renames it
// into place, replacing any earlier report for the month. Each file is
// written as .partial and renamed once closed. Readers see the old report,
// then briefly no report, then the whole new one; never part of one.
func publish(dir, name string, files []outFile) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating reports directory %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, "."+name+".partial-")
	if err != nil {
		return fmt.Errorf("creating working directory in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.RemoveAll(tmp))
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return fmt.Errorf("setting permissions on %s: %w", tmp, err)
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(f.Rel)), f.Data); err != nil {
			return err
		}
	}

	final := filepath.Join(dir, name)
	var old string
	if _, err := os.Lstat(final); err == nil {
		suffix := strings.TrimPrefix(filepath.Base(tmp), "."+name+".partial-")
		old = filepath.Join(dir, "."+name+".old-"+suffix)
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("moving earlier report %s aside: %w", final, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking for an earlier report %s: %w", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			err = errors.Join(err, os.Rename(old, final))
		}
		return fmt.Errorf("publishing report %s: %w", final, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("removing earlier report %s: %w", old, err)
		}
	}
	return nil
}

// writeFile writes data to path.partial, syncs and closes it, then renames
// it to path.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating directory for %s: %w", path, err)
	}
	partial := path + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", partial, err)
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(fmt.Errorf("writing %s: %w", partial, err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("syncing %s: %w", partial, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", partial, err)
	}
	if err := os.Rename(partial, path); err != nil {
		return fmt.Errorf("renaming %s: %w", partial, err)
	}
	return nil
}
