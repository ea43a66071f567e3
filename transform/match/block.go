package match

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// blocker blocks the records one rule at a time: a rule's blocks are its
// records sorted by key (16 bytes a record), built when the rule's pairs
// are compared and dropped before the next rule's are built. It keeps, per
// rule already built, only the keys of its blocks skipped for size. The
// blocks of every rule used to be held through the whole comparison, 4
// bytes a record and rule for a block number (to tell whether a pair had
// been compared under an earlier rule) and 4 more for each record in a
// kept block: about 48 bytes a record, the index's largest item at
// millions of records. Whether two records share an earlier rule's kept
// block is now worked out from their value ids (the same hash), block by
// block. With more than blockBatch records, a rule's blocks are built and
// compared in ranges of their keys (see ranges).
type blocker struct {
	m     *Model
	p     *prepared
	parts [][]blockPart // per rule
	// skipped holds, per rule, the keys of its blocks larger than
	// max_block_size, complete once built[r] is set.
	skipped []map[uint64]struct{}
	built   []bool
	// A rule's blocks are built ranges at a time, each of the keys whose
	// top bits are its number: keys are hashes, so the ranges hold about
	// as many records each, and a block is in one range. At 10,000,000
	// persons one rule's sorted keys, 16 bytes a record, were 230 MB of
	// the comparison's peak.
	ranges int
	bits   uint // log2(ranges)

	skippedBlocks  []int // per rule
	skippedRecords []int // per rule
}

type blockPart struct {
	id  []int32 // the field's value id per record
	sub []int32 // the derived key's id per value id, or nil
}

// blockBatch is about the most records whose keys a rule's blocks are
// built from at once (64 MB of keys).
var blockBatch = 1 << 22

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

func newBlocker(m *Model, p *prepared) *blocker {
	nr := len(m.blockKeys)
	bk := &blocker{m: m, p: p, parts: make([][]blockPart, nr), skipped: make([]map[uint64]struct{}, nr), built: make([]bool, nr),
		skippedBlocks: make([]int, nr), skippedRecords: make([]int, nr), ranges: 1}
	for bk.ranges < p.n/blockBatch+1 && bk.bits < 16 {
		bk.ranges, bk.bits = bk.ranges*2, bk.bits+1
	}
	for r := range nr {
		bk.skipped[r] = map[uint64]struct{}{}
	}
	for r, keys := range m.blockKeys {
		for _, k := range keys {
			col := p.cols[k.field]
			pt := blockPart{id: col.id}
			if k.derived != "" {
				pt.sub = col.sub[k.derived]
			}
			bk.parts[r] = append(bk.parts[r], pt)
		}
	}
	return bk
}

func (bk *blocker) rules() int { return len(bk.parts) }

// key is record i's block key under rule r; false when a part of it is
// missing (the record is then in no block of the rule).
func (bk *blocker) key(r int, i int32) (uint64, bool) {
	h := uint64(r + 1)
	for _, pt := range bk.parts[r] {
		id := pt.id[i]
		if id >= 0 && pt.sub != nil {
			id = pt.sub[id]
		}
		if id < 0 {
			return 0, false
		}
		h = mix(h, uint64(id)+1)
	}
	return h, true
}

// keptKey is key, false also when the record's block under rule r was
// skipped for size. Rule r must have been built.
func (bk *blocker) keptKey(r int, i int32) (uint64, bool) {
	k, ok := bk.key(r, i)
	if !ok {
		return 0, false
	}
	if _, skip := bk.skipped[r][k]; skip {
		return 0, false
	}
	return k, true
}

// inRange reports whether key k is in range g of the keys.
func (bk *blocker) inRange(k uint64, g int) bool {
	return bk.bits == 0 || int(k>>(64-bk.bits)) == g
}

// newEntries returns storage for a range's keys, reused from rule to rule:
// room for a range's share of the records and an eighth more.
func (bk *blocker) newEntries() []keyEntry {
	n := bk.p.n / bk.ranges
	if bk.ranges > 1 {
		n += n/8 + 1024
	}
	return make([]keyEntry, 0, min(n, bk.p.n))
}

// build returns range g of rule r's kept blocks: the records of the blocks
// of two or more and at most max_block_size records, sorted by key, then
// record, in ents's storage (reused). Until the rule's last range has been
// built once, the blocks skipped for size are recorded. Each sort runs on up to two cores
// (see sortKeyEntries).
func (bk *blocker) build(r, g int, ents []keyEntry, workers int) []keyEntry {
	ents = ents[:0]
	for i := range int32(bk.p.n) {
		if k, ok := bk.key(r, i); ok && bk.inRange(k, g) {
			ents = append(ents, keyEntry{k, i})
		}
	}
	sortKeyEntries(ents, workers, 63-bk.bits)
	first := !bk.built[r]
	kept := 0
	for s := 0; s < len(ents); {
		e := s + 1
		for e < len(ents) && ents[e].key == ents[s].key {
			e++
		}
		switch {
		case e-s > bk.m.Blocking.MaxBlockSize:
			if first {
				bk.skipped[r][ents[s].key] = struct{}{}
				bk.skippedBlocks[r]++
				bk.skippedRecords[r] += e - s
			}
		case e-s > 1:
			kept += copy(ents[kept:], ents[s:e])
		}
		s = e
	}
	if g == bk.ranges-1 {
		bk.built[r] = true
	}
	return ents[:kept]
}

