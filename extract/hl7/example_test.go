package hl7_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/hl7"
)

// Land the PAS feed's files into a lake and print how each entity
// reconciles.
func Example() {
	lake, err := os.MkdirTemp("", "lake")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(lake)
	src, err := hl7.New("testdata", []string{"*.hl7"}, hl7.WithLocation(time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	run, err := extract.NewRun(lake, time.Now(), nil)
	if err != nil {
		log.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "acute", "hl7", src)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := run.Commit(time.Now()); err != nil {
		log.Fatal(err)
	}
	for _, e := range sm.Entities {
		fmt.Printf("%s: read %d, landed %d, rejected %d\n", e.Entity, e.Read, e.Landed, e.Rejected)
	}
	// Output:
	// messages: read 14, landed 9, rejected 5
	// patients: read 9, landed 8, rejected 1
	// encounters: read 4, landed 4, rejected 0
	// merges: read 1, landed 1, rejected 0
	// observations: read 3, landed 3, rejected 0
}
