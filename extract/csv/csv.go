package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/extract"
)

// Column maps one column of the file to one landed field.
type Column struct {
	Name     string       // landed field name
	From     string       // header name in the file; empty means Name
	Type     extract.Type // landed type
	Format   string       // Go time layout for date and timestamp columns
	Required bool         // an empty value rejects the record
}

// Entity maps a set of files to one landed entity.
type Entity struct {
	Entity    string
	Files     []string // glob patterns relative to the source root
	Delimiter rune     // 0 means ','
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
		for _, c := range e.Columns {
			if (c.Type == extract.Date || c.Type == extract.Timestamp) && c.Format == "" {
				return nil, fmt.Errorf("csv entity %s column %s: %s needs a format", e.Entity, c.Name, c.Type)
			}
			if c.Type == extract.StringList {
				return nil, fmt.Errorf("csv entity %s column %s: string_list is not a CSV type", e.Entity, c.Name)
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

func (s *Source) extractFile(ctx context.Context, w *extract.Writer, ew *extract.EntityWriter, e Entity, rel string) error {
	in, err := w.Open(s.root, rel)
	if errors.Is(err, extract.ErrAlreadyLanded) {
		return nil // unchanged since an earlier run landed it
	}
	if err != nil {
		return err
	}
	defer in.Close()
	delim := e.Delimiter
	if delim == 0 {
		delim = ','
	}
	r := stdcsv.NewReader(in)
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: file is empty (no header row)", rel)
	}
	if err != nil {
		return fmt.Errorf("%s: reading header: %w", rel, err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	idx := make([]int, len(e.Columns))
	for i, c := range e.Columns {
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
	vals := make([]any, len(e.Columns))
	var raw bytes.Buffer
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := r.FieldPos(0)
		pos := extract.Position{File: rel, N: int64(line)}
		raw.Reset()
		for i, f := range rec {
			if i > 0 {
				raw.WriteRune(delim)
			}
			raw.WriteString(f)
		}
		if err != nil {
			var pe *stdcsv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("%s: reading line %d: %w", rel, line, err)
			}
			pos.N = int64(pe.StartLine)
			if err := ew.Reject(pos, raw.Bytes(), extract.ReasonParse, fmt.Sprintf("%s line %d: %v", rel, pe.StartLine, pe.Err)); err != nil {
				return err
			}
			continue
		}
		if reason, msg := s.convert(e, header, idx, rec, vals); reason != "" {
			if err := ew.Reject(pos, raw.Bytes(), reason, fmt.Sprintf("%s line %d: %s", rel, line, msg)); err != nil {
				return err
			}
			continue
		}
		if err := ew.Append(pos, raw.Bytes(), vals); err != nil {
			return err
		}
	}
}

// convert fills vals from rec, or returns a reject reason and message. The
// message names the field but never echoes the value, which may identify a
// patient.
func (s *Source) convert(e Entity, header []string, idx []int, rec []string, vals []any) (string, string) {
	if len(rec) != len(header) {
		return extract.ReasonFieldCount, fmt.Sprintf("%d fields, header has %d", len(rec), len(header))
	}
	for i, c := range e.Columns {
		v := strings.TrimSpace(rec[idx[i]])
		if !utf8.ValidString(v) {
			return "bad_encoding", fmt.Sprintf("field %s is not valid UTF-8", c.Name)
		}
		if v == "" {
			if c.Required {
				return extract.ReasonMissingField, fmt.Sprintf("required field %s is empty", c.Name)
			}
			vals[i] = nil
			continue
		}
		switch c.Type {
		case extract.String:
			vals[i] = v
		case extract.Int64:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not an integer", c.Name)
			}
			vals[i] = n
		case extract.Float64:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not a number", c.Name)
			}
			vals[i] = f
		case extract.Date, extract.Timestamp:
			t, err := time.ParseInLocation(c.Format, v, s.loc)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("field %s is not a %s in layout %s", c.Name, c.Type, c.Format)
			}
			vals[i] = t
		}
	}
	return "", ""
}
