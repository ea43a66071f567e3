package personindex

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/sharedcare/sharedcare/transform/standardise"
)

// TestPackNHS holds NHS numbers as sources write them, packed, to what
// they were: ten digits as a number (leading zeros too) and anything else
// as text.
func TestPackNHS(t *testing.T) {
	p := NewPersons(0)
	in := []string{"", "9434765919", "0000000000", "0123456789", "943 476 5919", "943-476-5919", "12345",
		"+123456789", "94347659190", "９４３４７６５９１９", "9434765919 "}
	packed := make([]uint64, len(in))
	for i, s := range in {
		packed[i] = p.packNHS(s)
	}
	p.dict.seal()
	for i, s := range in {
		if got := p.nhs(&personRec{nhs: packed[i]}); got != s {
			t.Errorf("%q packed to %#x, unpacked to %q", s, packed[i], got)
		}
	}
	if packed[1]&rawNHSText != 0 || packed[2]&rawNHSText != 0 || packed[4]&rawNHSText == 0 {
		t.Errorf("ten digits packed as text or text as digits: %#x %#x %#x", packed[1], packed[2], packed[4])
	}
}

// TestPersonRec holds a person record to 40 bytes: sex standardised into
// a byte, the key's length in 16 bits (a longer key is an error).
func TestPersonRec(t *testing.T) {
	if n := unsafe.Sizeof(personRec{}); n != 40 {
		t.Errorf("a person record takes %d bytes, want 40", n)
	}
	p := PersonsOf([]Record{{Source: "gp", RecordKey: "a", Sex: "male"}, {Source: "gp", RecordKey: "b", Sex: "2"},
		{Source: "gp", RecordKey: "c", Sex: "9"}, {Source: "gp", RecordKey: "d"}, {Source: "gp", RecordKey: "e", Sex: "x"}})
	for i, want := range []string{standardise.SexMale, standardise.SexFemale, standardise.SexIndeterminate, standardise.SexUnknown, standardise.SexUnknown} {
		if got := p.Record(i).Sex; got != want {
			t.Errorf("record %d: sex %q, want %q", i, got, want)
		}
	}
	var r personRec
	long := strings.Repeat("k", math.MaxUint16)
	buf, err := keyAt(nil, 0, long, &r)
	if err != nil || r.klen != math.MaxUint16 || len(buf) != len(long) {
		t.Errorf("a key of %d bytes: %v, length %d", len(long), err, r.klen)
	}
	if _, err := keyAt(nil, 0, long+"k", &r); err == nil {
		t.Errorf("no error for a key of %d bytes", len(long)+1)
	}
}
