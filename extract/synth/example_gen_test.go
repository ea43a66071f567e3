package synth

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestWriteSampleRegion(t *testing.T) {
	dir := os.Getenv("SYNTH_SAMPLE_DIR")
	if dir == "" {
		t.Skip("SYNTH_SAMPLE_DIR not set")
	}
	_, err := Generate(context.Background(), Config{Out: dir, Persons: 2000, Seed: 1, EndMonth: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), Months: 24})
	if err != nil {
		t.Fatal(err)
	}
}
