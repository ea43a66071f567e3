package hl7

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/extract"
)

// checkSink checks every row against its schema, as EntityWriter would,
// and that landed strings are valid UTF-8.
type checkSink struct {
	schema extract.Schema
	n      int
}

func (c *checkSink) Append(pos extract.Position, raw []byte, vals []any) error {
	c.n++
	if len(vals) != len(c.schema.Fields) {
		return fmt.Errorf("%s: %d values for %d fields", c.schema.Entity, len(vals), len(c.schema.Fields))
	}
	for i, f := range c.schema.Fields {
		v := vals[i]
		if v == nil {
			continue
		}
		ok := false
		switch f.Type {
		case extract.String:
			s, is := v.(string)
			ok = is && utf8.ValidString(s)
		case extract.Int64:
			_, ok = v.(int64)
		case extract.Date, extract.Timestamp:
			_, ok = v.(time.Time)
		case extract.StringList:
			l, is := v.([]string)
			ok = is
			for _, s := range l {
				ok = ok && utf8.ValidString(s)
			}
		}
		if !ok {
			return fmt.Errorf("%s.%s: bad value %T", c.schema.Entity, f.Name, v)
		}
	}
	return nil
}

func (c *checkSink) Reject(pos extract.Position, raw []byte, reason, msg string) error {
	c.n++
	if reason == "" || msg == "" {
		return fmt.Errorf("%s: reject without reason or message", c.schema.Entity)
	}
	return nil
}

// fuzzLand cuts data into messages and maps each one, checking that every
// message gives exactly one messages row or reject.
func fuzzLand(t *testing.T, data []byte) {
	msgs := &checkSink{schema: MessagesSchema}
	es := entities{
		messages:     msgs,
		patients:     &checkSink{schema: PatientsSchema},
		encounters:   &checkSink{schema: EncountersSchema},
		merges:       &checkSink{schema: MergesSchema},
		observations: &checkSink{schema: ObservationsSchema},
	}
	checkStreamed(t, data, 1, 3, 7, 64)
	checkStreamedMax(t, data, 64, 1, 7, 64) // messages over the limit too
	m := mapper{loc: time.UTC}
	sp := splitter{data: data}
	for n := int64(1); ; n++ {
		raw, segs, ok := sp.next()
		if !ok {
			break
		}
		if len(raw) == 0 || len(segs) == 0 {
			t.Fatalf("message %d is empty", n)
		}
		before := msgs.n
		if err := m.land(&es, extract.Position{File: "f", N: n}, raw, segs); err != nil {
			t.Fatal(err)
		}
		if msgs.n != before+1 {
			t.Fatalf("message %d gave %d messages rows", n, msgs.n-before)
		}
		if msg, err := Parse(raw, segs); err == nil {
			for _, s := range msg.Segments {
				for i := range s.Fields {
					f := s.Field(i)
					if r := f.Render(); !utf8.ValidString(r) {
						t.Fatalf("Render gave invalid UTF-8")
					}
					_ = f.Rep(2).Comp(2).Sub(2).String()
				}
			}
		}
	}
	if sp.off != len(data) {
		t.Fatalf("splitter stopped at %d of %d", sp.off, len(data))
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata", realdataDir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("MSH|^~\\&|A|B|||2025||ADT^A40|1|P|2.4\rPID|1||1^^^^MR~2^^^NHS\rMRG|3^^^^MR\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLand(t, data)
		if len(data) < 64 {
			if _, p, err := ParseTime(string(data), time.UTC); (err == nil) != (p != 0) {
				t.Fatalf("precision %d with error %v", p, err)
			}
		}
	})
}
