package match

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// TrainReport says how the parameters were estimated.
type TrainReport struct {
	RandomPairs int // pairs sampled to estimate u
	// Sessions has one entry per blocking rule: the pairs of its blocks
	// used to estimate m for the comparisons it does not block on.
	Sessions []TrainSession
	Prior    float64 // λ estimated
}

// TrainSession is one EM run.
type TrainSession struct {
	Rule       int
	Pairs      int
	Iterations int
	Converged  bool
	Estimated  []string // comparisons whose m it estimated
	MatchShare float64  // estimated share of its pairs that are matches
}

const (
	probFloor    = 1e-6
	emIterations = 40
	emTolerance  = 1e-6
	streams      = 16
	// priorStrength is the weight, in matching pairs, of the model's m
	// values as a prior in EM.
	priorStrength = 10
)

// Train estimates a model's parameters from records and returns a trained
// copy: u from random pairs, m by expectation–maximisation over blocked
// pairs with u fixed (one session per blocking rule, each estimating the
// comparisons its rule does not block on, averaged), then the prior λ from
// the expected number of matches among all pairs. Levels marked fixed keep
// their values. The result depends only on the records, the model and
// opts.Seed.
func Train(ctx context.Context, m *Model, t *Table, opts Options) (*Model, *TrainReport, error) {
	opts = opts.withDefaults()
	p, err := prepare(m, t, opts.Workers)
	if err != nil {
		return nil, nil, err
	}
	return train(ctx, m, p, newBlocker(m, p), newComparer(m, p), opts)
}

// sessionMasks gives, per blocking rule, the comparisons its EM session
// estimates (those on fields the rule does not block on) as a list and as
// a mask over comparison vectors.
func sessionMasks(m *Model) ([][]int, []uint64) {
	est := make([][]int, len(m.blockKeys))
	masks := make([]uint64, len(m.blockKeys))
	for r := range m.blockKeys {
		blocked := map[int]bool{}
		for _, k := range m.blockKeys[r] {
			blocked[k.field] = true
		}
		for ci, c := range m.Comparisons {
			if !blocked[m.fieldIdx[c.Field]] {
				masks[r] |= 0xF << (4 * ci)
				est[r] = append(est[r], ci)
			}
		}
	}
	return est, masks
}

func train(ctx context.Context, m *Model, p *prepared, bk *blocker, cmpr *comparer, opts Options) (*Model, *TrainReport, error) {
	out := m.Clone()
	rep := &TrainReport{}
	nc := len(m.Comparisons)
	ests, masks := sessionMasks(m)
	counts, err := countPatterns(ctx, bk, cmpr, opts.Workers, masks)
	if err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}

	// u from random pairs.
	random, sampled, err := randomPairCounts(ctx, cmpr, p.n, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("training u: %w", err)
	}
	rep.RandomPairs = sampled
	for ci := range nc {
		lv := out.Comparisons[ci].Levels
		nonNull := 0
		for li := 1; li < len(lv); li++ {
			nonNull += random[ci][li]
		}
		for li := 1; li < len(lv); li++ {
			if lv[li].Fixed {
				continue
			}
			lv[li].U = clampProb(float64(random[ci][li]+1) / float64(nonNull+len(lv)-1))
		}
	}

	// m by EM, one session per blocking rule.
	mSum := make([][]float64, nc)
	mN := make([]int, nc)
	for ci := range nc {
		mSum[ci] = make([]float64, len(m.Comparisons[ci].Levels))
	}
	for r := range m.blockKeys {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		est, pats, n := ests[r], counts.rule[r], counts.ruleN[r]
		s := TrainSession{Rule: r, Pairs: n}
		for _, ci := range est {
			s.Estimated = append(s.Estimated, m.Comparisons[ci].Name)
		}
		if n < 10 || len(est) == 0 {
			rep.Sessions = append(rep.Sessions, s)
			continue
		}
		mm, share, iters, conv := em(out, pats, est)
		s.Iterations, s.Converged, s.MatchShare = iters, conv, share
		rep.Sessions = append(rep.Sessions, s)
		for _, ci := range est {
			for li := range mm[ci] {
				mSum[ci][li] += mm[ci][li]
			}
			mN[ci]++
		}
	}
	for ci := range nc {
		if mN[ci] == 0 {
			continue
		}
		lv := out.Comparisons[ci].Levels
		for li := 1; li < len(lv); li++ {
			if !lv[li].Fixed {
				lv[li].M = clampProb(mSum[ci][li] / float64(mN[ci]))
			}
		}
	}

	// λ: the expected number of matches among all pairs.
	pats := counts.all
	total := float64(p.n) * float64(p.n-1) / 2
	if total > 0 && counts.n > 0 {
		keys := sortedKeys(pats)
		lw := levelWeights(out)
		lam := out.Prior
		for range 50 {
			pw := logit2(lam)
			exp := 0.0
			for _, k := range keys {
				exp += pats[k] * Probability(pw+patternWeight(lw, k, nc))
			}
			next := math.Min(math.Max(exp/total, 1e-12), 0.5)
			if math.Abs(next-lam) < 1e-9*lam {
				lam = next
				break
			}
			lam = next
		}
		out.Prior = lam
	}
	rep.Prior = out.Prior
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("training produced an invalid model: %w", err)
	}
	out.tf = termFrequencies(out, p)
	return out, rep, nil
}

func clampProb(x float64) float64 { return math.Min(math.Max(x, probFloor), 1) }

