package nhsnumber

import (
	"errors"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"9434765919", "9434765919", nil},
		{"943 476 5919", "9434765919", nil},
		{"943-476-5919", "9434765919", nil},
		{" 9434765919 ", "9434765919", nil},
		{"4010232137", "4010232137", nil},
		{"9434765918", "", ErrCheckDigit},
		{"9434765910", "", ErrCheckDigit},
		// 000000001x: sum = 1*2 = 2, 11-2 = 9.
		{"0000000019", "0000000019", nil},
		// 100000001x: sum = 10+2 = 12, 12 mod 11 = 1, 11-1 = 10: never valid.
		{"1000000010", "", ErrCheckDigitTen},
		{"1000000011", "", ErrCheckDigitTen},
		{"943476591", "", ErrLength},
		{"94347659190", "", ErrLength},
		{"94347A5919", "", ErrNonDigit},
		{"943.476.5919", "", ErrNonDigit},
		{"", "", ErrEmpty},
		{"   ", "", ErrEmpty},
		{"0000000000", "", ErrAllSameDigit},
		{"1111111111", "", ErrAllSameDigit},
		{"９４３４７６５９１９", "", ErrNonDigit}, // full-width digits are not accepted
	}
	for _, tt := range tests {
		got, err := Normalise(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("Normalise(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
		if Valid(tt.in) != (tt.err == nil) {
			t.Errorf("Valid(%q) = %v", tt.in, !(tt.err == nil))
		}
	}
}

func TestCheckDigitExhaustiveProperty(t *testing.T) {
	// For every nine-digit prefix from a spread of values the check digit
	// must make a number that Normalise accepts, unless it is 10.
	for n := 0; n < 1_000_000_000; n += 7_654_321 {
		d := []byte("0000000000")
		for i, v := 8, n; i >= 0; i, v = i-1, v/10 {
			d[i] = byte('0' + v%10)
		}
		c, ok := CheckDigit(string(d))
		if !ok {
			continue
		}
		d[9] = byte('0' + c)
		if _, err := Normalise(string(d)); err != nil && !errors.Is(err, ErrAllSameDigit) {
			t.Fatalf("%s: %v", d, err)
		}
	}
}

func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "", "abc", "1000000010"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalise(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error with value %q", got)
			}
			return
		}
		if len(got) != 10 {
			t.Fatalf("valid result %q is not 10 digits", got)
		}
		if again, err := Normalise(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
		}
	})
}
