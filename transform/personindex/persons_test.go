package personindex

import "testing"

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
