package hl7

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const mshA = `MSH|^~\&|PAS|RXX|||20250301093000||ADT^A01|M1|P|2.4`
const mshB = `MSH|^~\&|PAS|RXX|||20250301093000||ADT^A03|M2|P|2.4`

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // raw messages
	}{
		{"one message CR", mshA + "\rPID|1\r", []string{mshA + "\rPID|1"}},
		{"one message LF", mshA + "\nPID|1\n", []string{mshA + "\nPID|1"}},
		{"one message CRLF", mshA + "\r\nPID|1\r\n", []string{mshA + "\r\nPID|1"}},
		{"no final terminator", mshA + "\rPID|1", []string{mshA + "\rPID|1"}},
		{"back to back", mshA + "\rPID|1\r" + mshB + "\rPID|2\r", []string{mshA + "\rPID|1", mshB + "\rPID|2"}},
		{"mixed line ends", mshA + "\r\nPID|1\n" + mshB + "\rPID|2", []string{mshA + "\r\nPID|1", mshB + "\rPID|2"}},
		{"MLLP", "\x0b" + mshA + "\rPID|1\r\x1c\r\x0b" + mshB + "\rPID|2\r\x1c\r", []string{mshA + "\rPID|1", mshB + "\rPID|2"}},
		{"MLLP end block without CR before it", "\x0b" + mshA + "\rPID|1\x1c\r", []string{mshA + "\rPID|1"}},
		{"MLLP with newlines between frames", "\x0b" + mshA + "\r\x1c\r\n\n\x0b" + mshB + "\r\x1c\r\n", []string{mshA, mshB}},
		{"batch envelopes skipped", "FHS|^~\\&|X\rBHS|^~\\&|X\r" + mshA + "\r" + mshB + "\rBTS|2\rFTS|1\r", []string{mshA, mshB}},
		{"byte-order mark", "\xEF\xBB\xBF" + mshA + "\rPID|1", []string{mshA + "\rPID|1"}},
		{"blank lines and leading spaces", "\n\n  " + mshA + "\n\n  PID|1\n \n", []string{mshA + "\n\n  PID|1"}},
		{"segments before MSH form a message", "PID|1\rPV1|1\r" + mshA, []string{"PID|1\rPV1|1", mshA}},
		{"MSH inside a value is not a boundary", mshA + "\rNTE|1||see MSH|x\r", []string{mshA + "\rNTE|1||see MSH|x"}},
		{"MSHX is not MSH", mshA + "\rMSHX|1\r", []string{mshA + "\rMSHX|1"}},
		{"empty", "", nil},
		{"only framing and blanks", "\x0b\x1c\r\n \r\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := splitter{data: []byte(tt.in)}
			var got []string
			for {
				raw, segs, ok := sp.next()
				if !ok {
					break
				}
				if len(segs) == 0 {
					t.Fatal("message without segments")
				}
				got = append(got, string(raw))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
			checkStreamed(t, []byte(tt.in))
		})
	}
}

// cuts is every message the splitter makes, its raw bytes then its
// segments, copied; a message too long is "long:" and its raw bytes.
func cuts(sp *splitter) [][]string {
	var out [][]string
	for {
		raw, segs, ok := sp.next()
		if !ok {
			return out
		}
		m := []string{string(raw)}
		if sp.Long() {
			m[0] = "long:" + m[0]
		}
		for _, s := range segs {
			m = append(m, string(s))
		}
		out = append(out, m)
	}
}

// checkStreamed checks that a splitter reading data a few bytes at a time
// (from a reader that gives one byte a call) cuts the same messages, with
// the same segments, as one holding it whole. Its first read is chunk
// bytes, so chunks of every size up to 200 end that read at every place in
// a short input: inside a segment's name, between CR and LF, inside a
// byte-order mark.
func checkStreamed(t *testing.T, data []byte, chunks ...int) {
	t.Helper()
	checkStreamedMax(t, data, 0, chunks...)
}

