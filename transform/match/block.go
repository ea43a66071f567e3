package match

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// blocks holds, per blocking rule, the blocks of two or more records that
// are compared, and each record's block. It is held compactly, beside every
// record for the whole comparison: 4 bytes a record and rule for the
// block, and 4 for each record in a kept block (it was 24 for every record
// with a key, 345 MB at 2,000,000 persons).
type blocks struct {
	block   [][]int32    // per rule and record: its kept block's number + 1, or 0 (a missing key part, alone in its block, or in a block skipped for size)
	entries [][]int32    // per rule, the records of the kept blocks, block after block, ascending within each
	runs    [][][2]int32 // per rule, [start, end) of each kept block in entries

	skippedBlocks  []int // per rule
	skippedRecords []int // per rule
}

type keyEntry struct {
	key uint64
	rec int32
}

func mix(h, v uint64) uint64 {
	h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	return h
}

// buildBlocks blocks the records under every rule, one rule after
// another, each sorted on up to two cores (see sortKeyEntries): the rules
// were built two at a time, and each needs 16 bytes a record while it
// sorts, which was the index's peak at millions of records. The buffer of
// keys is reused from rule to rule.
func buildBlocks(m *Model, p *prepared, workers int) *blocks {
	nr := len(m.blockKeys)
	b := &blocks{block: make([][]int32, nr), entries: make([][]int32, nr), runs: make([][][2]int32, nr),
		skippedBlocks: make([]int, nr), skippedRecords: make([]int, nr)}
	ents := make([]keyEntry, 0, p.n)
	for r := range nr {
		ents = b.buildRule(m, p, r, ents[:0], workers)
	}
	return b
}

func (b *blocks) buildRule(m *Model, p *prepared, r int, ents []keyEntry, workers int) []keyEntry {
	parts := m.blockKeys[r]
	type part struct {
		id  []int32
		sub []int32
	}
	ps := make([]part, len(parts))
	for i, k := range parts {
		col := p.cols[k.field]
		ps[i].id = col.id
		if k.derived != "" {
			ps[i].sub = col.sub[k.derived]
		}
	}
	for i := 0; i < p.n; i++ {
		h := uint64(r + 1)
		ok := true
		for _, pt := range ps {
			id := pt.id[i]
			if id >= 0 && pt.sub != nil {
				id = pt.sub[id]
			}
			if id < 0 {
				ok = false
				break
			}
			h = mix(h, uint64(id)+1)
		}
		if ok {
			ents = append(ents, keyEntry{h, int32(i)})
		}
	}
	sortKeyEntries(ents, workers)
	block := make([]int32, p.n)
	var kept []int32
	var runs [][2]int32
	for s := 0; s < len(ents); {
		e := s + 1
		for e < len(ents) && ents[e].key == ents[s].key {
			e++
		}
		switch {
		case e-s > m.Blocking.MaxBlockSize:
			b.skippedBlocks[r]++
			b.skippedRecords[r] += e - s
		case e-s > 1:
			start := int32(len(kept))
			for _, x := range ents[s:e] {
				kept = append(kept, x.rec)
				block[x.rec] = int32(len(runs) + 1)
			}
			runs = append(runs, [2]int32{start, int32(len(kept))})
		}
		s = e
	}
	b.block[r], b.entries[r], b.runs[r] = block, slices.Clip(kept), runs
	return ents
}

// sortKeyEntries sorts ents by key, then record, in place: with two
// workers or more, split by the keys' top bit (they are hashes, so the
// halves are even) and each half sorted on a core of its own.
func sortKeyEntries(ents []keyEntry, workers int) {
	byKey := func(x, y keyEntry) int {
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		return cmp.Compare(x.rec, y.rec)
	}
	if workers < 2 || len(ents) < 1<<15 {
		slices.SortFunc(ents, byKey)
		return
	}
	lo, hi := 0, len(ents)
	for lo < hi {
		switch {
		case ents[lo].key>>63 == 0:
			lo++
		case ents[hi-1].key>>63 == 1:
			hi--
		default:
			ents[lo], ents[hi-1] = ents[hi-1], ents[lo]
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(ents[:lo], byKey) })
	slices.SortFunc(ents[lo:], byKey)
	wg.Wait()
}

