package csv

import (
	"bytes"
	"encoding/binary"
	stdcsv "encoding/csv"
	"errors"
	"io"
	"math/bits"
	"unicode/utf8"
)

// readSize is how much a reader asks its input for at a time; a record that
// does not fit doubles the buffer.
const readSize = 1 << 20

var errInvalidDelim = errors.New("csv: invalid field or comment delimiter") // encoding/csv's text

// A reader splits delimited text into records exactly as encoding/csv's
// Reader does with FieldsPerRecord -1 and LazyQuotes, TrimLeadingSpace and
// Comment unset: the same fields, the same blank lines skipped, the same
// *csv.ParseError (StartLine, Line, Column) for a bad record, and the same
// place to go on from after one (the end of the line the error is on). It
// also gives each record's exact text, which encoding/csv does not.
//
// It works on a large buffer of input (readSize, doubled for a longer
// record). A line without a quote takes a fast path that finds the
// delimiters eight bytes at a time; a record with one follows readRecord
// step by step. A record's text is copied once, into the batch, which
// becomes one string (records.finish) that the fields are substrings of.
// TestReaderMatchesEncodingCSV and FuzzReaderMatchesEncodingCSV hold it to
// encoding/csv.
//
// Once the input has returned io.EOF a reader reads no more (encoding/csv
// would ask again): a file that grows while it is read is landed as the
// prefix that was read, which is what the input's recorded hash covers.
type reader struct {
	in       io.Reader
	buf      []byte // buf[pos:] has been read but not parsed
	pos      int
	off      int64  // input offset of buf[0]
	line     int    // lines consumed
	eof      bool   // in has returned io.EOF
	err      error  // in has returned another error
	comma    []byte // the delimiter, UTF-8 encoded
	delimErr error  // the delimiter is one encoding/csv refuses

	// Scratch for a record with a quote in it, kept until the record is
	// known to be complete: its fields' bounds in buf, or, complemented (^),
	// in esc, which holds the fields that had to be unescaped.
	bounds []int
	esc    []byte
}

// newReader reads records delimited by comma from in, size bytes at a time.
func newReader(in io.Reader, comma rune, size int) *reader {
	r := &reader{in: in, buf: make([]byte, 0, max(size, 1))}
	if comma == 0 || comma == '"' || comma == '\r' || comma == '\n' || !utf8.ValidRune(comma) || comma == utf8.RuneError {
		r.delimErr = errInvalidDelim
	}
	r.comma = utf8.AppendRune(nil, comma)
	return r
}

// offset is the input offset of the next record's text (the end of the last
// record's).
func (r *reader) offset() int64 { return r.off + int64(r.pos) }

// What parse found.
const (
	parsed   = iota // a record, appended to the batch
	needMore        // the record goes on past the buffered input
	atEnd           // no record before the end of input
)

// next appends the next record to b. At the end of input it appends nothing
// and returns io.EOF. An error reading the input is returned as it is, once
// the whole records read before it have been appended, and again on every
// later call.
func (r *reader) next(b *records) error {
	if r.delimErr != nil {
		return r.delimErr
	}
	for {
		switch r.parse(b) {
		case parsed:
			return nil
		case atEnd:
			return io.EOF
		}
		if r.err != nil {
			return r.err
		}
		r.fill()
	}
}

// fill reads until the buffer is full or the input ends, after moving what
// is left unparsed to the front, or doubling the buffer if it was full of
// one record. Filling it whole before parsing again keeps a long record's
// repeated parsing linear, even from an input that gives a few bytes a call.
func (r *reader) fill() {
	if r.pos > 0 {
		n := copy(r.buf[:cap(r.buf)], r.buf[r.pos:])
		r.off += int64(r.pos)
		r.buf, r.pos = r.buf[:n], 0
	}
	if len(r.buf) == cap(r.buf) {
		grown := make([]byte, len(r.buf), 2*cap(r.buf))
		copy(grown, r.buf)
		r.buf = grown
	}
	for empty := 0; len(r.buf) < cap(r.buf); {
		n, err := r.in.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		switch {
		case err == io.EOF:
			r.eof = true
			return
		case err != nil:
			r.err = err
			return
		case n > 0:
			empty = 0
		default:
			if empty++; empty == 100 {
				r.err = io.ErrNoProgress
				return
			}
		}
	}
}

