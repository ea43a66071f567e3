package personindex

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

func person(src, key, nhs, given, family string, dob time.Time, pc string) Record {
	return Record{Source: src, System: src, Entity: "patients", RecordKey: key, NHSNumber: nhs, GivenName: given, Family: family, BirthDate: dob, Sex: "F", Postcode: pc}
}

var d1 = time.Date(1970, 3, 4, 0, 0, 0, 0, time.UTC)

func ids(out *Output) map[string]int64 {
	m := map[string]int64{}
	for _, l := range out.Links.Slice() {
		m[RecordID(l.Source, l.Entity, l.RecordKey)] = l.PersonID
	}
	return m
}

func TestBuildMatchedLinksKeepsIDsAndRecordsMergeAndSplit(t *testing.T) {
	ctx := context.Background()
	day1 := []Record{
		person("gp", "P1/1", "9434765919", "Mary", "Smith", d1, "BS1 4DJ"),
		person("acute", "H1", "943 476 5919", "Mary", "Smith", d1, "BS1 4DJ"), // same number
		person("acute", "H2", "", "Mary", "Smith", d1, "BS1 4DJ"),             // source-asserted duplicate of H1
		person("gp", "P1/2", "4010232137", "John", "Jones", time.Date(1950, 1, 2, 0, 0, 0, 0, time.UTC), "M1 1AE"),
		person("gp", "P1/3", "4857773457", "Ann", "Brown", time.Date(1988, 7, 8, 0, 0, 0, 0, time.UTC), "L8 0RX"),
	}
	day1[2].Links = nil
	day1[1].Links = []string{RecordID("acute", "patients", "H2")}
	day2 := slices.Clone(day1) // BuildMatched reorders day1
	out1, err := BuildMatched(ctx, day1, nil, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m1 := ids(out1)
	if m1["gp/patients/P1/1"] != m1["acute/patients/H1"] || m1["acute/patients/H1"] != m1["acute/patients/H2"] {
		t.Fatalf("Mary's three records are not one person: %v", m1)
	}
	if m1["gp/patients/P1/2"] == m1["gp/patients/P1/3"] || m1["gp/patients/P1/2"] == m1["gp/patients/P1/1"] {
		t.Fatalf("different people merged: %v", m1)
	}
	rules := map[string]string{}
	for _, l := range out1.Links.Slice() {
		rules[RecordID(l.Source, l.Entity, l.RecordKey)] = l.Rule
	}
	if rules["acute/patients/H2"] != "source_link" || rules["gp/patients/P1/2"] != "singleton" {
		t.Errorf("rules %v", rules)
	}

	lake := t.TempDir()
	if err := WriteOutput(lake, "r1", out1, nil); err != nil {
		t.Fatal(err)
	}
	prev, err := ReadPrevious(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Day 2: the hospital withdraws the H1/H2 link and H2's details turn
	// out to be another person's (a split); Ann's GP record gains John's
	// number by a clerical accept (a merge, by decision).
	day2[1].Links = nil
	day2[2] = person("acute", "H2", "", "Zara", "Quinn", time.Date(2001, 5, 6, 0, 0, 0, 0, time.UTC), "EC1A 1BB")
	decisions := []Decision{{A: "gp/patients/P1/2", B: "gp/patients/P1/3", Accept: true}}
	out2, err := BuildMatched(ctx, day2, prev, MatchOptions{Decisions: MatchDecisions(decisions)})
	if err != nil {
		t.Fatal(err)
	}
	m2 := ids(out2)
	if m2["gp/patients/P1/1"] != m1["gp/patients/P1/1"] {
		t.Error("Mary's id changed")
	}
	if m2["acute/patients/H2"] == m2["acute/patients/H1"] {
		t.Error("H2 still with Mary")
	}
	if m2["gp/patients/P1/2"] != m2["gp/patients/P1/3"] {
		t.Error("the clerical accept was not applied")
	}
	kinds := map[string]int{}
	for _, c := range out2.Changes {
		kinds[c.Kind]++
	}
	if kinds["split"] != 1 || kinds["merge"] != 1 {
		t.Errorf("changes %+v, want one split and one merge", out2.Changes)
	}
	// A rerun with the same inputs and index gives the same ids.
	again, err := BuildMatched(ctx, day2, prev, MatchOptions{Decisions: MatchDecisions(decisions)})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ids(again) {
		if m2[k] != v {
			t.Errorf("%s: %d then %d", k, m2[k], v)
		}
	}
}

func TestTwoValidNHSNumbersNeverMergedAutomatically(t *testing.T) {
	recs := []Record{
		person("gp", "P1/1", "9434765919", "Mary", "Smith", d1, "BS1 4DJ"),
		person("acute", "H1", "4010232137", "Mary", "Smith", d1, "BS1 4DJ"),
	}
	out, err := BuildMatched(context.Background(), recs, nil, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := ids(out)
	if m["gp/patients/P1/1"] == m["acute/patients/H1"] {
		t.Fatal("two different valid NHS numbers were merged")
	}
	if len(out.Review) != 1 {
		t.Errorf("the pair should wait for review, review queue %d", len(out.Review))
	}
}

func TestDecisionsPersistLatestWins(t *testing.T) {
	lake := t.TempDir()
	for _, d := range []Decision{
		{A: "a/x/1", B: "b/x/2", Accept: true},
		{A: "c/x/1", B: "d/x/2", Accept: true},
		{A: "b/x/2", B: "a/x/1", Accept: false}, // the same pair, reversed, later
	} {
		if err := AppendDecision(lake, d); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := ReadDecisions(lake)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Accept {
		t.Fatalf("decisions %+v", ds)
	}
	if err := AppendDecision(lake, Decision{A: "a", B: "a"}); err == nil {
		t.Error("a decision on one record was accepted")
	}
}

// TestSortOnTwoCores: the two-halves sort gives what slices.SortFunc
// gives, for sizes on both sides of where it splits, with repeated keys.
func TestSortOnTwoCores(t *testing.T) {
	type kv struct{ k, i int }
	cmp := func(a, b kv) int {
		if a.k != b.k {
			return a.k - b.k
		}
		return a.i - b.i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k, n := range []int{0, 1, 1000, 1 << 15, 1<<15 + 1, 100_003, 100_003, 70_001, 50_000, 40_000} {
		s := make([]kv, n)
		for i := range s {
			switch k {
			case 6:
				s[i] = kv{n - i, i} // descending: the first half holds the largest
			case 8:
				s[i] = kv{i, i} // already sorted
			case 9:
				s[i] = kv{0, n - i} // one key: the index alone orders
			case 7:
				s[i] = kv{rng.IntN(4 * n), i}
			default:
				s[i] = kv{rng.IntN(n/3 + 1), i} // repeated keys
			}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, cmp)
		sortOnTwoCores(s, cmp)
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d: not the order slices.SortFunc gives", n)
		}
	}
}

// TestIDTable: dense and sparse tables agree, ids past a dense table's end
// included, and a table too large for dense use is sparse.
func TestIDTable(t *testing.T) {
	dense, sparse := newIDTable(1000, 10), newIDTable(1<<50, 10)
	if dense.dense == nil || sparse.dense != nil {
		t.Fatalf("dense %v, sparse %v: the wrong kinds", dense.dense == nil, sparse.dense != nil)
	}
	ids := []int64{0, 1, 7, 999, 1000, 1001, 1 << 40, -3}
	for k, id := range ids {
		dense.set(id, int32(k+1))
		sparse.set(id, int32(k+1))
	}
	for k, id := range ids {
		if d, s := dense.get(id), sparse.get(id); d != int32(k+1) || s != d {
			t.Errorf("id %d: dense %d, sparse %d, want %d", id, d, s, k+1)
		}
	}
	if dense.get(5) != 0 || sparse.get(5) != 0 {
		t.Error("an id never set is not 0")
	}
}

// TestSpilledDemographicsMatchTheSame holds an index that keeps the
// records' demographics on disk (MatchOptions.SpillDir) to one that holds
// them: the same links, pairs and person_link file, and no file left.
func TestSpilledDemographicsMatchTheSame(t *testing.T) {
	defer func(n int) { demoPage = n }(demoPage)
	demoPage = 97 // many pages
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	var recs []Record
	for p := range 1500 {
		nhs := ""
		for {
			d := fmt.Sprintf("%09d", rng.IntN(1e9))
			if c, ok := nhsnumber.CheckDigit(d); ok {
				nhs = d + strconv.Itoa(c)
				break
			}
		}
		given, family := pick("Mary", "John", "Ann", "Aisha", "Wei"), pick("Smith", "Jones", "Khan", "Brown", "Li", "Evans")
		dob := time.Date(1930+rng.IntN(80), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		pc := pick("BS1 4DJ", "M1 1AE", "L8 0RX", "")
		for s, src := range []string{"gp", "acute", "mentalhealth"} {
			if s > 0 && rng.IntN(2) == 0 {
				continue
			}
			r := person(src, fmt.Sprintf("K%05d", p), pick(nhs, nhs, ""), given, family, dob, pc)
			if rng.IntN(4) == 0 {
				r.GivenName = pick("Marie", "Jon", "Anne", given+"e")
			}
			if rng.IntN(5) == 0 {
				r.BirthDate = dob.AddDate(0, 0, 1)
			}
			recs = append(recs, r)
		}
	}
	ctx := context.Background()
	build := func(dir string) (*Output, []byte) {
		out, err := BuildMatched(ctx, slices.Clone(recs), nil, MatchOptions{Seed: 1, SpillDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		lake := t.TempDir()
		if err := WriteOutput(lake, "r1", out, nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(lake, LinkFile("r1")))
		if err != nil {
			t.Fatal(err)
		}
		return out, b
	}
	held, heldFile := build("")
	dir := t.TempDir()
	spilled, spilledFile := build(dir)
	if held.Stats.LinkedRecords == 0 || held.Pairs.Len() == 0 {
		t.Fatalf("nothing linked: %+v", held.Stats)
	}
	if spilled.Links.demo != nil {
		t.Error("the demographics were held")
	}
	if !slices.EqualFunc(held.Links.Slice(), spilled.Links.Slice(), sameLink) {
		t.Error("the links differ")
	}
	if held.Pairs.Len() != spilled.Pairs.Len() {
		t.Fatalf("%d pairs held, %d spilled", held.Pairs.Len(), spilled.Pairs.Len())
	}
	for i := range held.Pairs.Len() {
		a, b := held.Pairs.At(i), spilled.Pairs.At(i)
		if a.AIndex != b.AIndex || a.BIndex != b.BIndex || a.Weight != b.Weight || a.Band != b.Band {
			t.Fatalf("pair %d: %+v held, %+v spilled", i, a, b)
		}
	}
	if !bytes.Equal(heldFile, spilledFile) {
		t.Error("the person_link files differ")
	}
	if err := spilled.Close(); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("files left in the spill directory: %v", es)
	}
}
