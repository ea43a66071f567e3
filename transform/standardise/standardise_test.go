package standardise

import "testing"

func TestName(t *testing.T) {
	tests := map[string]string{
		"  o'brien ":           "OBRIEN",
		"Zoë":                  "ZOE",
		"Mr. John  Smith":      "JOHN SMITH",
		"Smith-Jones":          "SMITH JONES",
		"Dr Ana-María López":   "ANA MARIA LOPEZ",
		"MRS":                  "",
		"Robert'); DROP TABLE": "ROBERT DROP TABLE",
		"":                     "",
	}
	for in, want := range tests {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePostcode(t *testing.T) {
	tests := []struct{ in, full, sector, district, area string }{
		{"bs1 4dj", "BS1 4DJ", "BS1 4", "BS1", "BS"},
		{"BS14DJ", "BS1 4DJ", "BS1 4", "BS1", "BS"},
		{"sw1a 1aa", "SW1A 1AA", "SW1A 1", "SW1A", "SW"},
		{"M1 1AE", "M1 1AE", "M1 1", "M1", "M"},
		{"ec1a1bb", "EC1A 1BB", "EC1A 1", "EC1A", "EC"},
		{"L8 0RX ", "L8 0RX", "L8 0", "L8", "L"},
		{"", "", "", "", ""},
		{"12345", "", "", "", ""},
		{"BS1 DJ4", "", "", "", ""},
		{"ABC1 1AA", "", "", "", ""},
	}
	for _, tt := range tests {
		p := ParsePostcode(tt.in)
		if p.Full != tt.full || p.Sector != tt.sector || p.District != tt.district || p.Area != tt.area {
			t.Errorf("ParsePostcode(%q) = %+v", tt.in, p)
		}
	}
}

func TestSex(t *testing.T) {
	tests := map[string]string{"M": "M", "male": "M", "1": "M", "F": "F", "female": "F", "2": "F",
		"O": "I", "other": "I", "9": "I", "U": "U", "unknown": "U", "0": "U", "X": "U", "": "U", "Z": "U"}
	for in, want := range tests {
		if got := Sex(in); got != want {
			t.Errorf("Sex(%q) = %q, want %q", in, got, want)
		}
	}
}
