package standardise

import "testing"

func BenchmarkName(b *testing.B) {
	for _, s := range []string{"Mary-Jane O'Brien", "Zoë Ångström"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				Name(s)
			}
		})
	}
}
