package csv

import (
	"time"
)

// fixedLayout is a date or timestamp layout made only of zero-padded
// numbers (2006, 01, 02, 15, 04, 05) and separators, such as "02/01/2006" or
// "2006-01-02T15:04:05". A value of exactly that shape is read without
// time.ParseInLocation, which takes a fifth of the connector's time on a
// patients file; anything else goes to time.ParseInLocation, which stays the
// reference for what is accepted.
type fixedLayout struct {
	elems []layoutElem
	size  int // length of a matching value
}

type layoutElem struct {
	kind byte // 'Y' year, 'M' month, 'D' day, 'h' hour, 'm' minute, 's' second, 0 literal
	lit  byte
}

// compileLayout returns the fast reader for layout, or nil when the layout
// has any element it does not know. It checks itself against the time
// package on sample values before it is trusted.
func compileLayout(layout string) *fixedLayout {
	fl := &fixedLayout{}
	for i := 0; i < len(layout); {
		rest := layout[i:]
		switch {
		case len(rest) >= 4 && rest[:4] == "2006":
			fl.elems = append(fl.elems, layoutElem{kind: 'Y'})
			fl.size += 4
			i += 4
			continue
		case len(rest) >= 3 && rest[:3] == "002": // day of year
			return nil
		case len(rest) >= 2 && rest[:2] == "01":
			fl.elems = append(fl.elems, layoutElem{kind: 'M'})
		case len(rest) >= 2 && rest[:2] == "02":
			fl.elems = append(fl.elems, layoutElem{kind: 'D'})
		case len(rest) >= 2 && rest[:2] == "15":
			fl.elems = append(fl.elems, layoutElem{kind: 'h'})
		case len(rest) >= 2 && rest[:2] == "04":
			fl.elems = append(fl.elems, layoutElem{kind: 'm'})
		case len(rest) >= 2 && rest[:2] == "05":
			fl.elems = append(fl.elems, layoutElem{kind: 's'})
		case rest[0] == '/' || rest[0] == ':' || rest[0] == ' ' || rest[0] == 'T' ||
			(rest[0] == '-' && !(len(rest) >= 3 && rest[1:3] == "07")): // -07 is a zone
			fl.elems = append(fl.elems, layoutElem{lit: rest[0]})
			fl.size++
			i++
			continue
		default:
			return nil
		}
		fl.size += 2
		i += 2
	}
	// Each element at most once, and a date at least: otherwise leave it
	// to the time package.
	seen := map[byte]bool{}
	for _, e := range fl.elems {
		if e.kind != 0 {
			if seen[e.kind] {
				return nil
			}
			seen[e.kind] = true
		}
	}
	if !seen['Y'] || !seen['M'] || !seen['D'] {
		return nil
	}
	for _, t := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 7, 8, 9, 0, time.UTC),
		time.Date(1987, 10, 5, 13, 45, 1, 0, time.UTC),
	} {
		v := t.Format(layout)
		want, err := time.ParseInLocation(layout, v, time.UTC)
		got, ok := fl.parse(v, time.UTC)
		if err != nil || !ok || !got.Equal(want) {
			return nil
		}
	}
	return fl
}

// parse reads v, reporting false when v does not have the layout's exact
// shape or names no real date or time; the caller then asks the time
// package, for the value or for the error.
func (fl *fixedLayout) parse(v string, loc *time.Location) (time.Time, bool) {
	c, ok := fl.fields(v)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(c.year, time.Month(c.month), c.day, c.hour, c.minute, c.sec, 0, loc), true
}

// clock is a date and time of day as written, checked to exist.
type clock struct{ year, month, day, hour, minute, sec int }

// fields reads v as parse does, without making a time.Time: a date field
// needs only the day.
func (fl *fixedLayout) fields(v string) (clock, bool) {
	if len(v) != fl.size {
		return clock{}, false
	}
	year, month, day, hour, minute, sec := 0, 1, 1, 0, 0, 0
	p := 0
	for _, e := range fl.elems {
		if e.kind == 0 {
			if v[p] != e.lit {
				return clock{}, false
			}
			p++
			continue
		}
		w := 2
		if e.kind == 'Y' {
			w = 4
		}
		n := 0
		for _, c := range []byte(v[p : p+w]) {
			if c < '0' || c > '9' {
				return clock{}, false
			}
			n = n*10 + int(c-'0')
		}
		p += w
		switch e.kind {
		case 'Y':
			year = n
		case 'M':
			month = n
		case 'D':
			day = n
		case 'h':
			hour = n
		case 'm':
			minute = n
		case 's':
			sec = n
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return clock{}, false
	}
	return clock{year, month, day, hour, minute, sec}, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
