package match

import (
	"math"
	"strconv"
	"testing"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

func log2(x float64) float64 { return math.Log2(x) }

// nhs returns the k-th valid test NHS number (starting 9, never issued).
func nhs(k int) string {
	for i := k * 7; ; i++ {
		d := "9" + pad8(i)
		c, ok := nhsnumber.CheckDigit(d)
		if ok {
			return d + strconv.Itoa(c)
		}
	}
}

func pad8(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}

func person(id, nhsNo, given, family, dob, sex, postcode string) Record {
	return Record{ID: id, Source: "test", Fields: map[string]string{
		"nhs_number": nhsNo, "given_name": given, "family_name": family, "dob": dob, "sex": sex, "postcode": postcode}}
}

func pairOf(t *testing.T, res *Result, a, b string) Pair {
	t.Helper()
	for _, p := range res.Pairs {
		if (p.A == a && p.B == b) || (p.A == b && p.B == a) {
			return p
		}
	}
	t.Fatalf("no pair %s ~ %s in result", a, b)
	return Pair{}
}

func sameCluster(res *Result, a, b string) bool {
	c := res.Clusters()
	return c[a] == c[b]
}
