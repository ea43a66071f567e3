package csv

import (
	"bufio"
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/sharedcare/sharedcare/extract"
)

// Column maps one column of the file to one landed field.
type Column struct {
	Name     string       // landed field name
	From     string       // header name in the file; empty means Name
	Position int          // 1-based column position; required when the file has no header
	Type     extract.Type // landed type
	Format   string       // Go time layout for date and timestamp columns
	Required bool         // an empty value rejects the record
}

// Encodings a file may be in.
const (
	UTF8        = "utf-8"        // with or without a byte-order mark
	Windows1252 = "windows-1252" // what many NHS extracts use
	Latin1      = "latin-1"      // ISO-8859-1
)

// Entity maps a set of files to one landed entity.
type Entity struct {
	Entity    string
	Files     []string // glob patterns relative to the source root
	Delimiter rune     // 0 means ','
	NoHeader  bool     // the first row is data; columns are found by Position
	Encoding  string   // UTF8 (default), Windows1252 or Latin1
	Columns   []Column
}

// Source reads delimited files under one root directory.
type Source struct {
	root     string
	entities []Entity
	loc      *time.Location
}

var _ extract.Source = (*Source)(nil)

// New checks the mapping; it opens nothing. Timestamps without an offset
// are read in loc (nil means UTC).
func New(root string, entities []Entity, loc *time.Location) (*Source, error) {
	if root == "" {
		return nil, errors.New("csv source: root directory is empty")
	}
	if len(entities) == 0 {
		return nil, errors.New("csv source: no entities mapped")
	}
	if loc == nil {
		loc = time.UTC
	}
	for i, e := range entities {
		if err := extract.ValidName(e.Entity); err != nil {
			return nil, fmt.Errorf("csv entity %d: %w", i, err)
		}
		if len(e.Files) == 0 {
			return nil, fmt.Errorf("csv entity %s: no files", e.Entity)
		}
		if len(e.Columns) == 0 {
			return nil, fmt.Errorf("csv entity %s: no columns", e.Entity)
		}
		switch e.Encoding {
		case "", UTF8, Windows1252, Latin1:
		default:
			return nil, fmt.Errorf("csv entity %s: unknown encoding %q (want %s, %s or %s)", e.Entity, e.Encoding, UTF8, Windows1252, Latin1)
		}
		if e.Delimiter == '"' || e.Delimiter == '\r' || e.Delimiter == '\n' || e.Delimiter == utf8.RuneError {
			return nil, fmt.Errorf("csv entity %s: %q cannot be a delimiter", e.Entity, e.Delimiter)
		}
		for _, c := range e.Columns {
			if (c.Type == extract.Date || c.Type == extract.Timestamp) && c.Format == "" {
				return nil, fmt.Errorf("csv entity %s column %s: %s needs a format", e.Entity, c.Name, c.Type)
			}
			if c.Type == extract.StringList {
				return nil, fmt.Errorf("csv entity %s column %s: string_list is not a CSV type", e.Entity, c.Name)
			}
			if c.Position < 0 || (e.NoHeader && c.Position == 0) {
				return nil, fmt.Errorf("csv entity %s column %s: a file without a header needs a position (1 = first column)", e.Entity, c.Name)
			}
		}
	}
	return &Source{root: root, entities: entities, loc: loc}, nil
}