// checkStreamedMax is checkStreamed with messages limited to limit bytes
// (0: MaxMessage).
func checkStreamedMax(t *testing.T, data []byte, limit int, chunks ...int) {
	t.Helper()
	want := cuts(&splitter{data: data, max: limit})
	if chunks == nil {
		for c := 1; c <= min(len(data)+1, 200); c++ {
			chunks = append(chunks, c)
		}
	}
	for _, chunk := range chunks {
		sp := &splitter{r: iotest.OneByteReader(bytes.NewReader(data)), chunk: chunk, max: limit}
		got := cuts(sp)
		if sp.Err() != nil {
			t.Fatalf("chunk %d: %v", chunk, sp.Err())
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("read %d bytes at a time, the splitter cut\n%q\nwhere holding the data whole it cut\n%q", chunk, got, want)
		}
	}
}

// TestSplitLong checks that a message longer than the limit, with the
// blank lines after it, is given as too long, with its first bytes, and
// that the messages around it are cut as they would be alone, holding the
// data whole or reading it a few bytes at a time.
func TestSplitLong(t *testing.T) {
	const limit = 40
	short := "MSH|^~\\&|A\rPID|1"                                // 17 bytes
	exact := "MSH|^~\\&|A\rPID|" + strings.Repeat("x", limit-16) // and its CR: limit bytes
	long := "MSH|^~\\&|B\rPID|" + strings.Repeat("y", 60) + "\rPV1|2"
	line := "MSH|^~\\&|C" + strings.Repeat("z", 100) // one segment past the limit
	head := func(s string) string { return "long:" + s[:limit] }
	tests := []struct {
		name string
		in   string
		want []string // raw messages, "long:" and the first bytes of those too long
	}{
		{"short, long, short", short + "\r" + long + "\r" + short + "\r", []string{short, head(long), short}},
		{"exactly the limit", exact + "\r" + short, []string{exact, short}},
		{"one byte past it", exact + "x\r" + short, []string{head(exact + "x"), short}},
		{"the blank lines after it count", exact + "\r\r\n" + short, []string{head(exact + "\r\r\n"), short}},
		{"long at the end", short + "\r" + long, []string{short, head(long)}},
		{"one long segment", line + "\n" + short + "\n", []string{head(line), short}},
		{"MLLP", "\x0b" + long + "\r\x1c\r\x0b" + short + "\r\x1c\r", []string{head(long), short}},
		{"long, then an envelope", long + "\rBTS|1\r" + short, []string{head(long), short}},
		{"long envelope segment dropped", "BHS|" + strings.Repeat("e", 90) + "\r" + short, []string{short}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range cuts(&splitter{data: []byte(tt.in), max: limit}) {
				got = append(got, m[0])
				if strings.HasPrefix(m[0], "long:") && len(m) > 1 {
					t.Errorf("a message too long has segments %q", m[1:])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
			checkStreamedMax(t, []byte(tt.in), limit)
		})
	}
}

// TestSplitLongBounded checks that reading a message far longer than the
// limit holds about the limit and a chunk, not the message.
func TestSplitLongBounded(t *testing.T) {
	const chunk = 4 << 10
	long := "MSH|^~\\&|A\r" + strings.Repeat("OBX|1|ED|||"+strings.Repeat("Q", 1000)+"\r", 5000) // 5 MB
	for _, c := range []struct {
		limit int
		data  string
	}{
		{64 << 10, long + mshB + "\rPID|2\r"},
		{64 << 10, long[:len(long)-1] + strings.Repeat("R", 1<<20) + "\r" + mshB + "\rPID|2\r"}, // and one line of 1 MB
		{64 << 10, "\x0b" + long + "\x1c\r\x0b" + mshB + "\rPID|2\r\x1c\r"},
		{256 << 10, long + mshB + "\rPID|2\r"}, // gives only longStart bytes of it
	} {
		limit, data := c.limit, c.data
		sp := &splitter{r: strings.NewReader(data), chunk: chunk, max: limit}
		var got [][]string
		window := 0
		for {
			raw, segs, ok := sp.next()
			window = max(window, cap(sp.data))
			if !ok {
				break
			}
			m := []string{string(raw)}
			for _, s := range segs {
				m = append(m, string(s))
			}
			got = append(got, m)
			if len(got) == 1 && !sp.Long() {
				t.Fatal("a 5 MB message was cut whole")
			}
		}
		if sp.Err() != nil {
			t.Fatal(sp.Err())
		}
		if len(got) != 2 || got[0][0] != long[:min(limit, longStart)] || !slices.Equal(got[1], []string{mshB + "\rPID|2", mshB, "PID|2"}) {
			t.Fatalf("got %d messages; want the long one's first %d bytes, then %q", len(got), min(limit, longStart), mshB)
		}
		if window > 4*(limit+chunk) {
			t.Errorf("the window grew to %d bytes for a limit of %d read %d at a time", window, limit, chunk)
		}
	}
}

// TestSplitLongRandom cuts random files of messages near the limit, with
// blank lines, runs of blanks near the limit, envelopes and framing,
// holding them whole and reading them a few bytes at a time.
func TestSplitLongRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const limit = 48
	for range 300 {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			framed := rng.IntN(4) == 0
			if framed {
				b.WriteString("\x0b")
			}
			if rng.IntN(6) == 0 {
				b.WriteString("BHS|" + strings.Repeat("e", rng.IntN(60)) + "\r")
			}
			if rng.IntN(8) == 0 {
				b.WriteString(strings.Repeat(" ", 40+rng.IntN(20))) // blanks before the MSH, near the limit
			}
			b.WriteString("MSH|^~\\&|" + strings.Repeat("m", rng.IntN(20)))
			for range rng.IntN(4) {
				b.WriteString([]string{"\r", "\n", "\r\n", "\r\r", "\n  ", "\n" + strings.Repeat("\t", 45+rng.IntN(10))}[rng.IntN(6)])
				b.WriteString("PID|" + strings.Repeat("p", rng.IntN(30)))
			}
			b.WriteString([]string{"\r", "\n", "\r\n", "\r\n\r\n", ""}[rng.IntN(5)])
			if framed {
				b.WriteString("\x1c\r")
			}
		}
		checkStreamedMax(t, []byte(b.String()), limit, 1, 2, 3, 5, 8, 13, 40, 64)
	}
}

