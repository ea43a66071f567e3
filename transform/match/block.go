package match

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// cand is a candidate pair (a < b, record indices) with its comparison
// vector.
type cand struct {
	a, b int32
	pat  uint64
}

// blocks holds, per blocking rule, each record's block key: 0 when the
// record has a missing key part or sits in a block that was skipped for
// size.
type blocks struct {
	keys    [][]uint64
	entries [][]keyEntry // per rule, sorted by key then record
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

func buildBlocks(m *Model, p *prepared) *blocks {
	nr := len(m.blockKeys)
	b := &blocks{keys: make([][]uint64, nr), entries: make([][]keyEntry, nr), runs: make([][][2]int32, nr),
		skippedBlocks: make([]int, nr), skippedRecords: make([]int, nr)}
	var wg sync.WaitGroup
	for r := range nr {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.buildRule(m, p, r)
		}()
	}
	wg.Wait()
	return b
}

func (b *blocks) buildRule(m *Model, p *prepared, r int) {
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
	keys := make([]uint64, p.n)
	var ents []keyEntry
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
		if !ok {
			continue
		}
		if h == 0 {
			h = 1
		}
		keys[i] = h
		ents = append(ents, keyEntry{h, int32(i)})
	}
	slices.SortFunc(ents, func(x, y keyEntry) int {
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		return cmp.Compare(x.rec, y.rec)
	})
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
			for _, x := range ents[s:e] {
				keys[x.rec] = 0
			}
		case e-s > 1:
			runs = append(runs, [2]int32{int32(s), int32(e)})
		}
		s = e
	}
	b.keys[r], b.entries[r], b.runs[r] = keys, ents, runs
}

// sameBlock reports whether records a and b share a kept block of rule r.
func (b *blocks) sameBlock(r int, a, x int32) bool {
	k := b.keys[r]
	return k[a] != 0 && k[a] == k[x]
}

// candidates generates every pair sharing a block of at least one rule,
// once (under the first rule that blocks it), with its comparison vector.
// The order is deterministic whatever the number of workers.
func (b *blocks) candidates(ctx context.Context, c *comparer, workers int) ([]cand, error) {
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
	out := make([][]cand, len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
				var res []cand
				for _, run := range b.runs[ch.rule][ch.start:ch.end] {
					blk := ents[run[0]:run[1]]
					for x := 0; x < len(blk); x++ {
						a := blk[x].rec
						for y := x + 1; y < len(blk); y++ {
							bb := blk[y].rec
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
							res = append(res, cand{a, bb, c.pattern(a, bb)})
						}
					}
				}
				out[i] = res
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	total := 0
	for _, o := range out {
		total += len(o)
	}
	all := make([]cand, 0, total)
	for i := range out {
		all = append(all, out[i]...)
		out[i] = nil
	}
	return all, nil
}
