package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/extract"
)

// MaxLine is the longest audit line accepted, in bytes.
const MaxLine = 1 << 20

// Schema is the landed access_events entity.
var Schema = extract.Schema{Entity: "access_events", Fields: []extract.Field{
	{Name: "event_id", Type: extract.String},
	{Name: "accessed_at", Type: extract.Timestamp},
	{Name: "user_id", Type: extract.String},
	{Name: "org_code", Type: extract.String},
	{Name: "role", Type: extract.String},
	{Name: "nhs_number", Type: extract.String},
	{Name: "sections", Type: extract.StringList},
	{Name: "reason", Type: extract.String},
}}

// Source reads audit log files under a root directory.
type Source struct {
	root  string
	files []string
}

var _ extract.Source = (*Source)(nil)

// New returns a source for the files matching the glob patterns under root.
func New(root string, files []string) (*Source, error) {
	if root == "" {
		return nil, errors.New("audit source: root directory is empty")
	}
	if len(files) == 0 {
		return nil, errors.New("audit source: no file patterns")
	}
	return &Source{root: root, files: files}, nil
}

type event struct {
	EventID   *string  `json:"event_id"`
	Timestamp *string  `json:"timestamp"`
	UserID    *string  `json:"user_id"`
	OrgCode   *string  `json:"org_code"`
	Role      *string  `json:"role"`
	NHSNumber *string  `json:"nhs_number"`
	Sections  []string `json:"sections"`
	Reason    *string  `json:"reason"`
}

// Extract lands every line of every file.
func (s *Source) Extract(ctx context.Context, w *extract.Writer) error {
	ew, err := w.Entity(Schema)
	if err != nil {
		return err
	}
	files, err := extract.Glob(s.root, s.files)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := s.extractFile(ctx, w, ew, f); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) extractFile(ctx context.Context, w *extract.Writer, ew *extract.EntityWriter, rel string) error {
	in, err := w.Open(s.root, rel)
	if errors.Is(err, extract.ErrAlreadyLanded) {
		return nil // unchanged since an earlier run landed it
	}
	if err != nil {
		return err
	}
	defer in.Close()
	br := bufio.NewReaderSize(in, 64*1024)
	vals := make([]any, len(Schema.Fields))
	for n := int64(1); ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line, tooLong, err := readLine(br)
		if err == io.EOF && len(line) == 0 && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: reading line %d: %w", rel, n, err)
		}
		pos := extract.Position{File: rel, N: n}
		if tooLong {
			if err := ew.Reject(pos, line, extract.ReasonRecordTooLong, fmt.Sprintf("%s line %d: longer than %d bytes", rel, n, MaxLine)); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			// A blank line carries no record; it is counted as read and
			// rejected so that line counts reconcile.
			if err := ew.Reject(pos, line, "blank_line", fmt.Sprintf("%s line %d: blank", rel, n)); err != nil {
				return err
			}
			continue
		}
		if reason, msg := parse(line, vals); reason != "" {
			if err := ew.Reject(pos, line, reason, fmt.Sprintf("%s line %d: %s", rel, n, msg)); err != nil {
				return err
			}
			continue
		}
		if err := ew.Append(pos, line, vals); err != nil {
			return err
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine returns the next line without its end (LF or CRLF). When the line
// is longer than MaxLine it returns the first MaxLine bytes and tooLong, and
// skips the rest.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return buf, tooLong, err
		}
		if len(buf)+len(chunk) > MaxLine {
			tooLong = true
			if room := MaxLine - len(buf); room > 0 {
				buf = append(buf, chunk[:room]...)
			}
		} else {
			buf = append(buf, chunk...)
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

func parse(line []byte, vals []any) (reason, msg string) {
	if !utf8.Valid(line) {
		// encoding/json would land U+FFFD in place of the bad bytes.
		return extract.ReasonBadEncoding, "line is not valid UTF-8"
	}
	var ev event
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&ev); err != nil {
		return extract.ReasonParse, "not a JSON object: " + jsonErr(err)
	}
	if dec.More() {
		return extract.ReasonParse, "trailing data after the JSON object"
	}
	req := []struct {
		name string
		v    *string
	}{{"event_id", ev.EventID}, {"timestamp", ev.Timestamp}, {"user_id", ev.UserID}, {"org_code", ev.OrgCode}, {"nhs_number", ev.NHSNumber}}
	for _, r := range req {
		if r.v == nil || *r.v == "" {
			return extract.ReasonMissingField, "required field " + r.name + " is missing or empty"
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, *ev.Timestamp)
	if err != nil {
		return extract.ReasonBadValue, "field timestamp is not an RFC 3339 time"
	}
	vals[0] = *ev.EventID
	vals[1] = ts
	vals[2] = *ev.UserID
	vals[3] = *ev.OrgCode
	vals[4] = strOrNil(ev.Role)
	vals[5] = *ev.NHSNumber
	if ev.Sections == nil {
		vals[6] = nil
	} else {
		vals[6] = ev.Sections
	}
	vals[7] = strOrNil(ev.Reason)
	return "", ""
}

// jsonErr describes a decoding error without quoting the input.
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong JSON type", te.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated"
	}
	return "invalid JSON"
}

func strOrNil(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}
