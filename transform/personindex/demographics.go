package personindex

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unsafe"
)

// A night's index can keep the records' standardised demographics (names,
// date of birth, sex, postcode: 24 bytes a record, 340 MB at 10,000,000
// persons) in a file rather than in memory. Only two things read them,
// each in record order: the matcher, once, as it builds its columns, and
// the writer of person_link. In between, while the matcher compares and
// clusters and ids are assigned, they were a sixth of the index's heap.

// demoSize is a record's demographics' size on disk: the struct's bytes.
const demoSize = int64(unsafe.Sizeof(demo{}))

// demoPage is how many records' demographics a reader holds at once
// (1.5 MB).
var demoPage = 1 << 16

// demoFile holds records' demographics on disk, in record order, as their
// bytes in memory: the file is this process's alone, and is unlinked once
// made, so it goes when it is closed or the process ends, even killed.
type demoFile struct {
	f *os.File

	mu  sync.Mutex
	err error // the first read or write that failed
}

func createDemoFile(dir string) (*demoFile, error) {
	f, err := os.CreateTemp(dir, ".demographics-*")
	if err != nil {
		return nil, fmt.Errorf("making a file for the records' demographics: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("making a file for the records' demographics: %w", err)
	}
	return &demoFile{f: f}, nil
}

func demoBytes(ds []demo) []byte {
	if len(ds) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&ds[0])), int64(len(ds))*demoSize)
}

// writeAt writes the demographics of the records from position at on.
// Calls may overlap.
func (d *demoFile) writeAt(at int, ds []demo) error {
	if _, err := d.f.WriteAt(demoBytes(ds), int64(at)*demoSize); err != nil {
		return d.fail(fmt.Errorf("writing the records' demographics to %s: %w", d.f.Name(), err))
	}
	return nil
}

// readAt fills ds with the demographics of the records from position at
// on. Calls may overlap.
func (d *demoFile) readAt(at int, ds []demo) error {
	n, err := d.f.ReadAt(demoBytes(ds), int64(at)*demoSize)
	if err == io.EOF && int64(n) == int64(len(ds))*demoSize {
		err = nil
	}
	if err != nil {
		return d.fail(fmt.Errorf("reading the records' demographics back from %s: %w", d.f.Name(), err))
	}
	return nil
}

func (d *demoFile) fail(err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
	return err
}

// demographics returns a function giving record i's demographics, valid
// until its next call. Each function is for one goroutine; called in
// record order, it reads the file once. When a read fails the record's
// demographics are empty, and ls.Err says why.
func (ls *Links) demographics() func(i int) *demo {
	if ls == nil || ls.spill == nil {
		return func(i int) *demo { return &ls.demo[i] }
	}
	var page []demo
	lo := 0
	failed := demo{dob: noDate}
	return func(i int) *demo {
		if i < lo || i >= lo+len(page) {
			lo = i - i%demoPage
			want := min(demoPage, len(ls.recs)-lo)
			if cap(page) < want {
				page = make([]demo, want)
			}
			page = page[:want]
			if ls.spill.readAt(lo, page) != nil {
				page = page[:0]
				return &failed
			}
		}
		return &page[i-lo]
	}
}

// Err is the first error in keeping the demographics on disk, if any: a
// record read while it happened had none.
func (ls *Links) Err() error {
	if ls == nil || ls.spill == nil {
		return nil
	}
	ls.spill.mu.Lock()
	defer ls.spill.mu.Unlock()
	return ls.spill.err
}

// Close lets go of the file holding the demographics, if any: the links
// are no longer read. Calling it again does nothing.
func (ls *Links) Close() error {
	if ls == nil || ls.spill == nil {
		return nil
	}
	err := ls.spill.f.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}