// parse appends the record at the front of the buffer to b, or reports that
// the buffer ends first (having changed nothing) or that no record is left.
func (r *reader) parse(b *records) int {
	buf := r.buf
	start, p, line := r.pos, r.pos, r.line
	// Skip blank lines: "\n", "\r\n", and "\r" at the very end.
	for {
		if p == len(buf) {
			if r.eof {
				r.pos, r.line = p, line
				return atEnd
			}
			return needMore
		}
		if c := buf[p]; c == '\n' {
			p, line = p+1, line+1
			continue
		} else if c == '\r' {
			if p+1 == len(buf) {
				if !r.eof {
					return needMore
				}
				p, line = p+1, line+1
				continue
			}
			if buf[p+1] == '\n' {
				p, line = p+2, line+1
				continue
			}
		}
		break
	}
	line++
	// The record's first line: its content is buf[p:ce], without the "\n"
	// or "\r\n" ending it (or the "\r" ending the input), and it ends at end.
	var ce, end int
	if i := bytes.IndexByte(buf[p:], '\n'); i >= 0 {
		end, ce = p+i+1, p+i
	} else if r.eof {
		end, ce = len(buf), len(buf)
	} else {
		return needMore
	}
	if buf[ce-1] == '\r' { // not blank, so ce-1 >= p
		ce--
	}
	if bytes.IndexByte(buf[p:ce], '"') >= 0 {
		return r.parseQuoted(b, start, p, line)
	}

	// Fast path: no quote on the line, so every field is the text between
	// delimiters, verbatim.
	off := r.appendRaw(b, start, end)
	s := p
	if len(r.comma) == 1 {
		// Fields are short: rather than a call per field, look for the
		// delimiter eight bytes at a time, with a zero-byte test (exact,
		// without the borrows of the shorter one) on the word xor the
		// delimiter repeated.
		c := r.comma[0]
		const low7 = 0x7f7f7f7f7f7f7f7f
		rep := uint64(c) * 0x0101010101010101
		i := p
		for ; i+8 <= ce; i += 8 {
			x := binary.LittleEndian.Uint64(buf[i:]) ^ rep
			for z := ^((x&low7 + low7) | x | low7); z != 0; z &= z - 1 {
				k := i + bits.TrailingZeros64(z)>>3
				b.bounds = append(b.bounds, s+off, k+off)
				s = k + 1
			}
		}
		for ; i < ce; i++ {
			if buf[i] == c {
				b.bounds = append(b.bounds, s+off, i+off)
				s = i + 1
			}
		}
	} else {
		for {
			k := bytes.Index(buf[s:ce], r.comma)
			if k < 0 {
				break
			}
			b.bounds = append(b.bounds, s+off, s+k+off)
			s += k + len(r.comma)
		}
	}
	b.bounds = append(b.bounds, s+off, ce+off)
	b.fieldStart = append(b.fieldStart, len(b.bounds)/2)
	b.line = append(b.line, int64(line))
	b.err = append(b.err, nil)
	r.pos, r.line = end, line
	return parsed
}

// appendRaw appends buf[start:end], a record's text, to b and returns what
// to add to an index in buf to get the index of the same byte in b.raw.
func (r *reader) appendRaw(b *records, start, end int) int {
	off := len(b.raw) - start
	b.rawStart = append(b.rawStart, len(b.raw))
	b.raw = append(b.raw, r.buf[start:end]...)
	e := end
	for e > start && (r.buf[e-1] == '\n' || r.buf[e-1] == '\r') {
		e--
	}
	b.rawEnd = append(b.rawEnd, e+off)
	return off
}

// lineEnd finds the line starting at p: its content is buf[p:ce] followed by
// a newline if nl (a "\r\n" reads as "\n", and a "\r" ending the input is
// dropped), and the next line starts at next. ok is false if the buffer ends
// before the line does.
func (r *reader) lineEnd(p int) (ce, next int, nl, ok bool) {
	if i := bytes.IndexByte(r.buf[p:], '\n'); i >= 0 {
		ce, next = p+i, p+i+1
		if ce > p && r.buf[ce-1] == '\r' {
			ce--
		}
		return ce, next, true, true
	}
	if !r.eof {
		return 0, 0, false, false
	}
	ce = len(r.buf)
	if ce > p && r.buf[ce-1] == '\r' {
		ce--
	}
	return ce, len(r.buf), false, true
}

// index is the index of the first delimiter in s, or -1.
func (r *reader) index(s []byte) int {
	if len(r.comma) == 1 {
		return bytes.IndexByte(s, r.comma[0])
	}
	return bytes.Index(s, r.comma)
}

