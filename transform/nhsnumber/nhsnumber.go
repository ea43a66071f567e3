// Package nhsnumber validates and normalises NHS numbers.
//
// An NHS number is ten digits. The tenth is a Modulus 11 check digit: the
// first nine digits are weighted 10, 9, …, 2, the products summed, and the
// check digit is 11 − (sum mod 11), where 11 becomes 0 and 10 means the nine
// digits can never form a valid number.
//
// Source systems write NHS numbers with spaces ("943 476 5919") or dashes;
// Normalise removes those separators and nothing else, so letters or a
// wrong length are reported rather than silently repaired.
package nhsnumber

import (
	"errors"
	"strings"
)

// Reasons a value is not a valid NHS number. Classify with errors.Is.
var (
	ErrEmpty         = errors.New("nhs number is empty")
	ErrLength        = errors.New("nhs number does not have 10 digits")
	ErrNonDigit      = errors.New("nhs number contains a character that is not a digit")
	ErrCheckDigit    = errors.New("nhs number check digit does not match")
	ErrCheckDigitTen = errors.New("nhs number digits give check digit 10, which is never issued")
	ErrAllSameDigit  = errors.New("nhs number is a dummy value (all one digit)")
)

// CheckDigit returns the Modulus 11 check digit for the first nine digits
// of d, which must be ASCII digits, and false when the result would be 10
// (no valid number can be formed from those nine digits).
func CheckDigit(d string) (int, bool) {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		return 0, true
	case 10:
		return 10, false
	}
	return c, true
}

// Normalise strips spaces and dashes from s and validates the result. It
// returns the ten-digit string, or "" and an error wrapping one of the Err
// values above.
func Normalise(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	var b strings.Builder
	b.Grow(10)
	for _, r := range s {
		switch {
		case r == ' ' || r == '-':
			continue
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", ErrNonDigit
		}
	}
	d := b.String()
	if len(d) != 10 {
		return "", ErrLength
	}
	if strings.Count(d, d[:1]) == 10 {
		return "", ErrAllSameDigit
	}
	c, ok := CheckDigit(d)
	if !ok {
		return "", ErrCheckDigitTen
	}
	if int(d[9]-'0') != c {
		return "", ErrCheckDigit
	}
	return d, nil
}

// Valid reports whether s, after removing spaces and dashes, is a valid
// NHS number.
func Valid(s string) bool {
	_, err := Normalise(s)
	return err == nil
}