// buildAll builds every rule once, so that the blocks skipped for size are
// known for all of them (training asks, for each pair, which rules' blocks
// it shares).
func (bk *blocker) buildAll(workers int) {
	ents := bk.newEntries()
	for r := range bk.rules() {
		if !bk.built[r] {
			for g := range bk.ranges {
				ents = bk.build(r, g, ents, workers)
			}
		}
	}
}

// sortKeyEntries sorts ents by key, then record, in place: with two
// workers or more, split by bit of the keys (they are hashes, so the
// halves are even; the keys must agree on every bit above it) and each
// half sorted on a core of its own.
func sortKeyEntries(ents []keyEntry, workers int, bit uint) {
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
		case ents[lo].key>>bit&1 == 0:
			lo++
		case ents[hi-1].key>>bit&1 == 1:
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

// scanCandidates visits every pair sharing a kept block of at least one
// rule, once (under the first rule that blocks it), with its comparison
// vector, without holding the pairs: at a million persons there are tens
// of millions of them, which took more memory than the records. The rules
// are taken in turn, each built (see blocker) and its pairs cut into
// chunks that workers take in turn; each chunk has a state of its own (S's
// zero value), and the states come back in chunk order, so what they hold
// does not depend on the number of workers. visit must only read shared
// data. With allRules, every rule must have been built (buildAll) and
// visit's shared has bit r set for each rule r whose kept blocks the pair
// shares; otherwise it has only the visiting rule's bit.
func scanCandidates[S any](ctx context.Context, bk *blocker, c *comparer, workers int, allRules bool, visit func(s *S, a, b int32, pat uint64, shared uint32)) ([]S, error) {
	var out []S
	var ents []keyEntry
	for r := range bk.rules() {
		for g := range bk.ranges {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if ents == nil {
				ents = bk.newEntries()
			}
			ents = bk.build(r, g, ents, workers)
			states, err := scanRule(ctx, bk, c, r, ents, workers, allRules, visit)
			if err != nil {
				return nil, err
			}
			out = append(out, states...)
		}
	}
	return out, nil
}

// scanRule visits the pairs of rule r's kept blocks, ents (see build).
func scanRule[S any](ctx context.Context, bk *blocker, c *comparer, r int, ents []keyEntry, workers int, allRules bool, visit func(s *S, a, b int32, pat uint64, shared uint32)) ([]S, error) {
	// Chunks of whole blocks, cut once they hold 65,536 pairs or more.
	type chunk struct{ start, end int } // in ents
	var chunks []chunk
	const chunkPairs = 1 << 16
	start, pairs := 0, 0
	for s := 0; s < len(ents); {
		e := s + 1
		for e < len(ents) && ents[e].key == ents[s].key {
			e++
		}
		pairs += (e - s) * (e - s - 1) / 2
		s = e
		if pairs >= chunkPairs {
			chunks = append(chunks, chunk{start, e})
			start, pairs = e, 0
		}
	}
	if start < len(ents) {
		chunks = append(chunks, chunk{start, len(ents)})
	}
	// The rules checked for each pair: the earlier ones (a pair sharing a
	// kept block of one was visited under it), or with allRules all others.
	var check []int
	for o := range bk.rules() {
		if o < r || (allRules && o != r) {
			check = append(check, o)
		}
	}
	out := make([]S, len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range max(workers, 1) {
		wg.Go(func() {
			type rk struct {
				k  uint64
				ok bool
			}
			var keys []rk // per record of the block, per rule checked
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
				s := &out[i]
				for bs := ch.start; bs < ch.end; {
					be := bs + 1
					for be < ch.end && ents[be].key == ents[bs].key {
						be++
					}
					blk := ents[bs:be]
					bs = be
					nc := len(check)
					keys = keys[:0]
					for _, e := range blk {
						for _, o := range check {
							k, ok := bk.keptKey(o, e.rec)
							keys = append(keys, rk{k, ok})
						}
					}
					for x := 0; x < len(blk); x++ {
						a := blk[x].rec
						ka := keys[x*nc : x*nc+nc]
						for y := x + 1; y < len(blk); y++ {
							bb := blk[y].rec
							kb := keys[y*nc : y*nc+nc]
							shared := uint32(1) << r
							dup := false
							for j, o := range check {
								if ka[j].ok && kb[j].ok && ka[j].k == kb[j].k {
									if o < r {
										dup = true
										break
									}
									shared |= 1 << o
								}
							}
							if dup {
								continue
							}
							visit(s, a, bb, c.pattern(a, bb), shared)
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
func countPatterns(ctx context.Context, bk *blocker, c *comparer, workers int, masks []uint64) (*patternCounts, error) {
	nr := bk.rules()
	bk.buildAll(workers)
	chunks, err := scanCandidates(ctx, bk, c, workers, true, func(s *patternCounts, a, x int32, pat uint64, shared uint32) {
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
			if shared&(1<<r) != 0 {
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
