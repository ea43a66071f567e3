package fhir_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/fhir"
)

// Land a directory of Bulk Data NDJSON files and Bundles into a lake.
func ExampleNew() {
	lake, err := os.MkdirTemp("", "lake")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(lake)
	src, err := fhir.New("testdata", []string{"ndjson/*.ndjson", "bundle/*.json"})
	if err != nil {
		panic(err)
	}
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC), nil)
	if err != nil {
		panic(err)
	}
	sm, err := run.Land(context.Background(), "mental_health", "fhir", src)
	if err != nil {
		panic(err)
	}
	if _, err := run.Commit(time.Date(2026, 1, 1, 2, 1, 0, 0, time.UTC)); err != nil {
		panic(err)
	}
	for _, e := range sm.Entities {
		fmt.Printf("%-13s read %2d landed %2d rejected %2d\n", e.Entity, e.Read, e.Landed, e.Rejected)
	}
	// Output:
	// patients      read  8 landed  4 rejected  4
	// encounters    read  4 landed  3 rejected  1
	// conditions    read  3 landed  2 rejected  1
	// medications   read  2 landed  2 rejected  0
	// allergies     read  1 landed  1 rejected  0
	// referrals     read  1 landed  1 rejected  0
	// practitioners read  1 landed  1 rejected  0
	// organizations read  1 landed  1 rejected  0
	// unrouted      read 10 landed  0 rejected 10
}
