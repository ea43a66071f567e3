package csv

import (
	"bufio"
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// A parsed record as the connector sees it: fields (or a parse error), the
// line it starts on and its exact text without the line end.
type parsedRecord struct {
	fields []string
	raw    string
	line   int64
	err    *stdcsv.ParseError
}

func (p parsedRecord) String() string {
	if p.err != nil {
		return fmt.Sprintf("line %d %q: error start %d line %d column %d: %v", p.line, p.raw, p.err.StartLine, p.err.Line, p.err.Column, p.err.Err)
	}
	return fmt.Sprintf("line %d %q: %q", p.line, p.raw, p.fields)
}

// referenceRecords reads data with encoding/csv configured as the connector
// used it, recovering each record's text from the input offsets as the
// connector did.
func referenceRecords(data []byte, comma rune) ([]parsedRecord, error) {
	r := stdcsv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	var out []parsedRecord
	for {
		start := r.InputOffset()
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		var pe *stdcsv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return out, err
		}
		p := parsedRecord{raw: string(bytes.TrimRight(data[start:r.InputOffset()], "\r\n")), err: pe}
		if pe != nil {
			p.line = int64(pe.StartLine)
		} else {
			line, _ := r.FieldPos(0)
			p.line = int64(line)
			p.fields = rec
		}
		out = append(out, p)
	}
}

// readerRecords reads in with a reader of the given buffer size, in batches
// as readRecords makes them. The fields are checked only after every batch
// has been read, and the batches are reused, so fields that did not outlive
// their batch would show.
func readerRecords(in io.Reader, comma rune, size int) ([]parsedRecord, error) {
	r := newReader(in, comma, size)
	var out []parsedRecord
	var invalid error
	b, spare := newRecords(), newRecords()
	flush := func() {
		b.finish()
		for k := range b.line {
			p := parsedRecord{raw: string(b.raw[b.rawStart[k]:b.rawEnd[k]]), line: b.line[k], err: b.err[k]}
			if p.err == nil {
				rec := b.record(k)
				p.fields = make([]string, rec.len())
				for i := range p.fields {
					p.fields[i] = rec.field(i)
					if rec.valid && !utf8.ValidString(p.fields[i]) {
						invalid = fmt.Errorf("field %q of a batch said to be valid UTF-8", p.fields[i])
					}
				}
			}
			out = append(out, p)
		}
		b, spare = spare, b
		b.reset()
	}
	for {
		err := r.next(b)
		if err != nil {
			flush()
			if err == io.EOF {
				err = invalid
			}
			return out, err
		}
		if len(b.line) == 3 {
			flush()
		}
	}
}

func sameRecords(t *testing.T, what string, got, want []parsedRecord) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Fatalf("%s: record %d missing, want %v", what, i, want[i])
		case i >= len(want):
			t.Fatalf("%s: extra record %d: %v", what, i, got[i])
		}
		g, w := got[i], want[i]
		same := g.raw == w.raw && g.line == w.line && (g.err == nil) == (w.err == nil)
		if same && g.err != nil {
			same = g.err.Err == w.err.Err && g.err.StartLine == w.err.StartLine && g.err.Line == w.err.Line && g.err.Column == w.err.Column
		}
		if same && g.err == nil {
			same = slices.Equal(g.fields, w.fields)
		}
		if !same {
			t.Fatalf("%s: record %d\n got %v\nwant %v", what, i, g, w)
		}
	}
}

// delimiters the differential tests try; '¦' has a two-byte encoding.
var delimiters = []rune{',', ';', '\t', '|', '¦'}

// checkReader reads data through encoding/csv and through reader, with
// several delimiters, buffer sizes and ways of delivering the input, and
// fails on any difference.
func checkReader(t *testing.T, data []byte, commas []rune, sizes []int) {
	t.Helper()
	for _, comma := range commas {
		want, werr := referenceRecords(data, comma)
		if werr != nil {
			t.Fatalf("encoding/csv with %q: %v", comma, werr)
		}
		for _, size := range sizes {
			inputs := map[string]io.Reader{
				"whole":    bytes.NewReader(data),
				"one-byte": iotest.OneByteReader(bytes.NewReader(data)),
				"data-err": iotest.DataErrReader(bytes.NewReader(data)),
			}
			for how, in := range inputs {
				got, err := readerRecords(in, comma, size)
				what := fmt.Sprintf("delimiter %q, buffer %d, %s", comma, size, how)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				sameRecords(t, what, got, want)
			}
		}
	}
}

