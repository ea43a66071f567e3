package hl7

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MLLP framing bytes: a message is sent as startBlock, message, endBlock, CR.
const (
	startBlock = 0x0B
	endBlock   = 0x1C
)

var bom = []byte("\xEF\xBB\xBF")

// Delimiters are the encoding characters of one message, from MSH-1 (field
// separator) and MSH-2 (component, repetition, escape and subcomponent
// separators, in that order).
type Delimiters struct {
	Field, Component, Repetition, Escape, Subcomponent byte
}

// ErrParse is wrapped by every error that makes a message unparseable.
var ErrParse = errors.New("hl7 parse error")

func parseErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrParse}, args...)...)
}

// Message is one parsed message. Its byte slices alias the input.
type Message struct {
	Raw      []byte // the message as read, from its first segment to the end of its last
	Delims   Delimiters
	Segments []Segment
}

// Segment is one segment of a message. Fields[n] is SEG-n, undecoded;
// Fields[0] is the segment name. For MSH, Fields[1] is the field separator
// and Fields[2] the encoding characters, so MSH-n is Fields[n] as well.
type Segment struct {
	Name   string
	Fields [][]byte
	d      *Delimiters
}

// Field returns SEG-n. A field beyond the end of the segment is absent:
// its Present is false.
func (s Segment) Field(n int) Value {
	if n < 0 || n >= len(s.Fields) {
		return Value{d: s.d}
	}
	return Value{raw: s.Fields[n], d: s.d, present: true}
}

// Value is a field, repetition, component or subcomponent, undecoded.
type Value struct {
	raw     []byte
	d       *Delimiters
	present bool
}

// Present reports whether the value was in the message at all (an empty
// field between two separators is present; one after the last is not).
func (v Value) Present() bool { return v.present }

// IsNull reports whether the value is the HL7 explicit null `""`, which
// tells the receiver to delete what it holds.
func (v Value) IsNull() bool { return len(v.raw) == 2 && v.raw[0] == '"' && v.raw[1] == '"' }

// Empty reports whether the value is absent, empty or the explicit null.
func (v Value) Empty() bool { return len(v.raw) == 0 || v.IsNull() }

// Raw returns the undecoded bytes.
func (v Value) Raw() []byte { return v.raw }

// Rep returns repetition i (1-based).
func (v Value) Rep(i int) Value { return v.piece(v.d.Repetition, i) }

// Comp returns component i (1-based) of a field or repetition; callers take
// Rep(1) first when the field may repeat.
func (v Value) Comp(i int) Value { return v.piece(v.d.Component, i) }

// Sub returns subcomponent i (1-based) of a component.
func (v Value) Sub(i int) Value { return v.piece(v.d.Subcomponent, i) }

// Reps returns every repetition.
func (v Value) Reps() []Value {
	if !v.present {
		return nil
	}
	n := bytes.Count(v.raw, []byte{v.d.Repetition}) + 1
	out := make([]Value, 0, n)
	rest := v.raw
	for {
		i := bytes.IndexByte(rest, v.d.Repetition)
		if i < 0 {
			return append(out, Value{raw: rest, d: v.d, present: true})
		}
		out = append(out, Value{raw: rest[:i], d: v.d, present: true})
		rest = rest[i+1:]
	}
}

func (v Value) piece(sep byte, i int) Value {
	if !v.present || i < 1 {
		return Value{d: v.d}
	}
	rest := v.raw
	for ; i > 1; i-- {
		j := bytes.IndexByte(rest, sep)
		if j < 0 {
			return Value{d: v.d}
		}
		rest = rest[j+1:]
	}
	if j := bytes.IndexByte(rest, sep); j >= 0 {
		rest = rest[:j]
	}
	return Value{raw: rest, d: v.d, present: true}
}

// String returns the value with escape sequences decoded and surrounding
// spaces trimmed; the explicit null `""` gives "". It is meant for leaves
// (a subcomponent, or a component or field without structure): separators
// inside the value are kept as they are.
func (v Value) String() string {
	if v.IsNull() {
		return ""
	}
	return strings.TrimSpace(v.d.decode(v.raw))
}

