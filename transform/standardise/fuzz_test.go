package standardise

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzStandardise feeds arbitrary text to Name, ParsePostcode and Sex: none
// may panic; each is idempotent; Name gives only upper-case letters, digits
// and single spaces, and a parsed postcode is consistent with its parts.
func FuzzStandardise(f *testing.F) {
	for _, s := range []string{"O'Brien", "Robert'); DROP TABLE person;--", "Zoë 😀", "محمد الأحمد", "\u202Eevil\u202C",
		"Dr. Mary-Jane  SMITH-JONES", "bs1 4dj", "BS14DJ", " ec1a1bb ", "GIR 0AA", "LS1", "\xff\xfe", "", "M", "female", "9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Name(s)
		if Name(n) != n {
			t.Errorf("Name is not idempotent: %q → %q → %q", s, n, Name(n))
		}
		if !utf8.ValidString(n) || strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Errorf("Name(%q) = %q", s, n)
		}
		if strings.ContainsAny(n, "'\";-") {
			t.Errorf("Name(%q) = %q keeps punctuation", s, n)
		}
		p := ParsePostcode(s)
		if p.Full != "" {
			if q := ParsePostcode(p.Full); q != p {
				t.Errorf("ParsePostcode is not idempotent: %q → %+v → %+v", s, p, q)
			}
			if !strings.HasPrefix(p.Full, p.Sector) || !strings.HasPrefix(p.Sector, p.District) || !strings.HasPrefix(p.District, p.Area) || p.Area == "" {
				t.Errorf("ParsePostcode(%q) = %+v: parts do not nest", s, p)
			}
		} else if p != (Postcode{}) {
			t.Errorf("ParsePostcode(%q) = %+v: parts without a postcode", s, p)
		}
		if x := Sex(s); x != "" && Sex(x) != x {
			t.Errorf("Sex is not idempotent: %q → %q → %q", s, x, Sex(x))
		}
	})
}