// TestSplitterReadError: a read error ends the messages and is kept, and
// no message it cut short is given.
func TestSplitterReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	data := mshA + "\rPID|1\r" + mshB + "\rPID|2\r"
	whole := cuts(&splitter{data: []byte(data)})
	for _, cut := range []int{0, 10, len(mshA) + 4, len(data) - 3} {
		r := io.MultiReader(strings.NewReader(data[:cut]), iotest.ErrReader(boom))
		sp := &splitter{r: r, chunk: 4}
		got := cuts(sp)
		if !errors.Is(sp.Err(), boom) {
			t.Fatalf("cut at %d: Err() = %v, want %v", cut, sp.Err(), boom)
		}
		if len(got) > len(whole) || !slices.EqualFunc(got, whole[:len(got)], slices.Equal) {
			t.Fatalf("cut at %d: got %q, not the first messages of %q", cut, got, whole)
		}
	}
}

func TestParseDelimiters(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		want    Delimiters
		wantErr bool
	}{
		{"standard", mshA, Delimiters{'|', '^', '~', '\\', '&'}, false},
		{"v2.7 truncation character", `MSH|^~\&#|A`, Delimiters{'|', '^', '~', '\\', '&'}, false},
		{"unusual delimiters", `MSH#@*$%#A#B`, Delimiters{'#', '@', '*', '$', '%'}, false},
		{"only MSH", `MSH`, Delimiters{}, true},
		{"letter as field separator", `MSHX^~\&XA`, Delimiters{}, true},
		{"three encoding characters", `MSH|^~\|A`, Delimiters{}, true},
		{"six encoding characters", `MSH|^~\&#!|A`, Delimiters{}, true},
		{"repeated encoding character", `MSH|^^\&|A`, Delimiters{}, true},
		{"field separator among encoding characters", `MSH|^~|&`, Delimiters{}, true},
		{"space delimiter", `MSH|^~ &|A`, Delimiters{}, true},
		{"not MSH first", "PID|1\r" + mshA, Delimiters{}, true},
		{"bad segment name", mshA + "\rpid|1", Delimiters{}, true},
		{"segment name too short", mshA + "\rPI", Delimiters{}, true},
		{"segment name not followed by separator", mshA + "\rPIDX|1", Delimiters{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseOne([]byte(tt.msg))
			if tt.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Delims != tt.want {
				t.Errorf("delimiters %q, want %q", m.Delims, tt.want)
			}
		})
	}
}

