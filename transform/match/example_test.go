package match_test

import (
	"context"
	"fmt"

	"github.com/sharedcare/sharedcare/transform/match"
)

func ExampleMatch() {
	recs := []match.Record{
		{ID: "gp/1", Source: "gp", Fields: map[string]string{"nhs_number": "943 476 5919", "given_name": "Robert",
			"family_name": "Ellis", "dob": "09/08/1975", "sex": "M", "postcode": "BS6 5EE"}},
		{ID: "mh/7", Source: "mentalhealth", Fields: map[string]string{"nhs_number": "9434765919", "given_name": "Bob",
			"family_name": "Ellis", "dob": "1975-08-09", "sex": "male", "postcode": "BS6 5EE"}},
		{ID: "sp/3", Source: "socialprescribing", Fields: map[string]string{"given_name": "Bob",
			"family_name": "Ellis", "dob": "09/08/1975", "sex": "Male", "postcode": "BS6 5EE"}},
	}
	res, err := match.Match(context.Background(), match.DefaultModel(), recs, match.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Pairs {
		fmt.Printf("%s ~ %s: %s by %s\n", p.A, p.B, p.Band, p.Rule)
	}
	fmt.Println("clusters:", res.Stats.Clusters)
	// Output:
	// gp/1 ~ mh/7: link by nhs_number
	// gp/1 ~ sp/3: link by probabilistic
	// mh/7 ~ sp/3: link by probabilistic
	// clusters: 1
}