// parseQuoted parses a record with a quote somewhere on its first line,
// which starts at p and is line ln; the record's text starts at start, before
// any blank lines. It follows encoding/csv's readRecord step by step, with
// lines as offsets in the buffer, and so gives the same fields, errors,
// positions and resumption point.
func (r *reader) parseQuoted(b *records, start, p, ln int) int {
	buf := r.buf
	r.bounds, r.esc = r.bounds[:0], r.esc[:0]
	recLine := ln
	ce, next, nl, _ := r.lineEnd(p) // parse found the line's end
	j, col := p, 1                  // where the line's parsing is, and its column
	var pe *stdcsv.ParseError
field:
	for {
		if j == ce || buf[j] != '"' {
			// An unquoted field runs to the next delimiter or the line's end.
			k := r.index(buf[j:ce])
			fe := ce
			if k >= 0 {
				fe = j + k
			}
			if q := bytes.IndexByte(buf[j:fe], '"'); q >= 0 {
				pe = &stdcsv.ParseError{StartLine: recLine, Line: ln, Column: col + q, Err: stdcsv.ErrBareQuote}
				break field
			}
			r.bounds = append(r.bounds, j, fe)
			if k < 0 {
				break field
			}
			j = fe + len(r.comma)
			col += k + len(r.comma)
			continue field
		}
		// A quoted field. Its text is verbatim in buf from seg on, until a
		// doubled quote or a "\r\n" inside it: from then on it is copied to
		// esc (from escAt), and seg is where the text not yet copied starts.
		j++
		col++
		seg, escAt := j, -1
		for {
			if i := bytes.IndexByte(buf[j:ce], '"'); i >= 0 {
				q := j + i
				j = q + 1
				col += i + 1
				switch {
				case j < ce && buf[j] == '"': // "" stands for one quote
					if escAt < 0 {
						escAt = len(r.esc)
					}
					r.esc = append(r.esc, buf[seg:j]...)
					j++
					col++
					seg = j
				case bytes.HasPrefix(buf[j:ce], r.comma):
					r.addQuoted(seg, q, escAt)
					j += len(r.comma)
					col += len(r.comma)
					continue field
				case j == ce:
					r.addQuoted(seg, q, escAt)
					break field
				default:
					pe = &stdcsv.ParseError{StartLine: recLine, Line: ln, Column: col - 1, Err: stdcsv.ErrQuote}
					break field
				}
			} else if j < ce || nl {
				// The field goes on to the next line.
				col += ce - j
				if nl {
					col++
					if escAt >= 0 || next != ce+1 {
						if escAt < 0 {
							escAt = len(r.esc)
						}
						r.esc = append(append(r.esc, buf[seg:ce]...), '\n')
						seg = next
					}
				}
				var ok bool
				nextLine := next
				if ce, next, nl, ok = r.lineEnd(nextLine); !ok {
					return needMore
				}
				if ce == nextLine && !nl {
					// The input ends (perhaps after a lone "\r") inside
					// the quotes.
					pe = &stdcsv.ParseError{StartLine: recLine, Line: ln, Column: col, Err: stdcsv.ErrQuote}
					break field
				}
				ln++
				j, col = nextLine, 1
			} else {
				// The input ends right after the opening quote or a "".
				pe = &stdcsv.ParseError{StartLine: recLine, Line: ln, Column: col, Err: stdcsv.ErrQuote}
				break field
			}
		}
	}

	off := r.appendRaw(b, start, next)
	if pe == nil {
		escOff := len(b.raw)
		b.raw = append(b.raw, r.esc...)
		for _, x := range r.bounds {
			if x < 0 {
				x = ^x + escOff
			} else {
				x += off
			}
			b.bounds = append(b.bounds, x)
		}
	}
	b.fieldStart = append(b.fieldStart, len(b.bounds)/2)
	b.line = append(b.line, int64(recLine))
	b.err = append(b.err, pe)
	r.pos, r.line = next, ln
	return parsed
}

// addQuoted adds the bounds of a quoted field whose text runs from seg to
// the closing quote at q, after esc[escAt:] if escAt is not negative.
func (r *reader) addQuoted(seg, q, escAt int) {
	if escAt < 0 {
		r.bounds = append(r.bounds, seg, q)
		return
	}
	r.esc = append(r.esc, r.buf[seg:q]...)
	r.bounds = append(r.bounds, ^escAt, ^len(r.esc))
}
