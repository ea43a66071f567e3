package personindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkWriteLinks writes person_link for 500,000 records with values
// spread as in a region (few sources and rules, thousands of names,
// postcodes): the write phase of a night's person index.
func BenchmarkWriteLinks(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	given := make([]string, 3000)
	family := make([]string, 20000)
	postcode := make([]string, 50000)
	for i := range given {
		given[i] = fmt.Sprintf("GIVEN%04d", i)
	}
	for i := range family {
		family[i] = fmt.Sprintf("FAMILY%05d", i)
	}
	for i := range postcode {
		postcode[i] = fmt.Sprintf("LS%d %d%c%c", i%30, i%10, 'A'+i%26, 'A'+i/26%26)
	}
	sources := [][3]string{{"gp", "gp", "patients"}, {"acute", "acute", "patients"}, {"mentalhealth", "mentalhealth", "patients"}}
	rules := []string{"nhs_number", "probabilistic", "singleton"}
	links := make([]Link, 500000)
	for i := range links {
		s := sources[rng.IntN(len(sources))]
		pc := postcode[rng.IntN(len(postcode))]
		links[i] = Link{Source: s[0], System: s[1], Entity: s[2], RecordKey: fmt.Sprintf("%09d", i),
			PersonID: int64(i/2 + 1), Rule: rules[rng.IntN(3)], Weight: rng.Float64() * 30,
			NHSNumber: fmt.Sprintf("9%09d", rng.IntN(1e9)), NHSStatus: "valid",
			GivenName: given[rng.IntN(len(given))], Family: family[rng.IntN(len(family))],
			BirthDate: time.Date(1930+rng.IntN(90), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC),
			Sex:       "F", Postcode: pc, District: pc[:3]}
		if links[i].Rule == "singleton" {
			links[i].Weight = math.NaN()
		}
	}
	lake := b.TempDir()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := Write(lake, fmt.Sprintf("r%d", i), links, nil); err != nil {
			b.Fatal(err)
		}
	}
}
