package match

import (
	"cmp"
	"slices"
)

// Metrics measure clusters against true persons.
type Metrics struct {
	Records int // records in both maps
	// Pairwise figures count record pairs in one cluster (predicted) and
	// of one person (true).
	TruePairs      int64
	PredictedPairs int64
	CorrectPairs   int64
	Precision      float64
	Recall         float64
	F1             float64
	Persons        int
	Clusters       int
	// ExactClusters is the share of persons whose records form exactly one
	// cluster with nothing else in it.
	ExactClusters float64
	// SplitPersons have records in more than one cluster; MergedPersons
	// share a cluster with another person; ImpureClusters hold more than
	// one person.
	SplitPersons   int
	MergedPersons  int
	ImpureClusters int
	// FalseMerges and MissedLinks list example record pairs (at most
	// MaxListed each, in a deterministic order).
	FalseMerges [][2]string
	MissedLinks [][2]string
	// Unlabelled counts records of clusters missing from truth, and the
	// reverse (not evaluated).
	Unlabelled int
}

// MaxListed caps Metrics.FalseMerges and Metrics.MissedLinks.
const MaxListed = 100

// SetRates works out Precision, Recall and F1 from the pair counts (1
// when there are no pairs to count).
func (mt *Metrics) SetRates() {
	mt.Precision, mt.Recall, mt.F1 = 1, 1, 0
	if mt.PredictedPairs > 0 {
		mt.Precision = float64(mt.CorrectPairs) / float64(mt.PredictedPairs)
	}
	if mt.TruePairs > 0 {
		mt.Recall = float64(mt.CorrectPairs) / float64(mt.TruePairs)
	}
	if mt.Precision+mt.Recall > 0 {
		mt.F1 = 2 * mt.Precision * mt.Recall / (mt.Precision + mt.Recall)
	}
}

func choose2(n int) int64 { return int64(n) * int64(n-1) / 2 }

// Evaluate compares clusters (record id → cluster id) with truth (record id
// → person id) over the records present in both.
func Evaluate(clusters map[string]string, truth map[string]string) Metrics {
	var mt Metrics
	ids := make([]string, 0, len(clusters))
	for id := range clusters {
		if _, ok := truth[id]; ok {
			ids = append(ids, id)
		} else {
			mt.Unlabelled++
		}
	}
	for id := range truth {
		if _, ok := clusters[id]; !ok {
			mt.Unlabelled++
		}
	}
	slices.Sort(ids)
	mt.Records = len(ids)
	byCluster := map[string][]string{}
	byPerson := map[string][]string{}
	cell := map[[2]string]int{}
	for _, id := range ids {
		c, p := clusters[id], truth[id]
		byCluster[c] = append(byCluster[c], id)
		byPerson[p] = append(byPerson[p], id)
		cell[[2]string{c, p}]++
	}
	mt.Persons, mt.Clusters = len(byPerson), len(byCluster)
	for _, r := range byCluster {
		mt.PredictedPairs += choose2(len(r))
	}
	for _, r := range byPerson {
		mt.TruePairs += choose2(len(r))
	}
	for _, n := range cell {
		mt.CorrectPairs += choose2(n)
	}
	mt.SetRates()
	exact := 0
	merged := map[string]bool{}
	for _, c := range sortedMapKeys(byCluster) {
		recs := byCluster[c]
		persons := map[string]bool{}
		for _, id := range recs {
			persons[truth[id]] = true
		}
		if len(persons) > 1 {
			mt.ImpureClusters++
			for p := range persons {
				merged[p] = true
			}
			for i := 0; i < len(recs) && len(mt.FalseMerges) < MaxListed; i++ {
				for j := i + 1; j < len(recs) && len(mt.FalseMerges) < MaxListed; j++ {
					if truth[recs[i]] != truth[recs[j]] {
						mt.FalseMerges = append(mt.FalseMerges, [2]string{recs[i], recs[j]})
					}
				}
			}
		}
	}
	mt.MergedPersons = len(merged)
	for _, p := range sortedMapKeys(byPerson) {
		recs := byPerson[p]
		cl := map[string]bool{}
		for _, id := range recs {
			cl[clusters[id]] = true
		}
		if len(cl) > 1 {
			mt.SplitPersons++
			for i := 0; i < len(recs) && len(mt.MissedLinks) < MaxListed; i++ {
				for j := i + 1; j < len(recs) && len(mt.MissedLinks) < MaxListed; j++ {
					if clusters[recs[i]] != clusters[recs[j]] {
						mt.MissedLinks = append(mt.MissedLinks, [2]string{recs[i], recs[j]})
					}
				}
			}
		} else if !merged[p] && len(byCluster[clusters[recs[0]]]) == len(recs) {
			exact++
		}
	}
	if mt.Persons > 0 {
		mt.ExactClusters = float64(exact) / float64(mt.Persons)
	}
	return mt
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}