// parseOne parses data as one message, whatever the splitter makes of it
// (segments before an MSH make it fail).
func parseOne(data []byte) (*Message, error) {
	sp := splitter{data: data}
	raw, segs, ok := sp.next()
	if !ok {
		return nil, ErrParse
	}
	m, err := Parse(raw, segs)
	if err != nil {
		return nil, err
	}
	if _, _, more := sp.next(); more {
		return nil, ErrParse
	}
	return m, nil
}

func TestMSHFields(t *testing.T) {
	m, err := Parse([]byte(mshA+"\rEVN|A01|20250301"), nil)
	if err != nil {
		t.Fatal(err)
	}
	msh := m.Segments[0]
	for n, want := range map[int]string{1: "|", 2: `^~\&`, 3: "PAS", 4: "RXX", 7: "20250301093000", 10: "M1", 12: "2.4"} {
		if got := string(msh.Field(n).Raw()); got != want {
			t.Errorf("MSH-%d = %q, want %q", n, got, want)
		}
	}
	if got := msh.Field(9).Comp(2).String(); got != "A01" {
		t.Errorf("MSH-9.2 = %q", got)
	}
	if got := m.Segments[1].Field(2).String(); got != "20250301" {
		t.Errorf("EVN-2 = %q", got)
	}
}