// Extract lands every mapped file.
func (s *Source) Extract(ctx context.Context, w *extract.Writer) error {
	for _, e := range s.entities {
		schema := extract.Schema{Entity: e.Entity}
		for _, c := range e.Columns {
			schema.Fields = append(schema.Fields, extract.Field{Name: c.Name, Type: c.Type})
		}
		ew, err := w.Entity(schema)
		if err != nil {
			return err
		}
		files, err := extract.Glob(s.root, e.Files)
		if err != nil {
			return fmt.Errorf("entity %s: %w", e.Entity, err)
		}
		for _, f := range files {
			if err := s.extractFile(ctx, w, ew, e, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func decoder(enc string, r io.Reader) io.Reader {
	switch enc {
	case Windows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	case Latin1:
		return transform.NewReader(r, charmap.ISO8859_1.NewDecoder())
	}
	return r
}

func (s *Source) extractFile(ctx context.Context, w *extract.Writer, ew *extract.EntityWriter, e Entity, rel string) error {
	in, err := w.Open(s.root, rel)
	if errors.Is(err, extract.ErrAlreadyLanded) {
		return nil // unchanged since an earlier run landed it
	}
	if err != nil {
		return err
	}
	defer in.Close()
	br := bufio.NewReader(decoder(e.Encoding, in))
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	delim := e.Delimiter
	if delim == 0 {
		delim = ','
	}
	r := newReader(br, delim, readSize)
	idx := make([]int, len(e.Columns))
	width := -1 // expected fields per record: the header's, or the first record's
	if !e.NoHeader {
		header, err := readHeader(r)
		if err == io.EOF {
			return fmt.Errorf("%s: file is empty (no header row)", rel)
		}
		if err != nil {
			return fmt.Errorf("%s: reading header: %w", rel, err)
		}
		width = len(header)
		for i, c := range e.Columns {
			if c.Position > 0 {
				if c.Position > len(header) {
					return fmt.Errorf("%s: column %s is at position %d, the header has %d columns", rel, c.Name, c.Position, len(header))
				}
				idx[i] = c.Position - 1
				continue
			}
			from := c.From
			if from == "" {
				from = c.Name
			}
			idx[i] = -1
			for j, h := range header {
				if strings.TrimSpace(h) == from {
					idx[i] = j
					break
				}
			}
			if idx[i] < 0 {
				return fmt.Errorf("%s: header has no column %q (mapped to %s)", rel, from, c.Name)
			}
		}
	} else {
		for i, c := range e.Columns {
			idx[i] = c.Position - 1
		}
	}
	vals := extract.NewValues(len(e.Columns))
	layouts := make([]*fixedLayout, len(e.Columns))
	for i, c := range e.Columns {
		if c.Type == extract.Date || c.Type == extract.Timestamp {
			layouts[i] = compileLayout(c.Format)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Parsing runs on a goroutine of its own, a batch of records ahead of
	// the landing, so that the two use both cores. Returning stops it
	// before in is closed (deferred above).
	batches := make(chan *records, 2)
	free := make(chan *records, 4)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { readRecords(rel, r, batches, free, stop) })
	defer func() {
		close(stop)
		wg.Wait()
	}()
	n := 0
	for b := range batches {
		for k := range b.line {
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			raw := b.raw[b.rawStart[k]:b.rawEnd[k]]
			line := b.line[k]
			if pe := b.err[k]; pe != nil {
				pos := extract.Position{File: rel, N: line}
				if err := ew.Reject(pos, raw, extract.ReasonParse, fmt.Sprintf("%s line %d: %v", rel, pe.StartLine, pe.Err)); err != nil {
					return err
				}
				continue
			}
			rec := b.record(k)
			pos := extract.Position{File: rel, N: line}
			if width < 0 {
				width = rec.len()
			}
			if reason, msg := s.convert(e, width, idx, layouts, rec, vals); reason != "" {
				if err := ew.Reject(pos, raw, reason, fmt.Sprintf("%s line %d: %s", rel, line, msg)); err != nil {
					return err
				}
				continue
			}
			if err := ew.AppendValues(pos, raw, vals); err != nil {
				return err
			}
		}
		if b.fatal != nil {
			return b.fatal
		}
		select {
		case free <- b:
		default:
		}
	}
	return nil
}

// records is a batch of consecutive records of a file.
type records struct {
	raw        []byte // the records' text, and the text of fields that had to be unescaped
	rawStart   []int  // record k's exact text is raw[rawStart[k]:rawEnd[k]]
	rawEnd     []int
	text       string  // raw as a string, once the batch is finished
	valid      bool    // text is valid UTF-8, and so is every field
	bounds     []int   // where each field starts and ends in raw, two by two
	fieldStart []int   // record k's fields are fields fieldStart[k] to fieldStart[k+1]-1
	line       []int64 // the line record k starts on
	err        []*stdcsv.ParseError
	fatal      error // reading stopped after the records above: fails the run
}

func newRecords() *records {
	return &records{fieldStart: []int{0}}
}

func (b *records) reset() {
	b.raw, b.rawStart, b.rawEnd = b.raw[:0], b.rawStart[:0], b.rawEnd[:0]
	b.text, b.bounds, b.fieldStart = "", b.bounds[:0], b.fieldStart[:1]
	b.line, b.err, b.fatal = b.line[:0], b.err[:0], nil
}

// finish makes the batch's text, of which the fields are substrings: one
// allocation for the batch, which the fields keep alive after b is reused.
func (b *records) finish() {
	b.text = string(b.raw)
	// One pass over the batch (ASCII eight bytes at a time) spares convert
	// a check per field; a field is a substring of text cut at a delimiter,
	// or text with ASCII quotes and carriage returns taken out.
	b.valid = utf8.ValidString(b.text)
}

// record is record k's fields (of a finished batch).
func (b *records) record(k int) record {
	return record{b.text, b.bounds[2*b.fieldStart[k] : 2*b.fieldStart[k+1]], b.valid}
}

// A record is the fields of one record: field i is
// text[bounds[2*i]:bounds[2*i+1]]. Taking the substrings only as they are
// used keeps the reader from storing a string header per field, each a
// pointer write through the garbage collector's write barrier.
type record struct {
	text   string
	bounds []int
	valid  bool // every field is valid UTF-8
}

func (r record) len() int { return len(r.bounds) / 2 }

func (r record) field(i int) string { return r.text[r.bounds[2*i]:r.bounds[2*i+1]] }

// readHeader reads the first record. It returns io.EOF if there is none,
// and the record's *csv.ParseError if it does not parse.
func readHeader(r *reader) ([]string, error) {
	b := newRecords()
	if err := r.next(b); err != nil {
		return nil, err
	}
	if pe := b.err[0]; pe != nil {
		return nil, pe
	}
	b.finish()
	rec := b.record(0)
	header := make([]string, rec.len())
	for i := range header {
		header[i] = rec.field(i)
	}
	return header, nil
}

// readBatch is the number of records readRecords hands over at a time.
const readBatch = 512

// readRecords reads r to the end and sends its records to out in batches,
// then closes out. A record that does not parse is sent with its error;
// any other read error ends the last batch as its fatal error. It takes
// spent batches back from free, and returns early once stop is closed.
func readRecords(rel string, r *reader, out chan<- *records, free <-chan *records, stop <-chan struct{}) {
	defer close(out)
	var b *records
	send := func() bool {
		b.finish()
		select {
		case out <- b:
			b = nil
			return true
		case <-stop:
			return false
		}
	}
	for {
		if b == nil {
			select {
			case b = <-free:
				b.reset()
			default:
				b = newRecords()
			}
		}
		start := r.offset()
		err := r.next(b)
		if err == io.EOF {
			if len(b.line) > 0 {
				send()
			}
			return
		}
		if err != nil {
			b.fatal = fmt.Errorf("%s: reading at byte %d: %w", rel, start, err)
			send()
			return
		}
		if len(b.line) == readBatch && !send() {
			return
		}
	}
}

// convert fills vals from rec, or returns a reject reason and message. The
// message names the field but never echoes the value, which may identify a
// patient.
func (s *Source) convert(e Entity, width int, idx []int, layouts []*fixedLayout, rec record, vals *extract.Values) (string, string) {
	if rec.len() != width {
		return extract.ReasonFieldCount, fmt.Sprintf("%d fields, expected %d", rec.len(), width)
	}
	for i, c := range e.Columns {
		if idx[i] >= rec.len() {
			return extract.ReasonFieldCount, fmt.Sprintf("no field at position %d for %s", idx[i]+1, c.Name)
		}
		v := strings.TrimSpace(rec.field(idx[i]))
		if !rec.valid && !utf8.ValidString(v) {
			return extract.ReasonBadEncoding, fmt.Sprintf("field %s is not valid UTF-8 (is the file's encoding set?)", c.Name)
		}
		if v == "" {
			if c.Required {
				return extract.ReasonMissingField, fmt.Sprintf("required field %s is empty", c.Name)
			}
			vals.SetNull(i)
			continue
		}
		switch c.Type {
		case extract.String:
			vals.SetString(i, v)
		case extract.Int64:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not an integer", c.Name)
			}
			vals.SetInt64(i, n)
		case extract.Float64:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not a number", c.Name)
			}
			vals.SetFloat64(i, f)
		case extract.Date, extract.Timestamp:
			if l := layouts[i]; l != nil {
				if c.Type == extract.Date {
					// A date is a calendar day: its digits are the
					// value, with no zone and no time.Time to build.
					if d, ok := l.fields(v); ok {
						vals.SetDate(i, d.year, time.Month(d.month), d.day)
						continue
					}
				} else if t, ok := l.parse(v, s.loc); ok {
					vals.SetTime(i, t)
					continue
				}
			}
			t, err := time.ParseInLocation(c.Format, v, s.loc)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not a %s in layout %s", c.Name, c.Type, c.Format)
			}
			vals.SetTime(i, t)
		}
	}
	return "", ""
}
