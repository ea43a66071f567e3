package fhir

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/extract"
)

// Limits.
const (
	// MaxLine is the longest NDJSON line accepted, in bytes. A longer line
	// is rejected with record_too_long and skipped without being held in
	// memory beyond this size.
	MaxLine = 16 << 20
	// MaxDocument is the largest single-resource or Bundle JSON file
	// accepted, in bytes; such a file is read whole. A larger file is
	// rejected (one record, record_too_long).
	MaxDocument = 256 << 20
	// maxBundleDepth bounds Bundles nested in Bundles.
	maxBundleDepth = 8
)

// Reject reasons of this connector, beside the shared extract.Reason*.
const (
	// ReasonUnsupported is a resource of a type no entity lands.
	ReasonUnsupported = "unsupported_resource"
	// ReasonOperationOutcome is an OperationOutcome (a server's error or
	// warning report, such as a PDS error response), which holds no record.
	ReasonOperationOutcome = "operation_outcome"
	// ReasonBlankLine is an empty line inside an NDJSON file.
	ReasonBlankLine = "blank_line"
)

// Source reads FHIR R4 resources from files under a root directory.
type Source struct {
	root   string
	files  []string
	maxLn  int
	maxDoc int64
}

var _ extract.Source = (*Source)(nil)

// New returns a source for the files matching the slash-separated glob
// patterns under root. It checks the configuration and opens nothing.
func New(root string, files []string) (*Source, error) {
	if root == "" {
		return nil, errors.New("fhir source: root directory is empty")
	}
	if len(files) == 0 {
		return nil, errors.New("fhir source: no file patterns")
	}
	for _, p := range files {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("fhir source: file pattern %q: %w", p, err)
		}
	}
	return &Source{root: root, files: files, maxLn: MaxLine, maxDoc: MaxDocument}, nil
}

// Extract lands every resource of every matching file. Every entity is
// declared up front, so the manifest always lists all of them in the same
// order, with an (empty) file for an entity that had no rows.
func (s *Source) Extract(ctx context.Context, w *extract.Writer) error {
	var ws writerSink
	for i, sc := range Schemas {
		ew, err := w.Entity(sc)
		if err != nil {
			return err
		}
		ws[i] = ew
	}
	files, err := extract.Glob(s.root, s.files)
	if err != nil {
		return err
	}
	x := &extractor{ctx: ctx, sink: &ws, maxLn: s.maxLn, maxDoc: s.maxDoc}
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.extractFile(x, w, rel); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) extractFile(x *extractor, w *extract.Writer, rel string) error {
	in, err := w.Open(s.root, rel)
	if errors.Is(err, extract.ErrAlreadyLanded) {
		return nil // unchanged since an earlier run landed it
	}
	if err != nil {
		return err
	}
	if isNDJSON(rel) {
		err = x.ndjson(rel, in)
	} else {
		err = x.document(rel, in)
	}
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	return err
}

// isNDJSON reports whether a file is read as NDJSON (one resource per line)
// rather than as one JSON document, by its extension.
func isNDJSON(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".ndjson" || ext == ".jsonl"
}

// A sink receives the outcome of every record.
type sink interface {
	land(entity int, pos extract.Position, raw []byte, vals []any) error
	reject(entity int, pos extract.Position, raw []byte, reason, msg string) error
}

type writerSink [numEntities]*extract.EntityWriter

func (ws *writerSink) land(e int, pos extract.Position, raw []byte, vals []any) error {
	return ws[e].Append(pos, raw, vals)
}

func (ws *writerSink) reject(e int, pos extract.Position, raw []byte, reason, msg string) error {
	return ws[e].Reject(pos, raw, reason, msg)
}

// extractor turns files into records for a sink.
type extractor struct {
	ctx    context.Context
	sink   sink
	maxLn  int
	maxDoc int64
	n      int
	buf    []byte
}

var bom = []byte("\xef\xbb\xbf")