func TestValues(t *testing.T) {
	m, err := Parse([]byte(mshA+"\rPID|1||A1^^^RXX&1.2.3&ISO^MR~B2^^^NHS^NH~||SMITH^JO||\"\"|  F  \r"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := m.Segments[1]
	if pid.Name != "PID" {
		t.Fatalf("name %q", pid.Name)
	}
	reps := pid.Field(3).Reps()
	if len(reps) != 3 {
		t.Fatalf("%d repetitions, want 3", len(reps))
	}
	checks := []struct {
		name string
		v    Value
		want string
	}{
		{"rep 1 value", pid.Field(3).Rep(1).Comp(1), "A1"},
		{"rep 1 authority namespace", pid.Field(3).Rep(1).Comp(4).Sub(1), "RXX"},
		{"rep 1 authority OID", pid.Field(3).Rep(1).Comp(4).Sub(2), "1.2.3"},
		{"rep 2 type", pid.Field(3).Rep(2).Comp(5), "NH"},
		{"empty rep 3", pid.Field(3).Rep(3), ""},
		{"missing rep 4", pid.Field(3).Rep(4), ""},
		{"component past the end", pid.Field(5).Comp(9), ""},
		{"given name", pid.Field(5).Comp(2), "JO"},
		{"explicit null", pid.Field(7), ""},
		{"trimmed", pid.Field(8), "F"},
	}
	for _, c := range checks {
		if got := c.v.String(); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	// Absent, empty and null are told apart.
	if !pid.Field(2).Present() || !pid.Field(2).Empty() || pid.Field(2).IsNull() {
		t.Error("PID-2 should be present and empty")
	}
	if !pid.Field(7).Present() || !pid.Field(7).IsNull() || !pid.Field(7).Empty() {
		t.Error("PID-7 should be present and the explicit null")
	}
	if pid.Field(9).Present() || pid.Field(30).Present() {
		t.Error("PID-9 and PID-30 should be absent")
	}
	if pid.Field(3).Rep(4).Present() || !pid.Field(3).Rep(3).Present() {
		t.Error("repetition presence")
	}
	if got := pid.Field(3).Render(); got != "A1^^^RXX&1.2.3&ISO^MR~B2^^^NHS^NH" {
		t.Errorf("Render = %q", got)
	}
}

func TestDecode(t *testing.T) {
	std := &Delimiters{'|', '^', '~', '\\', '&'}
	odd := &Delimiters{'#', '@', '*', '$', '%'}
	tests := []struct {
		d        *Delimiters
		in, want string
	}{
		{std, `plain`, "plain"},
		{std, `A\F\B\S\C\T\D\R\E\E\F`, `A|B^C&D~E\F`},
		{std, `line one\.br\line two`, "line one\nline two"},
		{std, `\H\bold\N\ text`, "bold text"},
		{std, `\X41\\X4243\`, "ABC"},
		{std, `\XC2A3\5`, "£5"},
		{std, `\X4\`, `\X4\`},
		{std, `\XZZ\`, `\XZZ\`},
		{std, `\.in+4\indented`, "indented"},
		{std, `\Cxxyy\`, ""},
		{std, `unterminated \F`, `unterminated \F`},
		{std, `\Q\`, `\Q\`},
		{std, `\\`, `\\`},
		{std, "caf\xe9", "café"}, // ISO 8859-1
		{odd, `A$F$B$S$C$T$D$R$E$E$`, `A#B@C%D*E$`},
		{odd, `a\F\b`, `a\F\b`},
	}
	for _, tt := range tests {
		if got := tt.d.decode([]byte(tt.in)); got != tt.want {
			t.Errorf("decode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		in   string
		want time.Time
		prec Precision
		bad  bool
	}{
		{in: "2025", want: utc("2025-01-01T00:00:00Z"), prec: Year},
		{in: "202507", want: utc("2025-06-30T23:00:00Z"), prec: Month},
		{in: "20250715", want: utc("2025-07-14T23:00:00Z"), prec: Day},
		{in: "2025011509", want: utc("2025-01-15T09:00:00Z"), prec: Hour},
		{in: "202501150930", want: utc("2025-01-15T09:30:00Z"), prec: Minute},
		{in: "20250715093015", want: utc("2025-07-15T08:30:15Z"), prec: Second},
		{in: "20250715093015.1234", want: utc("2025-07-15T08:30:15.1234Z"), prec: Fraction},
		{in: "20250715093015+0000", want: utc("2025-07-15T09:30:15Z"), prec: Second},
		{in: "20250715093015-0500", want: utc("2025-07-15T14:30:15Z"), prec: Second},
		{in: "198808181126+0215", want: utc("1988-08-18T09:11:00Z"), prec: Minute},
		{in: "20210817151943.4+0200", want: utc("2021-08-17T13:19:43.4Z"), prec: Fraction},
		{in: "20240229", want: utc("2024-02-29T00:00:00Z"), prec: Day},
		{in: "", bad: true},
		{in: "202", bad: true},
		{in: "2025071", bad: true},
		{in: "20251301", bad: true},
		{in: "20250230", bad: true},
		{in: "20250229", bad: true},
		{in: "2025071524", bad: true},
		{in: "202507151260", bad: true},
		{in: "20250715120060", bad: true},
		{in: "20250715.5", bad: true},
		{in: "20250715120000.", bad: true},
		{in: "20250715120000.1234567890", bad: true},
		{in: "20250715120000+01", bad: true},
		{in: "20250715120000+1500", bad: true},
		{in: "20250715120000+0160", bad: true},
		{in: "2025-07-15", bad: true},
		{in: "20250715 ", bad: true},
		{in: "２０２５", bad: true},
	}
	for _, tt := range tests {
		got, prec, err := ParseTime(tt.in, london)
		if tt.bad {
			if !errors.Is(err, ErrTime) {
				t.Errorf("ParseTime(%q) = %v, %v; want ErrTime", tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || prec != tt.prec {
			t.Errorf("ParseTime(%q) = %v (%v), want %v (%v)", tt.in, got.UTC(), prec, tt.want, tt.prec)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"19800101":            "1980-01-01",
		"198808181126+0215":   "1988-08-18",
		"19880818233000-1100": "1988-08-18",
		"1980":                "",
		"198001":              "",
		"19800231":            "",
		"not a date":          "",
	} {
		d, err := ParseDate(in)
		got := ""
		if err == nil {
			got = d.Format(time.DateOnly)
		}
		if got != want {
			t.Errorf("ParseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrorsQuoteNothing(t *testing.T) {
	secret := "SECRETNAME"
	for _, in := range []string{
		"PID|1||" + secret,
		`MSH|^^\&|` + secret,
		mshA + "\r" + strings.ToLower(secret) + "|1",
	} {
		_, err := parseOne([]byte(in))
		if err == nil {
			t.Fatalf("%q parsed", in)
		}
		if strings.Contains(strings.ToUpper(err.Error()), secret) {
			t.Errorf("error quotes the message: %v", err)
		}
	}
}
