package hl7

import (
	"errors"
	"time"
)

// ErrTime is wrapped by the errors of ParseTime.
var ErrTime = errors.New("not an HL7 timestamp")

// Precision is how much of a timestamp was written.
type Precision int

// Precisions, from a year alone to fractions of a second.
const (
	Year Precision = iota + 1
	Month
	Day
	Hour
	Minute
	Second
	Fraction
)

// ParseTime reads an HL7 TS/DTM value, YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]
// (only the first component of a v2.3 TS, which may carry a precision after
// a component separator, should be passed). A time without an offset is
// read in loc. Missing parts take their lowest value (a date alone is
// midnight). Fractions of more than nine digits, out-of-range parts
// (month 13, 25:00, 30 February) and offsets beyond ±14:00 are errors.
func ParseTime(s string, loc *time.Location) (time.Time, Precision, error) {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	var p Precision
	switch n {
	case 4:
		p = Year
	case 6:
		p = Month
	case 8:
		p = Day
	case 10:
		p = Hour
	case 12:
		p = Minute
	case 14:
		p = Second
	default:
		return time.Time{}, 0, ErrTime
	}
	num := func(i, w int) int {
		v := 0
		for _, c := range s[i : i+w] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec, ns := num(0, 4), 1, 1, 0, 0, 0, 0
	if p >= Month {
		mo = num(4, 2)
	}
	if p >= Day {
		d = num(6, 2)
	}
	if p >= Hour {
		h = num(8, 2)
	}
	if p >= Minute {
		mi = num(10, 2)
	}
	if p >= Second {
		sec = num(12, 2)
	}
	rest := s[n:]
	if len(rest) > 0 && rest[0] == '.' {
		if p != Second {
			return time.Time{}, 0, ErrTime
		}
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		digits := rest[1:k]
		if len(digits) == 0 || len(digits) > 9 {
			return time.Time{}, 0, ErrTime
		}
		for i := 0; i < 9; i++ {
			ns *= 10
			if i < len(digits) {
				ns += int(digits[i] - '0')
			}
		}
		p = Fraction
		rest = rest[k:]
	}
	if len(rest) > 0 {
		if len(rest) != 5 || (rest[0] != '+' && rest[0] != '-') {
			return time.Time{}, 0, ErrTime
		}
		for _, c := range rest[1:] {
			if c < '0' || c > '9' {
				return time.Time{}, 0, ErrTime
			}
		}
		oh, om := int(rest[1]-'0')*10+int(rest[2]-'0'), int(rest[3]-'0')*10+int(rest[4]-'0')
		if oh > 14 || om > 59 || (oh == 14 && om > 0) {
			return time.Time{}, 0, ErrTime
		}
		off := (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, 0, ErrTime
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	// time.Date normalises 30 February to 2 March; a date that does not
	// come back as written did not exist. (A local time in a daylight-saving
	// gap comes back an hour later: it is kept, as Go resolves it.)
	if t.Day() != d || int(t.Month()) != mo || t.Year() != y {
		if ty, tm, td := time.Date(y, time.Month(mo), d, 12, 0, 0, 0, time.UTC).Date(); ty != y || int(tm) != mo || td != d {
			return time.Time{}, 0, ErrTime
		}
	}
	return t, p, nil
}

// ParseDate reads the calendar date written in an HL7 DT or TS value, as
// written, whatever the offset: a birth date "19880818112600+0215" is 18
// August 1988. It needs at least year, month and day.
func ParseDate(s string) (time.Time, error) {
	t, p, err := ParseTime(s, time.UTC)
	if err != nil {
		return time.Time{}, err
	}
	if p < Day {
		return time.Time{}, ErrTime
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}