// ndjson reads one resource per line; the position is the line number.
func (x *extractor) ndjson(rel string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for n := int64(1); ; n++ {
		line, tooLong, err := x.readLine(br)
		if err == io.EOF && len(line) == 0 && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: reading line %d: %w", rel, n, err)
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, bom)
		}
		pos := extract.Position{File: rel, N: n}
		where := "line " + strconv.FormatInt(n, 10)
		switch {
		case tooLong:
			err = x.reject(entUnrouted, pos, where, line, extract.ReasonRecordTooLong, fmt.Sprintf("longer than %d bytes", x.maxLn))
		case len(bytes.TrimSpace(line)) == 0:
			err = x.reject(entUnrouted, pos, where, line, ReasonBlankLine, "blank line")
		default:
			err = x.resource(pos, where, line, "", nil, 0, false)
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its end (LF or CRLF), in a buffer
// reused by the next call. A line longer than maxLn comes back cut to maxLn
// bytes with tooLong set; the rest is skipped.
func (x *extractor) readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	buf := x.buf[:0]
	defer func() { x.buf = buf[:0] }()
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return buf, tooLong, err
		}
		if len(buf)+len(chunk) > x.maxLn {
			tooLong = true
			if room := x.maxLn - len(buf); room > 0 {
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

// document reads a file holding one JSON resource, which may be a Bundle.
// A single resource has position 1; a Bundle's entries have their 1-based
// entry index.
func (x *extractor) document(rel string, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, x.maxDoc+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	pos := extract.Position{File: rel, N: 1}
	if int64(len(data)) > x.maxDoc {
		return x.reject(entUnrouted, pos, "", data, extract.ReasonRecordTooLong, fmt.Sprintf("file larger than %d bytes", x.maxDoc))
	}
	data = bytes.TrimPrefix(data, bom)
	if len(bytes.TrimSpace(data)) == 0 {
		return x.reject(entUnrouted, pos, "", data, extract.ReasonParse, "empty file")
	}
	return x.resource(pos, "", data, "", nil, 0, true)
}

// reject records a rejected record; where locates it inside its file.
func (x *extractor) reject(e int, pos extract.Position, where string, raw []byte, reason, msg string) error {
	if where == "" {
		msg = pos.File + ": " + msg
	} else {
		msg = pos.File + " " + where + ": " + msg
	}
	return x.sink.reject(e, pos, raw, reason, msg)
}

type head struct {
	ResourceType json.RawMessage `json:"resourceType"`
	ID           json.RawMessage `json:"id"`
}

// jsonString decodes a JSON string; ok is false for null, absent or another
// type, present is false for null or absent.
func jsonString(raw json.RawMessage) (s string, present, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, false
	}
	if json.Unmarshal(raw, &s) != nil {
		return "", true, false
	}
	return s, true, true
}

// resource handles one resource: it lands it in its entity, expands a
// Bundle, or rejects it. fullURL is its Bundle entry's fullUrl, rs resolves
// references within the enclosing Bundles, depth counts the enclosing
// Bundles, and entryPos gives a Bundle's entries their own positions.
func (x *extractor) resource(pos extract.Position, where string, raw []byte, fullURL string, rs *refs, depth int, entryPos bool) error {
	x.n++
	if x.n%1024 == 0 {
		if err := x.ctx.Err(); err != nil {
			return err
		}
	}
	if depth == 0 && !utf8.Valid(raw) {
		// encoding/json would land U+FFFD in place of the bad bytes.
		return x.reject(entUnrouted, pos, where, raw, extract.ReasonBadEncoding, "not valid UTF-8")
	}
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return x.reject(entUnrouted, pos, where, raw, extract.ReasonParse, "not a JSON object")
		}
		return x.reject(entUnrouted, pos, where, raw, extract.ReasonParse, jsonErr(err))
	}
	rt, present, ok := jsonString(h.ResourceType)
	switch {
	case !present || ok && rt == "":
		return x.reject(entUnrouted, pos, where, raw, extract.ReasonMissingField, "no resourceType")
	case !ok:
		return x.reject(entUnrouted, pos, where, raw, extract.ReasonBadValue, "resourceType is not a string")
	}
	id, present, ok := jsonString(h.ID)
	if present && !ok {
		e := entUnrouted
		if r, known := routes[rt]; known {
			e = r.entity
		}
		return x.reject(e, pos, where, raw, extract.ReasonBadValue, "field id is not a string")
	}
	if id == "" {
		id = idFromFullURL(fullURL)
	}
	switch rt {
	case "Bundle":
		return x.bundle(pos, where, raw, rs, depth, entryPos)
	case "OperationOutcome":
		return x.reject(entUnrouted, pos, where, raw, ReasonOperationOutcome, outcomeSummary(raw))
	}
	r, known := routes[rt]
	if !known {
		name := "unknown resource type"
		if isTypeName(rt) && len(rt) <= 64 {
			name = "resource type " + rt
		}
		return x.reject(entUnrouted, pos, where, raw, ReasonUnsupported, name+" is not landed")
	}
	vals, reason, msg := r.m(raw, id, rs)
	if reason != "" {
		return x.reject(r.entity, pos, where, raw, reason, rt+": "+msg)
	}
	return x.sink.land(r.entity, pos, raw, vals)
}

