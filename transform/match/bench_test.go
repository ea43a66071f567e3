package match

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkMatch trains and matches a synthetic region of
// MATCH_BENCH_PERSONS people (default 20,000):
//
//	MATCH_BENCH_PERSONS=100000 go test -run '^$' -bench Match -benchtime 1x ./transform/match
func BenchmarkMatch(b *testing.B) {
	persons := 20000
	if s := os.Getenv("MATCH_BENCH_PERSONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("MATCH_BENCH_PERSONS: %v", err)
		}
		persons = n
	}
	dir := b.TempDir()
	generateRegion(b, dir, persons)
	tab, truth := loadRegion(b, dir)
	runtime.GC()
	b.ResetTimer()
	var res *Result
	for b.Loop() {
		var err error
		res, err = MatchTable(context.Background(), DefaultModel(), tab, Options{Train: true, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tab.Len())*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	mt := Evaluate(res.Clusters(), truth)
	b.Logf("persons %d records %d candidates %d links %d review %d: precision %.5f recall %.5f F1 %.5f (false merges %d, split persons %d)",
		persons, tab.Len(), res.Stats.CandidatePairs, res.Stats.LinkPairs, res.Stats.ReviewPairs, mt.Precision, mt.Recall, mt.F1, mt.ImpureClusters, mt.SplitPersons)
}