// Render returns a structured value as one string: escapes decoded,
// repetitions joined with ~, components with ^, subcomponents with &, and
// empty trailing parts dropped.
func (v Value) Render() string {
	if v.Empty() {
		return ""
	}
	var sb strings.Builder
	for ri, rep := range v.Reps() {
		if ri > 0 {
			sb.WriteByte('~')
		}
		comps := splitTrim(rep.raw, v.d.Component)
		for ci, c := range comps {
			if ci > 0 {
				sb.WriteByte('^')
			}
			subs := splitTrim(c, v.d.Subcomponent)
			for si, s := range subs {
				if si > 0 {
					sb.WriteByte('&')
				}
				sb.WriteString(Value{raw: s, d: v.d, present: true}.String())
			}
		}
	}
	return strings.TrimRight(sb.String(), "~")
}

// splitTrim splits b on sep and drops empty trailing parts.
func splitTrim(b []byte, sep byte) [][]byte {
	parts := bytes.Split(b, []byte{sep})
	for len(parts) > 0 && len(bytes.TrimSpace(parts[len(parts)-1])) == 0 {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// decode resolves escape sequences: \F\ \S\ \T\ \R\ \E\ give the
// delimiters, \Xhh…\ hexadecimal bytes, \.br\ and \.sp\ a line break; other
// formatting and character-set sequences (\H\ \N\ \.in\ \Cxxyy\ \Zxx\ …) are
// dropped. An unterminated or unknown sequence is kept as written. Bytes
// that are not valid UTF-8 are read as ISO 8859-1, the usual alternative in
// UK feeds.
func (d *Delimiters) decode(b []byte) string {
	if d.Escape == 0 || bytes.IndexByte(b, d.Escape) < 0 {
		return toUTF8(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != d.Escape {
			out = append(out, c)
			continue
		}
		j := bytes.IndexByte(b[i+1:], d.Escape)
		if j < 0 {
			out = append(out, b[i:]...)
			break
		}
		seq := b[i+1 : i+1+j]
		if rep, ok := d.escape(seq); ok {
			out = append(out, rep...)
			i += j + 1
			continue
		}
		out = append(out, c)
	}
	return toUTF8(out)
}

// escape returns what the escape sequence \seq\ stands for.
func (d *Delimiters) escape(seq []byte) ([]byte, bool) {
	if len(seq) == 0 {
		return nil, false
	}
	if len(seq) == 1 {
		switch seq[0] {
		case 'F':
			return []byte{d.Field}, true
		case 'S':
			return []byte{d.Component}, true
		case 'T':
			return []byte{d.Subcomponent}, true
		case 'R':
			return []byte{d.Repetition}, true
		case 'E':
			return []byte{d.Escape}, true
		case 'H', 'N':
			return nil, true
		}
		return nil, false
	}
	switch seq[0] {
	case 'X':
		h := seq[1:]
		if len(h)%2 != 0 {
			return nil, false
		}
		out := make([]byte, len(h)/2)
		for k := range out {
			hi, ok1 := unhex(h[2*k])
			lo, ok2 := unhex(h[2*k+1])
			if !ok1 || !ok2 {
				return nil, false
			}
			out[k] = hi<<4 | lo
		}
		return out, true
	case '.':
		switch string(seq) {
		case ".br", ".sp":
			return []byte{'\n'}, true
		}
		return nil, isAlnum(seq[1:])
	case 'C', 'M', 'Z':
		return nil, isAlnum(seq[1:])
	}
	return nil, false
}

func isAlnum(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// toUTF8 returns b as a string, reading it as ISO 8859-1 when it is not
// valid UTF-8.
func toUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// splitter cuts a file into messages. A message starts at an MSH segment
// and ends before the next MSH, at an MLLP start or end block, at a batch
// envelope segment (BHS, BTS, FHS, FTS, which are skipped) or at the end of
// the data. Segments end at CR, LF or CRLF; blank lines and a UTF-8
// byte-order mark are ignored. Segments that come before any MSH form a
// message of their own, which the parser then rejects.
//
// It cuts data, or, when r is set, what it reads from r: then data is a
// window of the file that holds the message being cut and what follows it
// up to where the message is seen to end, read a chunk at a time, so that
// a file is never held whole.
//
// A message is cut whole when it and the blank lines after it, up to where
// the next message, an envelope segment or an MLLP block byte begins (or
// the data ends), fit in max bytes. A longer one is given as too long
// (Long): its first max bytes, at most longStart, and no segments; so is
// one with a line, or followed by one, that begins with more than max
// blanks. Reading, the splitter gives a message up as soon as it holds
// more than max bytes of it, and drops the rest as it reads, so the window
// never holds much more than max bytes and a chunk; it drops the blanks
// before a message, and an envelope segment longer than max, in the same
// way.
type splitter struct {
	data []byte
	off  int
	segs [][]byte

	r     io.Reader
	chunk int   // bytes to read at least each time; 0 means splitChunk
	eof   bool  // r is read to its end: data holds the rest of the file
	err   error // the error that ended the reading, other than io.EOF

	max  int  // longest message cut whole; 0 means MaxMessage
	long bool // the message last given was too long
	// Dropping: the line the data held ended inside (midLine), then, when
	// over is set, the rest of a message too long, whose start over holds.
	dropping, midLine bool
	over              []byte
}

// longStart is how much of a message too long the splitter gives: as much
// as a reject keeps of its raw record.
const longStart = 64 << 10

// splitChunk is how much more of the file the splitter reads when the
// message it is cutting runs past what it holds.
const splitChunk = 1 << 20

// next returns the next message's raw bytes and segments (valid until the
// next call), or ok false at the end of the data or on a read error (Err).
// A message too long (Long) comes with its first bytes and no segments.
func (sp *splitter) next() (raw []byte, segs [][]byte, ok bool) {
	sp.long = false
	for {
		raw, segs, ok, more := sp.cut()
		if !more {
			return raw, segs, ok
		}
		if !sp.fill() {
			return nil, nil, false
		}
	}
}

// Long says whether the message last given was too long to cut whole.
func (sp *splitter) Long() bool { return sp.long }

// Err is the error that stopped the reading, if any.
func (sp *splitter) Err() error { return sp.err }

// fill drops what the splitter has cut and reads more of the file after
// what it holds, as much as fits. It returns false on a read error.
func (sp *splitter) fill() bool {
	chunk := cmp.Or(sp.chunk, splitChunk)
	rest := len(sp.data) - sp.off
	buf := sp.data[:cap(sp.data)]
	if rest+chunk > len(buf) {
		buf = make([]byte, max(2*len(buf), rest+chunk))
	}
	copy(buf, sp.data[sp.off:])
	// The window doubles whenever what is kept and a chunk do not fit, so
	// a message that runs past many chunks is cut again a number of times
	// that grows with the logarithm of its size, not with its size.
	n, err := io.ReadFull(sp.r, buf[rest:])
	sp.data, sp.off = buf[:rest+n], 0
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		sp.eof = true
	case err != nil:
		sp.err = err
		return false
	}
	return true
}

// trimToken drops a segment's leading blanks and byte-order marks; ts is
// where tok begins, given that the token began at off.
func trimToken(tok []byte, off int) ([]byte, int) {
	for {
		switch {
		case bytes.HasPrefix(tok, bom):
			tok, off = tok[3:], off+3
		case len(tok) > 0 && (tok[0] == ' ' || tok[0] == '\t'):
			tok, off = tok[1:], off+1
		default:
			return tok, off
		}
	}
}

// isBoundary reports whether a segment begins a message or is an envelope
// segment.
func isBoundary(tok []byte) (msh, env bool) {
	return isSegment(tok, "MSH"), isSegment(tok, "BHS") || isSegment(tok, "BTS") || isSegment(tok, "FHS") || isSegment(tok, "FTS")
}

// cut returns the next message in data, or more true when the message may
// go on past the end of data and the file has more to read: the cut is
// then made again, from where it began, once more is read.
func (sp *splitter) cut() (raw []byte, segs [][]byte, ok, more bool) {
	if sp.dropping {
		return sp.drop()
	}
	limit := cmp.Or(sp.max, MaxMessage)
	kept := min(limit, longStart) // of a message too long
	sp.segs = sp.segs[:0]
	begin := sp.off
	again := func() ([]byte, [][]byte, bool, bool) {
		sp.off = begin
		return nil, nil, false, true
	}
	partial := sp.r != nil && !sp.eof
	start, end := -1, -1
	data := sp.data
	// whole gives data[start:end], ending where the next thing begins (at).
	blanks := false // a line of the message, or the one after it, began with more than limit blanks
	whole := func(at int) ([]byte, [][]byte, bool, bool) {
		if at-start > limit || blanks {
			sp.long = true
			return data[start : start+kept], nil, true, false
		}
		return data[start:end], sp.segs, true, false
	}
	for sp.off < len(data) {
		tokOff := sp.off
		i := sp.off
		for i < len(data) && !isTerminator(data[i]) {
			i++
		}
		tok, ts := trimToken(data[tokOff:i], tokOff)
		if i == len(data) && partial {
			// The segment may go on: cut again once more is read, unless
			// what is held already says how it ends, or that the message
			// is too long.
			if len(tok) >= 4 {
				msh, env := isBoundary(tok)
				blanks = blanks || start >= 0 && ts-tokOff > limit
				switch {
				case (msh || env) && len(sp.segs) > 0:
					sp.off = tokOff
					return whole(tokOff)
				case env:
					if i-tokOff > limit {
						return sp.giveUp(-1, 0, len(data), true)
					}
				default:
					if s := cmp.Or(start+1, ts+1) - 1; i-s > limit { // the message's start, this segment's when it is the first
						return sp.giveUp(s, kept, len(data), true)
					}
				}
				return again()
			}
			switch {
			case start >= 0 && tokOff-start > limit:
				return sp.giveUp(start, kept, tokOff, false) // the line may begin the next message
			case start >= 0 && ts-tokOff > limit:
				return sp.giveUp(start, kept, ts, false)
			case start < 0 && ts-tokOff > limit:
				sp.off = ts // blanks before a message: dropped
				return nil, nil, false, true
			}
			return again()
		}
		if len(bytes.TrimSpace(tok)) > 0 {
			blanks = blanks || start >= 0 && ts-tokOff > limit
			msh, env := isBoundary(tok)
			if (msh || env) && len(sp.segs) > 0 {
				sp.off = tokOff
				return whole(tokOff)
			}
			if !env {
				if start < 0 {
					start = ts
				}
				end = ts + len(tok)
				sp.segs = append(sp.segs, tok)
			}
		}
		sp.off = i
		if i < len(data) {
			sp.off++
			if (data[i] == startBlock || data[i] == endBlock) && len(sp.segs) > 0 {
				return whole(i)
			}
		}
	}
	if partial {
		if start >= 0 && len(data)-start > limit {
			return sp.giveUp(start, kept, len(data), false)
		}
		return again() // the message may have more segments
	}
	if len(sp.segs) > 0 {
		return whole(len(data))
	}
	return nil, nil, false, false
}

// giveUp stops cutting the message that starts at start (none when start
// is negative), keeping its first n bytes, and drops the rest of it as it
// is read, from off on; midLine says off is inside a line.
func (sp *splitter) giveUp(start, n, off int, midLine bool) ([]byte, [][]byte, bool, bool) {
	sp.dropping, sp.midLine = true, midLine
	sp.over = sp.over[:0]
	if start >= 0 {
		sp.over = append(sp.over, sp.data[start:start+n]...)
	} else {
		sp.over = nil
	}
	sp.off = off
	return nil, nil, false, true
}

// drop reads on past what the splitter gave up: the rest of the line it
// held part of (midLine), then, with a message given up (over), the rest
// of the message, which it then gives as too long.
func (sp *splitter) drop() (raw []byte, segs [][]byte, ok, more bool) {
	limit := cmp.Or(sp.max, MaxMessage)
	partial := sp.r != nil && !sp.eof
	data := sp.data
	give := func() ([]byte, [][]byte, bool, bool) {
		sp.dropping = false
		if sp.over == nil {
			return sp.cut()
		}
		sp.long = true
		return sp.over, nil, true, false
	}
	for sp.off < len(data) {
		lineOff := sp.off
		i := sp.off
		for i < len(data) && !isTerminator(data[i]) {
			i++
		}
		if !sp.midLine {
			if sp.over == nil {
				return give() // only a line was given up, and it has ended
			}
			tok, ts := trimToken(data[lineOff:i], lineOff)
			if i == len(data) && partial && len(tok) < 4 {
				// Blanks, and a segment's name or not: held until known,
				// but not the blanks past max bytes of them.
				if ts-lineOff > limit {
					sp.off = ts
				}
				return nil, nil, false, true
			}
			if msh, env := isBoundary(tok); msh || env {
				sp.off = lineOff
				return give()
			}
		}
		sp.off = i
		if i == len(data) {
			if partial {
				sp.midLine = true
				return nil, nil, false, true
			}
			break
		}
		sp.midLine = false
		sp.off++
		if data[i] == startBlock || data[i] == endBlock {
			return give()
		}
	}
	if partial {
		return nil, nil, false, true
	}
	return give()
}

func isTerminator(c byte) bool {
	return c == '\r' || c == '\n' || c == startBlock || c == endBlock
}

// isSegment reports whether tok is a segment named name: the name followed
// by the end of the segment or a non-alphanumeric byte (the separator).
func isSegment(tok []byte, name string) bool {
	if len(tok) < 3 || string(tok[:3]) != name {
		return false
	}
	return len(tok) == 3 || !letterOrDigit(tok[3])
}

// Parse parses one message from its segments (as cut by the splitter, or
// one message's bytes split at CR, LF or CRLF when segs is nil). It fails
// with an error wrapping ErrParse when there is no MSH first, when MSH-1 or
// MSH-2 does not hold usable delimiters, or when a segment name is not
// three upper-case letters or digits. Errors never quote message content.
func Parse(raw []byte, segs [][]byte) (*Message, error) {
	if segs == nil {
		sp := splitter{data: raw}
		r, s, ok := sp.next()
		if !ok {
			return nil, parseErrorf("empty message")
		}
		if sp.Long() {
			return nil, parseErrorf("longer than %d bytes", MaxMessage)
		}
		raw, segs = r, s
		if _, _, more := sp.next(); more {
			return nil, parseErrorf("more than one message")
		}
	}
	if len(segs) == 0 || !isSegment(segs[0], "MSH") {
		return nil, parseErrorf("message does not start with an MSH segment")
	}
	d, err := delimiters(segs[0])
	if err != nil {
		return nil, err
	}
	m := &Message{Raw: raw, Delims: d, Segments: make([]Segment, len(segs))}
	for k, s := range segs {
		if len(s) < 3 || !validName(s[:3]) || (len(s) > 3 && s[3] != d.Field) {
			return nil, parseErrorf("segment %d has an invalid name", k+1)
		}
		seg := Segment{Name: string(s[:3]), d: &m.Delims}
		n := bytes.Count(s, []byte{d.Field}) + 1
		if k == 0 {
			// MSH-1 is the field separator itself.
			seg.Fields = make([][]byte, 0, n+1)
			seg.Fields = append(seg.Fields, s[:3], s[3:4])
			s = s[4:]
		} else {
			seg.Fields = make([][]byte, 0, n)
		}
		if k > 0 && string(s[:3]) == "MSH" {
			return nil, parseErrorf("segment %d is a second MSH", k+1)
		}
		for {
			i := bytes.IndexByte(s, d.Field)
			if i < 0 {
				seg.Fields = append(seg.Fields, s)
				break
			}
			seg.Fields = append(seg.Fields, s[:i])
			s = s[i+1:]
		}
		m.Segments[k] = seg
	}
	return m, nil
}

func validName(b []byte) bool {
	if b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b[1:3] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// delimiters reads MSH-1 and MSH-2. MSH-2 must hold the four encoding
// characters (a fifth, the v2.7 truncation character, is allowed), all
// different, none of them a letter, digit, space or the field separator.
func delimiters(msh []byte) (Delimiters, error) {
	if len(msh) < 4 {
		return Delimiters{}, parseErrorf("MSH has no field separator")
	}
	fs := msh[3]
	if !usableDelim(fs) {
		return Delimiters{}, parseErrorf("MSH-1 field separator is not usable")
	}
	enc := msh[4:]
	if i := bytes.IndexByte(enc, fs); i >= 0 {
		enc = enc[:i]
	}
	if len(enc) < 4 || len(enc) > 5 {
		return Delimiters{}, parseErrorf("MSH-2 has %d encoding characters, want 4", len(enc))
	}
	seen := map[byte]bool{fs: true}
	for _, c := range enc {
		if !usableDelim(c) || seen[c] {
			return Delimiters{}, parseErrorf("MSH-2 encoding characters are not distinct usable delimiters")
		}
		seen[c] = true
	}
	return Delimiters{Field: fs, Component: enc[0], Repetition: enc[1], Escape: enc[2], Subcomponent: enc[3]}, nil
}

func usableDelim(c byte) bool {
	return c > ' ' && c < 0x7F && !letterOrDigit(c) && c != '"'
}

func letterOrDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
