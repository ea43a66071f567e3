package match

import (
	"bytes"
	"context"
	"maps"
	"testing"
)

func TestQualitySyntheticRegion(t *testing.T) {
	dir := t.TempDir()
	generateRegion(t, dir, 5000)
	tab, truth := loadRegion(t, dir)
	res, err := MatchTable(context.Background(), DefaultModel(), tab, Options{Train: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Deterministic whatever the number of workers.
	res1, err := MatchTable(context.Background(), DefaultModel(), tab, Options{Train: true, Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var y1, y2 bytes.Buffer
	if err := res.Model.WriteYAML(&y1); err != nil {
		t.Fatal(err)
	}
	if err := res1.Model.WriteYAML(&y2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(y1.Bytes(), y2.Bytes()) || !maps.Equal(res.Clusters(), res1.Clusters()) || len(res.Pairs) != len(res1.Pairs) {
		t.Error("results differ between 1 and 2 workers")
	}
	mt := Evaluate(res.Clusters(), truth)
	t.Logf("records %d, candidates %d, links %d, review %d, refused %d, clusters %d, persons %d",
		res.Stats.Records, res.Stats.CandidatePairs, res.Stats.LinkPairs, res.Stats.ReviewPairs, res.Stats.RefusedMerges, mt.Clusters, mt.Persons)
	t.Logf("pairwise precision %.5f recall %.5f F1 %.5f (true %d, predicted %d, correct %d); exact %.4f split %d merged %d",
		mt.Precision, mt.Recall, mt.F1, mt.TruePairs, mt.PredictedPairs, mt.CorrectPairs, mt.ExactClusters, mt.SplitPersons, mt.MergedPersons)
	t.Logf("prior %.3g; skipped blocks %v", res.Model.Prior, res.Stats.SkippedBlocks)
	if testing.Verbose() {
		for _, c := range res.Model.Comparisons {
			for _, l := range c.Levels[1:] {
				t.Logf("  %s/%s m=%.4g u=%.4g w=%+.2f", c.Name, l.Name, l.M, l.U, log2(l.M/l.U))
			}
		}
		for _, s := range res.Train.Sessions {
			t.Logf("  session %+v", s)
		}
		for _, p := range mt.FalseMerges {
			e, _ := res.Explain(p[0], p[1])
			t.Logf("FALSE MERGE %s", e)
		}
		for i, p := range mt.MissedLinks {
			if i >= 15 {
				break
			}
			e, _ := res.Explain(p[0], p[1])
			t.Logf("MISSED %s", e)
		}
	}
	if mt.Precision < 0.999 {
		t.Errorf("precision %.5f < 0.999", mt.Precision)
	}
	if mt.Recall < 0.98 {
		t.Errorf("recall %.5f < 0.98", mt.Recall)
	}
}
