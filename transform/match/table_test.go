package match

import (
	"slices"
	"testing"
)

// TestNHSColumn: NHS numbers get value ids in order of first appearance,
// not in order of value, however written, with each number's count; blank values are missing and
// unusable ones counted invalid.
func TestNHSColumn(t *testing.T) {
	raw := []string{"943 476 5919", "", "not a number", "4010232137", "9434765919", "  ", "401-023-2137", "4010232138", "9434765919"}
	c := buildColumn(Field{Name: "nhs_number", Type: TypeNHSNumber}, func(i int) string { return raw[i] }, len(raw))
	if want := []int32{0, -1, -1, 1, 0, -1, 1, -1, 0}; !slices.Equal(c.id, want) {
		t.Errorf("ids %v, want %v", c.id, want)
	}
	if want := []uint64{9434765919, 4010232137}; !slices.Equal(c.nhs, want) {
		t.Errorf("numbers %v, want %v", c.nhs, want)
	}
	if want := []int32{3, 2}; !slices.Equal(c.count, want) {
		t.Errorf("counts %v, want %v", c.count, want)
	}
	if c.nonNull != 5 || c.invalid != 2 {
		t.Errorf("%d present and %d invalid, want 5 and 2", c.nonNull, c.invalid)
	}
	if c.val(1) != "4010232137" || c.nv() != 2 {
		t.Errorf("value 1 %q of %d, want 4010232137 of 2", c.val(1), c.nv())
	}
}