// idFromFullURL gives a resource without an id the one its Bundle entry's
// fullUrl names: the UUID of urn:uuid:UUID, or the id of .../Type/id.
func idFromFullURL(u string) string {
	if u == "" {
		return ""
	}
	if id, ok := strings.CutPrefix(u, "urn:uuid:"); ok {
		return id
	}
	if strings.HasPrefix(u, "urn:") {
		return ""
	}
	s := normRefString(u, "", nil)
	if i := strings.LastIndexByte(s, '/'); i > 0 && isTypeName(s[:i]) {
		return s[i+1:]
	}
	return ""
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
}

func (x *extractor) bundle(pos extract.Position, where string, raw []byte, parent *refs, depth int, entryPos bool) error {
	if depth >= maxBundleDepth {
		return x.reject(entUnrouted, pos, where, raw, extract.ReasonBadValue, fmt.Sprintf("Bundle nested more than %d deep", maxBundleDepth))
	}
	var b struct {
		Entry []bundleEntry `json:"entry"`
	}
	if reason, msg := decode(raw, &b); reason != "" {
		return x.reject(entUnrouted, pos, where, raw, reason, "Bundle: "+msg)
	}
	rs := &refs{byURL: map[string]string{}, parent: parent}
	for _, e := range b.Entry {
		if e.FullURL == "" || len(e.Resource) == 0 {
			continue
		}
		var h head
		if json.Unmarshal(e.Resource, &h) != nil {
			continue
		}
		rt, _, _ := jsonString(h.ResourceType)
		id, _, _ := jsonString(h.ID)
		if id == "" {
			id = idFromFullURL(e.FullURL)
		}
		if isTypeName(rt) && id != "" {
			rs.byURL[e.FullURL] = rt + "/" + id
		}
	}
	for i, e := range b.Entry {
		p := pos
		if entryPos {
			p.N = int64(i + 1)
		}
		w := "entry " + strconv.Itoa(i+1)
		switch {
		case strings.HasPrefix(where, "entry "):
			w = where + "." + strconv.Itoa(i+1)
		case where != "":
			w = where + " " + w
		}
		var err error
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			err = x.reject(entUnrouted, p, w, nil, extract.ReasonMissingField, "Bundle entry has no resource")
		} else {
			err = x.resource(p, w, e.Resource, e.FullURL, rs, depth+1, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// outcomeSummary describes an OperationOutcome by its issue codes only:
// diagnostics text may quote the request's patient details.
func outcomeSummary(raw []byte) string {
	var oo struct {
		Issue []struct {
			Severity string           `json:"severity"`
			Code     string           `json:"code"`
			Details  *codeableConcept `json:"details"`
		} `json:"issue"`
	}
	json.Unmarshal(raw, &oo) // best effort: the outcome is rejected anyway
	var parts []string
	for _, is := range oo.Issue {
		s := codeLike(is.Severity) + "/" + codeLike(is.Code)
		if c := preferredCoding(is.Details); c != nil && codeLike(c.Code) != "" {
			s += " (" + codeLike(c.Code) + ")"
		}
		parts = append(parts, s)
		if len(parts) == 5 {
			break
		}
	}
	if len(parts) == 0 {
		return "OperationOutcome with no issue"
	}
	return "OperationOutcome: " + strings.Join(parts, ", ")
}

// codeLike returns s if it looks like a code (letters, digits, - _ .; at
// most 64 bytes), else "".
func codeLike(s string) string {
	if len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return ""
		}
	}
	return s
}

// jsonErr describes a decoding error without quoting the input.
func jsonErr(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "truncated JSON"
	}
	return "not valid JSON"
}