// readerCases are inputs where a reader could part from encoding/csv.
var readerCases = []string{
	"",
	"\n",
	"\r",
	"\r\n\r\n",
	"a",
	"a\n",
	"a\r",
	"a\r\n",
	"a\r\r\n",
	"a\r\rb\n",
	"a\rb\n",
	"a,b\nc,d",
	"a,b\n\n\nc,d\n\r\n\n",
	"\n\na,b\n",
	"a,b,\n,\n,,\n",
	`"a","b"` + "\n",
	`"a""b",c` + "\n",
	`""""` + "\n",
	`""` + "\n",
	`"",""` + "\n",
	`"`,
	`"` + "\n",
	`"a`,
	`"a` + "\n",
	`"a""`,
	`"a""` + "\n",
	`"a` + "\r",
	`"a` + "\r\n",
	`"a` + "\n\r",
	`"a` + "\n\r\n",
	`"a` + "\nb",
	`"a` + "\nb\r",
	`"a"b,c` + "\nd\n",
	`a"b,c` + "\nd\n",
	`a,b"` + "\nd\n",
	`a,"b"c` + "\nd\n",
	`"a" ,b` + "\n",
	` "a",b` + "\n",
	`"a"` + "\r",
	`"a"` + "\r\n",
	`"a"` + "\rx\n",
	`"a"` + "\r\r\n",
	`"multi` + "\nline\",x\n" + `"y"` + "\n",
	`"multi` + "\r\nline\r\n\",x\r\ny\r\n",
	`"multi` + "\n\n\nblank\",x\n",
	`"a` + "\n" + `b"c,d` + "\ne,f\n",
	`"a` + "\n" + `b",c"d` + "\ne,f\n",
	`"a` + "\n" + `b""c",d` + "\n",
	`"a` + "\r\n" + `b""c",d` + "\n",
	`"a""b` + "\n" + `c",d` + "\n",
	"a,\"b\"\"\",c\n",
	"a;b;c\n1;\"2;3\";4\n",
	"a\tb\t\"c\td\"\n",
	"a|b|\"|\"\n",
	"a¦b¦\"¦\"¦\n",
	"a¦b\"¦c\n",
	"\"a\"¦\"b\"\n",
	"\"a\"\xc2\n",
	"\"a\"\xc2¦\n",
	"a\xc2¦b\n",
	"\xff\xfe,\x00\n\"\xff\",\"\x00\"\n",
	"a,b\nc\"d,e\nf,g\n",
	"a,b\n\"c\nd\n",
	"\"\"\"\n\"\"\"\n",
	"x,\"\n\n\"\n",
	"x,\"\r\n\r\n\"\r\n",
	"\r\"a\"\n",
	"\ra\n",
	"a\n\r",
	"a\n\r\r",
	"a\n\r\r\n",
	"\ufeffa,b\n\ufeff\"c\",d\n",        // a byte-order mark is the connector's to strip
	"a,-b,--,c,-\n1;:2;::\n\t\b\t|}|\n", // the byte after each delimiter
	"abcdefgh,ijklmnop,qrstuvwxyz0123456789,,,,,,,,,,,,,,,,,,\r\n" + "abcdefgh,ijklmnop,\"q,\"\r\n",
	"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", // a final line without a newline
}

func TestReaderMatchesEncodingCSV(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 16, 4096}
	for _, c := range readerCases {
		checkReader(t, []byte(c), delimiters, sizes)
	}
	// Records spanning many buffer refills, and fields longer than the
	// buffer, quoted and not.
	long := strings.Repeat("x", 3000)
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "%d,%s,\"q%d\",\"d\"\"%d\",\"m\r\n%d\"\n", i, long[:i*7%3000], i, i, i)
		if i%50 == 0 {
			fmt.Fprintf(&b, "\"%s\r\n%s\",%s\n\n\"%s\"\"\n", long, long, long, long)
		}
	}
	checkReader(t, []byte(b.String()), []rune{','}, []int{7, 64, 4096})
}

// TestReaderTestdata compares the reader with encoding/csv on the package's
// and the hostile corpus's files.
func TestReaderTestdata(t *testing.T) {
	for _, name := range []string{"testdata/patients.csv", "testdata/cp1252/people.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checkReader(t, data, []rune{','}, []int{13, readSize})
	}
	files, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(hostileDir + "/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		checkReader(t, data, []rune{','}, []int{13, readSize})
	}
}

const hostileDir = "../../testdata/hostile/csv"

// TestReaderReadError: records before an error reading the input are read,
// then the error is returned, as encoding/csv returns it (with the record
// it cut short, which the connector does not use).
func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader("a,b\n1,2\n3,"), iotest.ErrReader(boom))
	got, err := readerRecords(in, ',', 4)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	want := []parsedRecord{{fields: []string{"a", "b"}, raw: "a,b", line: 1}, {fields: []string{"1", "2"}, raw: "1,2", line: 2}}
	sameRecords(t, "read error", got, want)
}

func TestReaderInvalidDelimiter(t *testing.T) {
	for _, comma := range []rune{0, '"', '\r', '\n', 0xFFFD, -1, 0x110000, 0xD800} {
		r := stdcsv.NewReader(strings.NewReader("a\n"))
		r.Comma = comma
		_, want := r.Read()
		_, got := readerRecords(strings.NewReader("a\n"), comma, 16)
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("delimiter %q: error %v, encoding/csv's %v", comma, got, want)
		}
	}
}

