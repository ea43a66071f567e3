// Package standardise puts person demographics from different systems into
// one form, so that records can be compared: names without case, accents,
// punctuation or titles; UK postcodes in the canonical "AA9A 9AA" spacing
// with their sector and district; sex codes from HL7, FHIR and the NHS Data
// Dictionary mapped to one code set. It does no I/O and needs no cgo.
package standardise

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

var titles = map[string]bool{
	"MR": true, "MRS": true, "MS": true, "MISS": true, "MX": true, "DR": true,
	"PROF": true, "REV": true, "SIR": true, "DAME": true, "LADY": true, "LORD": true,
	"MASTER": true,
}

// Name returns a name upper-cased, with accents removed, apostrophes and
// full stops dropped (O'Brien → OBRIEN), other punctuation and hyphens turned
// into single spaces, titles removed and spaces collapsed.
func Name(s string) string {
	folded := s
	if !isASCII(s) {
		// Accents only exist outside ASCII; most names skip this (costly) step.
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		if f, _, err := transform.String(t, s); err == nil {
			folded = f
		}
	}
	var b strings.Builder
	space := true
	for _, r := range folded {
		switch {
		case r == '\'' || r == '’' || r == '.' || r == '`':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		if !titles[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// Postcode is a standardised UK postcode.
type Postcode struct {
	Full     string // "BS1 4DJ"; empty when the input is not postcode-shaped
	Sector   string // "BS1 4"
	District string // "BS1"
	Area     string // "BS"
}

// ParsePostcode standardises a UK postcode: case and spaces are ignored, and
// the inward code is the last three characters. Input that does not have the
// shape of a postcode gives the zero Postcode.
func ParsePostcode(s string) Postcode {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r == '\t' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	c := b.String()
	if len(c) < 5 || len(c) > 7 {
		return Postcode{}
	}
	out, in := c[:len(c)-3], c[len(c)-3:]
	if !isDigit(in[0]) || !isLetter(in[1]) || !isLetter(in[2]) {
		return Postcode{}
	}
	// Outward code: 1-2 letters, a digit, then an optional letter or digit.
	i := 0
	for i < len(out) && isLetter(out[i]) {
		i++
	}
	if i < 1 || i > 2 || i >= len(out) || !isDigit(out[i]) {
		return Postcode{}
	}
	for _, ch := range []byte(out[i+1:]) {
		if !isDigit(ch) && !isLetter(ch) {
			return Postcode{}
		}
	}
	if len(out)-i > 2 {
		return Postcode{}
	}
	return Postcode{Full: out + " " + in, Sector: out + " " + in[:1], District: out, Area: out[:i]}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// Sex codes after standardisation.
const (
	SexMale          = "M"
	SexFemale        = "F"
	SexIndeterminate = "I" // other, indeterminate
	SexUnknown       = "U"
)

// Sex maps a sex or administrative gender code from any of the sources'
// codings to M, F, I or U: HL7 v2 (M, F, O, U, A, N), FHIR
// administrative-gender (male, female, other, unknown), NHS Data Dictionary
// person stated gender (1 male, 2 female, 9 indeterminate, 0/X not known).
func Sex(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "M", "MALE", "1":
		return SexMale
	case "F", "FEMALE", "2":
		return SexFemale
	case "I", "O", "OTHER", "9", "A", "INDETERMINATE":
		return SexIndeterminate
	}
	return SexUnknown
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
