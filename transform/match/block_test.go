package match

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestScanCandidates holds the streamed candidate pairs to a brute force
// over every pair of records: each pair sharing a kept block of some rule is
// visited exactly once, under the first such rule, with its comparison
// vector and (for training) the set of rules whose kept blocks it shares;
// the chunk states come back in the same order whatever the number of
// workers; and the pattern counts training uses are those of the brute
// force.
func TestScanCandidates(t *testing.T) {
	dir := t.TempDir()
	generateRegion(t, dir, 6000)
	tab, _ := loadRegion(t, dir)
	m := DefaultModel()
	m.Blocking.MaxBlockSize = 3 // so some blocks are skipped for size
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := prepare(m, tab, 2)
	if err != nil {
		t.Fatal(err)
	}
	bk := newBlocker(m, p)
	bk.buildAll(2)
	c := newComparer(m, p)
	skipped := 0
	for _, s := range bk.skippedBlocks {
		skipped += s
	}
	if skipped == 0 {
		t.Fatal("no block was skipped for size: the test does not cover skipping")
	}

	type want struct {
		pat    uint64
		shared uint32 // the rules whose kept blocks the pair shares
	}
	wants := map[uint64]want{} // pair → pattern, rules
	_, masks := sessionMasks(m)
	wantAll := map[uint64]float64{}
	wantRule := make([]map[uint64]float64, bk.rules())
	for r := range wantRule {
		wantRule[r] = map[uint64]float64{}
	}
	// Each record's block key under each rule, straight from the value ids
	// (no hashing), and the size of each block.
	keys := make([][]string, len(m.blockKeys))
	for r, parts := range m.blockKeys {
		keys[r] = make([]string, p.n)
		size := map[string]int{}
		for i := range p.n {
			k := ""
			for _, pt := range parts {
				id := p.cols[pt.field].id[i]
				if id >= 0 && pt.derived != "" {
					id = p.cols[pt.field].sub[pt.derived][id]
				}
				if id < 0 {
					k = ""
					break
				}
				k += fmt.Sprintf("%d,", id)
			}
			keys[r][i] = k
			size[k]++
		}
		for i, k := range keys[r] {
			if size[k] > m.Blocking.MaxBlockSize {
				keys[r][i] = ""
			}
		}
	}
	for i := int32(0); i < int32(p.n); i++ {
		for j := i + 1; j < int32(p.n); j++ {
			var shared uint32
			for r := range keys {
				ki, oki := bk.keptKey(r, i)
				kj, okj := bk.keptKey(r, j)
				if same := keys[r][i] != "" && keys[r][i] == keys[r][j]; same != (oki && okj && ki == kj) {
					t.Fatalf("rule %d, records %d and %d: in one kept block %v, want %v", r, i, j, !same, same)
				} else if same {
					shared |= 1 << r
					wantRule[r][c.pattern(i, j)&masks[r]]++
				}
			}
			if shared != 0 {
				wants[pairKey(i, j)] = want{c.pattern(i, j), shared}
				wantAll[c.pattern(i, j)]++
			}
		}
	}
	if len(wants) < 200 {
		t.Fatalf("only %d candidate pairs: too few to test", len(wants))
	}

	type visit struct {
		a, b   int32
		pat    uint64
		shared uint32
	}
	scan := func(workers int, allRules bool) []visit {
		b := newBlocker(m, p) // a night's scan builds each rule as it goes
		if allRules {
			b.buildAll(2)
		}
		chunks, err := scanCandidates(context.Background(), b, c, workers, allRules, func(s *[]visit, a, x int32, pat uint64, shared uint32) {
			*s = append(*s, visit{a, x, pat, shared})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.skippedBlocks, bk.skippedBlocks) || !slices.Equal(b.skippedRecords, bk.skippedRecords) {
			t.Fatalf("blocks skipped for size: %v (%v records), want %v (%v)", b.skippedBlocks, b.skippedRecords, bk.skippedBlocks, bk.skippedRecords)
		}
		if len(chunks) < 2 {
			t.Fatalf("%d chunks: the test does not cover several", len(chunks))
		}
		return slices.Concat(chunks...)
	}
	// Blocks built in ranges of their keys (as with millions of records)
	// give the same pairs.
	defer func(n int) { blockBatch = n }(blockBatch)
	for _, batch := range []int{blockBatch, 1000} {
		blockBatch = batch
		if b := newBlocker(m, p); batch == 1000 && b.ranges < 4 {
			t.Fatalf("%d records in %d ranges of keys", p.n, b.ranges)
		}
		for _, allRules := range []bool{false, true} {
			got := scan(3, allRules)
			seen := map[uint64]bool{}
			for _, v := range got {
				k := pairKey(v.a, v.b)
				if seen[k] {
					t.Fatalf("pair %d,%d visited twice", v.a, v.b)
				}
				seen[k] = true
				w, ok := wants[k]
				if !ok {
					t.Fatalf("pair %d,%d shares no kept block but was visited", v.a, v.b)
				}
				if w.pat != v.pat {
					t.Fatalf("pair %d,%d: pattern %x, want %x", v.a, v.b, v.pat, w.pat)
				}
				first := w.shared & -w.shared // the first rule blocking the pair visits it
				if wantShared := map[bool]uint32{false: first, true: w.shared}[allRules]; v.shared != wantShared {
					t.Fatalf("pair %d,%d (all rules %v): rules %b, want %b", v.a, v.b, allRules, v.shared, wantShared)
				}
			}
			if len(seen) != len(wants) {
				t.Fatalf("%d pairs visited, want %d", len(seen), len(wants))
			}
			if one := scan(1, allRules); !slices.Equal(one, got) {
				t.Error("chunks differ between 1 and 3 workers")
			}
		}

		pc, err := countPatterns(context.Background(), newBlocker(m, p), c, 2, masks)
		if err != nil {
			t.Fatal(err)
		}
		if pc.n != len(wants) || !maps.Equal(pc.all, wantAll) {
			t.Errorf("pattern counts: %d pairs, %d patterns; want %d, %d", pc.n, len(pc.all), len(wants), len(wantAll))
		}
		for r := range wantRule {
			n := 0.0
			for _, v := range wantRule[r] {
				n += v
			}
			if !maps.Equal(pc.rule[r], wantRule[r]) || float64(pc.ruleN[r]) != n {
				t.Errorf("rule %d: pattern counts differ from the brute force (%d pairs, want %.0f)", r, pc.ruleN[r], n)
			}
		}
	}
}

// TestScanCandidatesCancelled stops at a cancelled context.
func TestScanCandidatesCancelled(t *testing.T) {
	dir := t.TempDir()
	generateRegion(t, dir, 300)
	tab, _ := loadRegion(t, dir)
	m := DefaultModel()
	p, err := prepare(m, tab, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scanCandidates(ctx, newBlocker(m, p), newComparer(m, p), 2, false, func(*int, int32, int32, uint64, uint32) {}); err == nil {
		t.Error("no error from a cancelled scan")
	}
}

// TestSortKeyEntries holds the two-core sort of block keys to a plain
// sort: keys spread over both halves, repeated keys and records.
func TestSortKeyEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 100, 1 << 16, 1<<16 + 7} {
		ents := make([]keyEntry, n)
		for i := range ents {
			ents[i] = keyEntry{rng.Uint64(), int32(rng.IntN(n + 1))}
			if i%5 == 1 {
				ents[i].key = ents[i-1].key // a block of several records
			}
		}
		want := slices.Clone(ents)
		slices.SortFunc(want, func(x, y keyEntry) int {
			if x.key != y.key {
				return cmp.Compare(x.key, y.key)
			}
			return cmp.Compare(x.rec, y.rec)
		})
		for _, workers := range []int{1, 2} {
			got := slices.Clone(ents)
			sortKeyEntries(got, workers, 63)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d workers=%d: not sorted as a plain sort sorts", n, workers)
			}
		}
		// A range of keys (their top three bits the same) is split below
		// those bits.
		for i := range ents {
			ents[i].key = ents[i].key>>3 | 5<<61
		}
		for i := range want {
			want[i].key = want[i].key>>3 | 5<<61
		}
		got := slices.Clone(ents)
		sortKeyEntries(got, 2, 60)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d, a range of keys: not sorted as a plain sort sorts", n)
		}
	}
}