// FuzzReaderMatchesEncodingCSV feeds arbitrary bytes through the reader and
// encoding/csv, with each of a few delimiters and a small buffer, and fails
// on any difference in fields, errors, lines or text.
func FuzzReaderMatchesEncodingCSV(f *testing.F) {
	for _, c := range readerCases {
		f.Add([]byte(c), uint8(0), uint8(3))
	}
	f.Add([]byte(strings.Repeat("\"abc\r\n\"\"def,", 40)+"\"\n"), uint8(0), uint8(7))
	f.Add([]byte("a,b\n"+strings.Repeat("x", 500)+",\""+strings.Repeat("y\r\n", 200)+"\"\n"), uint8(0), uint8(9))
	if seed, err := os.ReadFile("testdata/patients.csv"); err == nil {
		f.Add(seed, uint8(0), uint8(32))
	}
	f.Fuzz(func(t *testing.T, data []byte, delim, size uint8) {
		comma := delimiters[int(delim)%len(delimiters)]
		want, werr := referenceRecords(data, comma)
		if werr != nil {
			t.Fatal(werr)
		}
		for _, n := range []int{int(size%64) + 1, 4096} {
			got, err := readerRecords(bytes.NewReader(data), comma, n)
			if err != nil {
				t.Fatalf("buffer %d: %v", n, err)
			}
			sameRecords(t, fmt.Sprintf("delimiter %q, buffer %d", comma, n), got, want)
		}
		got, err := readerRecords(iotest.OneByteReader(bytes.NewReader(data)), comma, int(size%16)+1)
		if err != nil {
			t.Fatal(err)
		}
		sameRecords(t, fmt.Sprintf("delimiter %q, one byte at a time", comma), got, want)
	})
}

// BenchmarkReadFile reads the file named by SHAREDCARE_CSV_BENCH into
// batches as the connector does, with encoding/csv as the connector used
// it (a recorder keeping every byte for the records' text) and with reader.
func BenchmarkReadFile(b *testing.B) {
	path := os.Getenv("SHAREDCARE_CSV_BENCH")
	if path == "" {
		b.Skip("SHAREDCARE_CSV_BENCH names no file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, read func(io.Reader) int) {
		b.SetBytes(fi.Size())
		c0, n, recs := cpuSeconds(), 0, 0
		for b.Loop() {
			n++
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			recs = read(bufio.NewReader(f))
			f.Close()
		}
		b.ReportMetric((cpuSeconds()-c0)/float64(n), "cpu-s/op")
		b.ReportMetric(float64(recs), "records")
	}
	b.Run("encoding-csv", func(b *testing.B) {
		run(b, func(in io.Reader) int {
			rc := &recorder{r: in}
			r := stdcsv.NewReader(rc)
			r.FieldsPerRecord = -1
			r.ReuseRecord = true
			bt, recs := &oldRecords{fieldStart: []int{0}, rawStart: []int{0}}, 0
			for {
				start := r.InputOffset()
				rec, err := r.Read()
				if err == io.EOF {
					return recs
				}
				var pe *stdcsv.ParseError
				if err != nil && !errors.As(err, &pe) {
					b.Fatal(err)
				}
				bt.raw = rc.appendText(bt.raw, start, r.InputOffset())
				bt.rawStart = append(bt.rawStart, len(bt.raw))
				bt.err = append(bt.err, pe)
				if pe != nil {
					bt.line = append(bt.line, int64(pe.StartLine))
				} else {
					line, _ := r.FieldPos(0)
					bt.line = append(bt.line, int64(line))
					bt.fields = append(bt.fields, rec...)
				}
				bt.fieldStart = append(bt.fieldStart, len(bt.fields))
				if recs++; len(bt.line) == readBatch {
					bt.fields, bt.fieldStart, bt.raw, bt.rawStart = bt.fields[:0], bt.fieldStart[:1], bt.raw[:0], bt.rawStart[:1]
					bt.line, bt.err = bt.line[:0], bt.err[:0]
				}
			}
		})
	})
	b.Run("reader", func(b *testing.B) {
		run(b, func(in io.Reader) int {
			r := newReader(in, ',', readSize)
			bt, recs := newRecords(), 0
			for {
				err := r.next(bt)
				if err == io.EOF {
					return recs
				}
				if err != nil {
					b.Fatal(err)
				}
				if recs++; len(bt.line) == readBatch {
					bt.finish()
					bt.reset()
				}
			}
		})
	})
}

// oldRecords is the batch readRecords filled from encoding/csv.
type oldRecords struct {
	fields     []string
	fieldStart []int
	raw        []byte
	rawStart   []int
	line       []int64
	err        []*stdcsv.ParseError
}

// recorder is how the connector kept the text encoding/csv consumed, for
// BenchmarkReadFile's comparison.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // input offset of buf[0]
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

func (rc *recorder) appendText(dst []byte, from, to int64) []byte {
	if from < rc.base || to-rc.base > int64(len(rc.buf)) {
		return dst
	}
	dst = append(dst, bytes.TrimRight(rc.buf[from-rc.base:to-rc.base], "\r\n")...)
	if to-rc.base > 1<<16 {
		rc.buf = append(rc.buf[:0], rc.buf[to-rc.base:]...)
		rc.base = to
	}
	return dst
}