// sameBlock reports whether records a and b share a kept block of rule r.
func (b *blocks) sameBlock(r int, a, x int32) bool {
	k := b.block[r]
	return k[a] != 0 && k[a] == k[x]
}

// scanCandidates visits every pair sharing a block of at least one rule,
// once (under the first rule that blocks it), with its comparison vector,
// without holding the pairs: at a million persons there are tens of
// millions of them, which took more memory than the records. The pairs are
// cut into chunks that workers take in turn; each chunk has a state of its
// own (S's zero value), and the states come back in chunk order, so what
// they hold does not depend on the number of workers. visit must only read
// shared data.
func scanCandidates[S any](ctx context.Context, b *blocks, c *comparer, workers int, visit func(s *S, a, b int32, pat uint64)) ([]S, error) {
	type chunk struct {
		rule       int
		start, end int // runs
	}
	var chunks []chunk
	const chunkPairs = 1 << 16
	for r, runs := range b.runs {
		start, pairs := 0, 0
		for i, run := range runs {
			s := int(run[1] - run[0])
			pairs += s * (s - 1) / 2
			if pairs >= chunkPairs {
				chunks = append(chunks, chunk{r, start, i + 1})
				start, pairs = i+1, 0
			}
		}
		if start < len(runs) {
			chunks = append(chunks, chunk{r, start, len(runs)})
		}
	}
	out := make([]S, len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) || failed.Load() {
					return
				}
				if ctx.Err() != nil {
					failed.Store(true)
					return
				}
				ch := chunks[i]
				ents := b.entries[ch.rule]
				s := &out[i]
				for _, run := range b.runs[ch.rule][ch.start:ch.end] {
					blk := ents[run[0]:run[1]]
					for x := 0; x < len(blk); x++ {
						a := blk[x]
						for y := x + 1; y < len(blk); y++ {
							bb := blk[y]
							dup := false
							for r := 0; r < ch.rule; r++ {
								if b.sameBlock(r, a, bb) {
									dup = true
									break
								}
							}
							if dup {
								continue
							}
							visit(s, a, bb, c.pattern(a, bb))
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// patternCounts is what training needs of the candidate pairs: how many
// there are, and how many have each comparison vector, among all of them
// and (masked to the comparisons it estimates) among those sharing a block
// of each rule.
type patternCounts struct {
	n     int
	all   map[uint64]float64
	rule  []map[uint64]float64 // per blocking rule
	ruleN []int
}

// countPatterns counts the comparison vectors of the candidate pairs;
// masks[r] keeps the comparisons that rule r's EM session estimates.
func countPatterns(ctx context.Context, b *blocks, c *comparer, workers int, masks []uint64) (*patternCounts, error) {
	nr := len(b.block)
	chunks, err := scanCandidates(ctx, b, c, workers, func(s *patternCounts, a, x int32, pat uint64) {
		if s.all == nil {
			s.all = map[uint64]float64{}
			s.rule = make([]map[uint64]float64, nr)
			s.ruleN = make([]int, nr)
			for r := range nr {
				s.rule[r] = map[uint64]float64{}
			}
		}
		s.n++
		s.all[pat]++
		for r := range nr {
			if b.sameBlock(r, a, x) {
				s.rule[r][pat&masks[r]]++
				s.ruleN[r]++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Counts are whole numbers, exact in a float64: the sums do not depend
	// on the order of the chunks.
	pc := &patternCounts{all: map[uint64]float64{}, rule: make([]map[uint64]float64, nr), ruleN: make([]int, nr)}
	for r := range nr {
		pc.rule[r] = map[uint64]float64{}
	}
	for _, s := range chunks {
		pc.n += s.n
		for k, v := range s.all {
			pc.all[k] += v
		}
		for r := range s.rule {
			pc.ruleN[r] += s.ruleN[r]
			for k, v := range s.rule[r] {
				pc.rule[r][k] += v
			}
		}
	}
	return pc, nil
}
