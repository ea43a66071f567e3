package extract

import (
	"slices"
	"testing"
)

// TestEntityLandingWhole: a run's file of an entity is whole when no source
// file that run landed was landed again later; a file skipped as unchanged
// was not landed.
func TestEntityLandingWhole(t *testing.T) {
	run := func(id string, files []string, inputs ...Input) *Manifest {
		return &Manifest{RunID: id, Sources: []SourceManifest{
			{Name: "acute", Inputs: inputs, Entities: []EntityManifest{{Entity: "patients", Files: files}}},
			{Name: "other", Inputs: []Input{{File: "a.csv"}}},
		}}
	}
	runs := []*Manifest{
		run("R1", []string{"r1-0.parquet", "r1-1.parquet"}, Input{File: "a.csv"}, Input{File: "b.csv"}),
		run("R2", []string{"r2.parquet"}, Input{File: "b.csv"}, Input{File: "c.csv"}),
		run("R3", []string{"r3.parquet"}, Input{File: "a.csv", LandedIn: "R1"}, Input{File: "d.csv"}),
	}
	l := EntityLanding(runs, "acute", "patients")
	if want := []string{"r1-0.parquet", "r1-1.parquet", "r2.parquet", "r3.parquet"}; !slices.Equal(l.Files, want) {
		t.Fatalf("files %v, want %v", l.Files, want)
	}
	if want := []bool{false, false, true, true}; !slices.Equal(l.Whole, want) {
		t.Errorf("whole %v, want %v: R1's b.csv was landed again by R2", l.Whole, want)
	}
	if l.LatestRun["a.csv"] != "R1" || l.LatestRun["b.csv"] != "R2" || l.LatestRun["d.csv"] != "R3" {
		t.Errorf("latest runs %v", l.LatestRun)
	}
}