func sortedKeys(m map[uint64]float64) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// levelWeights returns log2(m/u) per comparison and level (0 for null).
func levelWeights(m *Model) [][]float64 {
	lw := make([][]float64, len(m.Comparisons))
	for ci, c := range m.Comparisons {
		lw[ci] = make([]float64, len(c.Levels))
		for li := range c.Levels {
			lw[ci][li] = m.LevelWeight(ci, li)
		}
	}
	return lw
}

func patternWeight(lw [][]float64, pat uint64, nc int) float64 {
	w := 0.0
	for ci := range nc {
		w += lw[ci][levelOf(pat, ci)]
	}
	return w
}

// em runs expectation–maximisation of m (u fixed) over pattern counts for
// the comparisons est. It returns m per comparison and level, the match
// share, the iterations run and whether it converged.
func em(m *Model, pats map[uint64]float64, est []int) ([][]float64, float64, int, bool) {
	nc := len(m.Comparisons)
	keys := sortedKeys(pats)
	mm := make([][]float64, nc)
	uu := make([][]float64, nc)
	for ci, c := range m.Comparisons {
		mm[ci] = make([]float64, len(c.Levels))
		uu[ci] = make([]float64, len(c.Levels))
		for li, l := range c.Levels {
			mm[ci][li], uu[ci][li] = l.M, l.U
		}
	}
	lam := 0.1
	acc := make([][]float64, nc)
	for ci := range acc {
		acc[ci] = make([]float64, len(mm[ci]))
	}
	iters := 0
	for iters < emIterations {
		iters++
		for ci := range acc {
			clear(acc[ci])
		}
		totalP, totalN := 0.0, 0.0
		for _, k := range keys {
			n := pats[k]
			lm, lu := math.Log(lam), math.Log(1-lam)
			for _, ci := range est {
				li := levelOf(k, ci)
				if li == 0 {
					continue
				}
				lm += math.Log(mm[ci][li])
				lu += math.Log(uu[ci][li])
			}
			pm := 1 / (1 + math.Exp(lu-lm))
			totalP += n * pm
			totalN += n
			for _, ci := range est {
				if li := levelOf(k, ci); li != 0 {
					acc[ci][li] += n * pm
				}
			}
		}
		delta := 0.0
		for _, ci := range est {
			sum := 0.0
			for li := 1; li < len(acc[ci]); li++ {
				sum += acc[ci][li]
			}
			if sum <= 0 {
				continue
			}
			for li := 1; li < len(acc[ci]); li++ {
				l := m.Comparisons[ci].Levels[li]
				if l.Fixed {
					continue
				}
				// MAP estimate: the model's m is a Dirichlet prior worth
				// priorStrength matching pairs, so a level never seen among
				// few matches keeps a plausible, not vanishing, m.
				v := clampProb((acc[ci][li] + priorStrength*l.M) / (sum + priorStrength))
				delta = math.Max(delta, math.Abs(v-mm[ci][li]))
				mm[ci][li] = v
			}
		}
		newLam := math.Min(math.Max(totalP/totalN, 1e-9), 1-1e-9)
		delta = math.Max(delta, math.Abs(newLam-lam))
		lam = newLam
		if delta < emTolerance {
			return mm, lam, iters, true
		}
	}
	return mm, lam, iters, false
}

// randomPairCounts counts the levels of each comparison over random pairs:
// every pair when there are at most opts.RandomPairs, else that many drawn
// from 16 PCG streams seeded from opts.Seed.
func randomPairCounts(ctx context.Context, c *comparer, n int, opts Options) ([][]int, int, error) {
	nc := len(c.comps)
	total := int64(n) * int64(n-1) / 2
	want := int64(opts.RandomPairs)
	exhaustive := total <= want
	if exhaustive {
		want = total
	}
	per := make([][][]int, streams)
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Workers)
	for s := range streams {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cnt := make([][]int, nc)
			for ci := range cnt {
				cnt[ci] = make([]int, len(c.comps[ci].levels))
			}
			per[s] = cnt
			add := func(a, b int32) {
				for ci := range nc {
					cnt[ci][c.level(ci, a, b)]++
				}
			}
			if exhaustive {
				// stream s takes rows a ≡ s (mod streams)
				for a := s; a < n; a += streams {
					for b := a + 1; b < n; b++ {
						add(int32(a), int32(b))
					}
				}
				return
			}
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(s)+0x5eed))
			k := want / streams
			if int64(s) < want%streams {
				k++
			}
			for i := int64(0); i < k; i++ {
				if i&0xFFFF == 0 && ctx.Err() != nil {
					return
				}
				a := rng.IntN(n)
				b := rng.IntN(n - 1)
				if b >= a {
					b++
				}
				add(int32(a), int32(b))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	counts := make([][]int, nc)
	for ci := range counts {
		counts[ci] = make([]int, len(c.comps[ci].levels))
		for s := range streams {
			for li, v := range per[s][ci] {
				counts[ci][li] += v
			}
		}
	}
	return counts, int(want), nil
}

// termFrequencies keeps, for each comparison with a tf-adjusted level, the
// frequency of every value seen at least twice, and under "" the frequency
// of a value seen once.
func termFrequencies(m *Model, p *prepared) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, c := range m.Comparisons {
		if tfLevel(c) < 0 {
			continue
		}
		col := p.cols[m.fieldIdx[c.Field]]
		if col.nonNull == 0 {
			continue
		}
		f := map[string]float64{"": 1 / float64(col.nonNull)}
		for id, n := range col.count {
			if n >= 2 {
				f[col.val(int32(id))] = float64(n) / float64(col.nonNull)
			}
		}
		out[c.Name] = f
	}
	return out
}

func tfLevel(c Comparison) int {
	for li, l := range c.Levels {
		if l.TFAdjust {
			return li
		}
	}
	return -1
}
