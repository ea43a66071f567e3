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
// visited exactly once, with its comparison vector; the chunk states come
// back in the same order whatever the number of workers; and the pattern
// counts training uses are those of the brute force.
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
	b := buildBlocks(m, p, 2)
	c := newComparer(m, p)
	skipped := 0
	for _, s := range b.skippedBlocks {
		skipped += s
	}
	if skipped == 0 {
		t.Fatal("no block was skipped for size: the test does not cover skipping")
	}

	want := map[uint64]uint64{} // pair → pattern
	_, masks := sessionMasks(m)
	wantAll := map[uint64]float64{}
	wantRule := make([]map[uint64]float64, len(b.block))
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
			any := false
			for r := range keys {
				if same := keys[r][i] != "" && keys[r][i] == keys[r][j]; same != b.sameBlock(r, i, j) {
					t.Fatalf("rule %d, records %d and %d: sameBlock %v, want %v", r, i, j, !same, same)
				} else if same {
					any = true
					wantRule[r][c.pattern(i, j)&masks[r]]++
				}
			}
			if any {
				want[pairKey(i, j)] = c.pattern(i, j)
				wantAll[c.pattern(i, j)]++
			}
		}
	}
	if len(want) < 200 {
		t.Fatalf("only %d candidate pairs: too few to test", len(want))
	}

	type visit struct {
		a, b int32
		pat  uint64
	}
	scan := func(workers int) []visit {
		chunks, err := scanCandidates(context.Background(), b, c, workers, func(s *[]visit, a, x int32, pat uint64) {
			*s = append(*s, visit{a, x, pat})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) < 2 {
			t.Fatalf("%d chunks: the test does not cover several", len(chunks))
		}
		return slices.Concat(chunks...)
	}
	got := scan(3)
	seen := map[uint64]bool{}
	for _, v := range got {
		k := pairKey(v.a, v.b)
		if seen[k] {
			t.Fatalf("pair %d,%d visited twice", v.a, v.b)
		}
		seen[k] = true
		pat, ok := want[k]
		if !ok {
			t.Fatalf("pair %d,%d shares no kept block but was visited", v.a, v.b)
		}
		if pat != v.pat {
			t.Fatalf("pair %d,%d: pattern %x, want %x", v.a, v.b, v.pat, pat)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d pairs visited, want %d", len(seen), len(want))
	}
	if one := scan(1); !slices.Equal(one, got) {
		t.Error("chunks differ between 1 and 3 workers")
	}

	pc, err := countPatterns(context.Background(), b, c, 2, masks)
	if err != nil {
		t.Fatal(err)
	}
	if pc.n != len(want) || !maps.Equal(pc.all, wantAll) {
		t.Errorf("pattern counts: %d pairs, %d patterns; want %d, %d", pc.n, len(pc.all), len(want), len(wantAll))
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
	b := buildBlocks(m, p, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scanCandidates(ctx, b, newComparer(m, p), 2, func(*int, int32, int32, uint64) {}); err == nil {
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
			sortKeyEntries(got, workers)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d workers=%d: not sorted as a plain sort sorts", n, workers)
			}
		}
	}
}
