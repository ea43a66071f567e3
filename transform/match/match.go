package match

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Rule names a pair can carry besides the model's deterministic rules.
const (
	RuleProbabilistic = "probabilistic" // placed by its match weight
	RuleSourceLink    = "source_link"   // asserted by a source (HL7 A40, FHIR Patient.link)
	RuleClerical      = "clerical"      // a stored clerical decision
)

// Decision is a clerical decision on a pair of records: Accept links them,
// reject keeps them apart (also transitively). Callers store decisions and
// pass them on every run.
type Decision struct {
	A, B   string
	Accept bool
}

// Options control a run. The zero value uses the model as given, with
// GOMAXPROCS workers.
type Options struct {
	// Train estimates u, m and the prior from the records before matching
	// (see Train); Result.Model is the trained model.
	Train bool
	// Seed drives the random pairs of training.
	Seed uint64
	// RandomPairs is the number of random pairs for u (default 1,000,000).
	RandomPairs int
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers   int
	Decisions []Decision
	// KeepNonLinks keeps scored non-link candidate pairs in Result.Pairs.
	KeepNonLinks bool
	// NoEvidence leaves Pair.Evidence nil; Result.Evidence works it out
	// when asked. A pair's evidence takes 350 bytes, and a region of
	// millions has about one link pair per two records.
	NoEvidence bool
	// NoPairIDs leaves Pair.A and Pair.B empty: AIndex and BIndex place
	// the pair and Result.ID names its records. A caller that can name
	// records itself saves two strings a pair.
	NoPairIDs bool
	// Packed keeps the link and review pairs in Result.Packed, 32 bytes
	// a pair, and leaves Result.Pairs nil: a Pair takes 152 bytes, and a
	// region of millions has about one link pair per three records. The
	// pairs carry no ids or evidence (as with NoPairIDs and NoEvidence).
	Packed bool
	// Logger receives warnings (blocks skipped for size); never identifiers.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.RandomPairs <= 0 {
		o.RandomPairs = 1_000_000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Evidence is what one comparison contributed to a pair's match weight.
type Evidence struct {
	Comparison string
	Level      string
	LevelIndex int
	// Weight is log2(m/u) of the level plus TFAdjustment.
	Weight       float64
	TFAdjustment float64
}

// Pair is a scored pair of records.
type Pair struct {
	A, B string
	// AIndex and BIndex are the positions of A and B in the input.
	AIndex, BIndex int
	// Weight is the total match weight in bits, prior included;
	// Probability = 1/(1+2^−Weight).
	Weight      float64
	Probability float64
	Band        string
	// Rule is the model rule that placed the pair, or RuleProbabilistic,
	// RuleSourceLink or RuleClerical.
	Rule string
	// Note says why a pair was capped or refused ("hard rule …",
	// "would merge two different nhs_number values" …).
	Note     string
	Evidence []Evidence
	// SameCluster reports whether A and B ended in one cluster.
	SameCluster bool

	pat uint64 // the comparison vector, for Result.Evidence
}

// Stats counts what a run did.
type Stats struct {
	Records        int
	CandidatePairs int
	LinkPairs      int
	ReviewPairs    int
	NonLinkPairs   int
	// SkippedBlocks and SkippedBlockRecords count, per blocking rule, the
	// blocks larger than max_block_size that were not compared.
	SkippedBlocks       []int
	SkippedBlockRecords []int
	// Invalid counts, per field, values present but not usable (an NHS
	// number failing Modulus 11, an unparseable date …).
	Invalid map[string]int
	// RefusedMerges counts links not merged because of a distinct field or
	// a rejected decision; the pairs are in review.
	RefusedMerges int
	// UnknownLinks and UnknownDecisions count source links and decisions
	// naming a record not in the input.
	UnknownLinks     int
	UnknownDecisions int
	Clusters         int
}

// Result is the outcome of Match.
type Result struct {
	// Model is the model used (trained when Options.Train).
	Model *Model
	Train *TrainReport
	// Cluster[i] is record i's cluster: clusters are numbered from 0 in
	// the order of their first records (Stats.Clusters of them), and
	// ClusterID names one.
	Cluster []int32
	// Pairs are the link and review pairs (and non-links with
	// KeepNonLinks), ordered by record position.
	Pairs []Pair
	// Packed holds the pairs in place of Pairs under Options.Packed.
	Packed *PairList
	// Review is the clerical review queue: review pairs without a decision.
	Review []Pair
	Stats  Stats

	p     *prepared
	sc    *scorer
	find  func(id string) (int32, bool)
	id    func(i int) string
	names func() []string
}

// ID is the id of record i (input order).
func (r *Result) ID(i int) string { return r.id(i) }

// ClusterID is cluster c's id: the smallest id of its records. The ids
// are worked out on the first call, since a caller that numbers the
// clusters itself (the person index) need not hold a string per cluster.
func (r *Result) ClusterID(c int32) string { return r.names()[c] }

// Clusters returns record id → cluster id.
func (r *Result) Clusters() map[string]string {
	out := make(map[string]string, len(r.Cluster))
	for i, c := range r.Cluster {
		out[r.id(i)] = r.ClusterID(c)
	}
	return out
}

// Evidence returns what each comparison contributed to the weight of p,
// a pair of r.Pairs or r.Review: p.Evidence, or when the run left it out
// (Options.NoEvidence), the same worked out again.
func (r *Result) Evidence(p Pair) []Evidence { return r.EvidenceFunc()(p) }

// EvidenceFunc is Evidence as a function that holds only what evidence
// needs (weights, and the value ids of term-frequency fields), not the
// run's standardised records: a caller writing pairs after matching keeps
// it instead of the Result.
func (r *Result) EvidenceFunc() func(Pair) []Evidence {
	if r.sc == nil {
		return func(p Pair) []Evidence { return p.Evidence }
	}
	sc := *r.sc
	sc.p = nil
	return func(p Pair) []Evidence {
		if p.Evidence != nil {
			return p.Evidence
		}
		return sc.evidence(int32(p.AIndex), int32(p.BIndex), p.pat)
	}
}

// Match links records with model m.
func Match(ctx context.Context, m *Model, recs []Record, opts Options) (*Result, error) {
	return MatchTable(ctx, m, TableOf(recs), opts)
}

type scored struct {
	a, b       int32
	pat        uint64
	w          float64
	rule, note uint16 // codes in the scorer's texts
	band       uint8
}

// texts numbers the rules and notes pairs carry, which repeat, so that a
// kept pair holds two small codes rather than two strings (32 bytes).
// The fixed ones come first; id adds others, and is not safe for use
// from several goroutines (newScorer adds every one that deciding a pair
// can give).
type texts struct {
	s    []string
	code map[string]uint16
}

const (
	tEmpty uint16 = iota
	tProbabilistic
	tSourceLink
	tClerical
	tRejected
	tAccepted
)

func newTexts() *texts {
	t := &texts{code: map[string]uint16{}}
	for _, v := range []string{"", RuleProbabilistic, RuleSourceLink, RuleClerical, "rejected", "accepted"} {
		t.id(v)
	}
	return t
}

func (t *texts) id(v string) uint16 {
	c, ok := t.code[v]
	if !ok {
		if len(t.s) > math.MaxUint16 {
			// Rules and notes come from the model's rule names and a few
			// fixed reasons, so this is a fault, not a large region.
			panic("match: more than 65,535 distinct pair rules and notes")
		}
		c = uint16(len(t.s))
		t.s = append(t.s, v)
		t.code[v] = c
	}
	return c
}

const (
	bNonLink uint8 = iota
	bReview
	bLink
)

var bandNames = [...]string{BandNonLink, BandReview, BandLink}

func bandCode(s string) uint8 {
	switch s {
	case BandLink:
		return bLink
	case BandReview:
		return bReview
	}
	return bNonLink
}

func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// MatchTable links the records of t with model m.
func MatchTable(ctx context.Context, m *Model, t *Table, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	if m.fieldIdx == nil {
		if err := m.Validate(); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	phase := func(name string) {
		opts.Logger.Debug("matching phase", "phase", name, "seconds", time.Since(t0).Round(10*time.Millisecond).Seconds())
		t0 = time.Now()
	}
	t.pad()
	n := t.Len()
	ids := t.idFunc()
	var find func(id string) (int32, bool)
	if t.Find != nil && t.IDOf != nil {
		tf := t.Find
		find = func(id string) (int32, bool) {
			i, ok := tf(id)
			return int32(i), ok && i >= 0 && i < n
		}
	} else {
		idx, err := newRecordIndex(n, ids)
		if err != nil {
			return nil, err
		}
		find = idx.find
	}
	// Nothing below refers to t after prepare, so the field columns (a
	// string header per record and field, with the raw values) can be
	// collected while pairs are compared.
	// Few records carry source links: they are kept sparsely, and the
	// table's slice (24 bytes a record) can go.
	type srcLink struct {
		i     int32
		links []string
	}
	var srcLinks []srcLink
	if t.LinksOf != nil {
		for i := range n {
			if l := t.LinksOf(i); len(l) > 0 {
				srcLinks = append(srcLinks, srcLink{int32(i), l})
			}
		}
	}
	for i, l := range t.Links {
		if len(l) > 0 {
			srcLinks = append(srcLinks, srcLink{int32(i), l})
		}
	}
	p, err := prepare(m, t, opts.Workers)
	if err != nil {
		return nil, err
	}
	phase("prepare")
	bk := newBlocker(m, p)
	cmpr := newComparer(m, p)
	res := &Result{Model: m, p: p, find: find, id: ids}
	if opts.Train {
		tm, rep, err := train(ctx, m, p, bk, cmpr, opts)
		if err != nil {
			return nil, err
		}
		m, res.Model, res.Train = tm, tm, rep
		phase("train")
	}
	st := &res.Stats
	st.Records = n
	st.Invalid = map[string]int{}
	for fi, f := range m.Fields {
		if c := p.cols[fi].invalid; c > 0 {
			st.Invalid[f.Name] = c
		}
	}
	sc := newScorer(m, p, nil)
	res.sc = sc

	decisions := map[uint64]bool{}
	for _, d := range opts.Decisions {
		a, okA := find(d.A)
		bb, okB := find(d.B)
		if !okA || !okB || a == bb {
			st.UnknownDecisions++
			continue
		}
		decisions[pairKey(a, bb)] = d.Accept
	}

	// Compare and score the candidate pairs as they are generated, keeping
	// link and review pairs only.
	type chunk struct {
		n    int
		kept []scored
	}
	chunks, err := scanCandidates(ctx, bk, cmpr, opts.Workers, false, func(ch *chunk, a, x int32, pat uint64, _ uint32) {
		ch.n++
		w := sc.weight(a, x, pat)
		band, rule, note := sc.decideCode(pat, w)
		s := scored{a: a, b: x, pat: pat, w: w, band: band, rule: rule, note: note}
		if acc, ok := decisions[pairKey(a, x)]; ok {
			s.band, s.rule, s.note = bNonLink, tClerical, tRejected
			if acc {
				s.band, s.note = bLink, tAccepted
			}
		}
		if s.band == bNonLink && s.rule != tClerical && !opts.KeepNonLinks {
			return
		}
		ch.kept = append(ch.kept, s)
	})
	if err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
	st.SkippedBlocks, st.SkippedBlockRecords = bk.skippedBlocks, bk.skippedRecords
	for r, s := range bk.skippedBlocks {
		if s > 0 {
			opts.Logger.Warn("blocks skipped for size", "rule", r+1, "blocks", s, "records", bk.skippedRecords[r], "max_block_size", m.Blocking.MaxBlockSize)
		}
	}
	nk := 0
	for _, ch := range chunks {
		st.CandidatePairs += ch.n
		nk += len(ch.kept)
	}
	kept := make([]scored, 0, nk)
	for i := range chunks {
		kept = append(kept, chunks[i].kept...)
		chunks[i].kept = nil
	}
	// Kept pairs are found by binary search, ordered by records (as they
	// are returned), and the few added below through a map: a map of every
	// kept pair took about 35 bytes a pair.
	byRecords := func(x, y scored) int {
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.b, y.b)
	}
	slices.SortFunc(kept, byRecords)
	sorted := len(kept)
	added := map[uint64]int{}
	where := func(k uint64) (int, bool) {
		if i, ok := slices.BinarySearchFunc(kept[:sorted], scored{a: int32(k >> 32), b: int32(uint32(k))}, byRecords); ok {
			return i, true
		}
		i, ok := added[k]
		return i, ok
	}
	phase("block, compare and score")
	opts.Logger.Debug("candidate pairs", "pairs", st.CandidatePairs, "kept", len(kept))
	addPair := func(a, x int32, band uint8, rule, note uint16) {
		if a > x {
			a, x = x, a
		}
		k := pairKey(a, x)
		if i, ok := where(k); ok {
			if kept[i].rule == tClerical {
				return
			}
			kept[i].band, kept[i].rule, kept[i].note = band, rule, note
			return
		}
		pat := cmpr.pattern(a, x)
		added[k] = len(kept)
		kept = append(kept, scored{a: a, b: x, pat: pat, w: sc.weight(a, x, pat), band: band, rule: rule, note: note})
	}
	for k, acc := range decisions {
		if _, ok := where(k); !ok {
			note, band := tRejected, bNonLink
			if acc {
				note, band = tAccepted, bLink
			}
			addPair(int32(k>>32), int32(uint32(k)), band, tClerical, note)
		}
	}
	for _, sl := range srcLinks {
		i := sl.i
		for _, l := range sl.links {
			j, ok := find(l)
			if !ok {
				st.UnknownLinks++
				continue
			}
			if j == i {
				continue
			}
			if _, dec := decisions[pairKey(i, j)]; dec {
				continue
			}
			addPair(i, j, bLink, tSourceLink, tEmpty)
		}
	}

	uf := newClusters(n, m, p)
	if opts.Packed {
		// Nothing below compares records: the matcher's columns (a value id
		// per record and field, and the values) go before clustering, but
		// for the value ids the scorer keeps for term frequencies. At
		// 10,000,000 persons they were about 350 MB of the clustering's
		// peak. A packed result cannot Explain.
		res.p, sc.p, p, cmpr, bk = nil, nil, nil, nil, nil
	}

	// Cluster: clerical accepts, then source links, then rule links, then
	// probabilistic links by descending weight.
	order := make([]int32, 0, len(kept))
	for i, s := range kept {
		if s.band == bLink {
			order = append(order, int32(i))
		}
	}
	rank := func(s scored) int {
		switch s.rule {
		case tClerical:
			return 0
		case tSourceLink:
			return 1
		case tProbabilistic:
			return 3
		}
		return 2
	}
	slices.SortFunc(order, func(x, y int32) int {
		a, b := kept[x], kept[y]
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		if c := cmp.Compare(a.a, b.a); c != 0 {
			return c
		}
		return cmp.Compare(a.b, b.b)
	})
	for k, acc := range decisions {
		if !acc {
			uf.cannotLink(int32(k>>32), int32(uint32(k)))
		}
	}
	for _, i := range order {
		s := &kept[i]
		if reason := uf.merge(s.a, s.b, s.rule == tClerical); reason != "" {
			s.band = bReview
			s.note = sc.tx.id(reason)
			st.RefusedMerges++
		}
	}
	res.Cluster, st.Clusters = uf.number()
	res.names = sync.OnceValue(func() []string { return clusterNames(res.Cluster, st.Clusters, ids) })
	phase("cluster")

	if len(kept) > sorted { // pairs were added after the sort above
		slices.SortFunc(kept, byRecords)
	}
	if opts.Packed {
		res.Packed = &PairList{ps: make([]packedPair, 0, len(kept)), texts: sc.tx.s}
	} else {
		res.Pairs = make([]Pair, 0, len(kept))
	}
	for _, s := range kept {
		switch s.band {
		case bLink:
			st.LinkPairs++
		case bReview:
			st.ReviewPairs++
		default:
			st.NonLinkPairs++
		}
		pr := Pair{AIndex: int(s.a), BIndex: int(s.b), Weight: s.w, Probability: Probability(s.w), Band: bandNames[s.band],
			Rule: sc.tx.s[s.rule], Note: sc.tx.s[s.note], SameCluster: res.Cluster[s.a] == res.Cluster[s.b], pat: s.pat}
		if opts.Packed {
			res.Packed.ps = append(res.Packed.ps, packedPair{a: s.a, b: s.b, pat: s.pat, w: s.w, rule: s.rule, note: s.note, band: s.band, same: pr.SameCluster})
		} else {
			if !opts.NoPairIDs {
				pr.A, pr.B = ids(int(s.a)), ids(int(s.b))
			}
			if !opts.NoEvidence {
				pr.Evidence = sc.evidence(s.a, s.b, s.pat)
			}
			res.Pairs = append(res.Pairs, pr)
		}
		if s.band == bReview && s.rule != tClerical {
			res.Review = append(res.Review, pr)
		}
	}
	phase("pairs")
	return res, nil
}

// PairList holds scored pairs compactly (Options.Packed): a pair's rule
// and note, which repeat, are kept once.
type PairList struct {
	ps    []packedPair
	texts []string // rules and notes by code
}

type packedPair struct {
	a, b       int32
	pat        uint64
	w          float64
	rule, note uint16
	band       uint8
	same       bool
}

// Len is the number of pairs.
func (l *PairList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.ps)
}

// At is pair i, ordered by record position as Result.Pairs is, without
// ids or evidence (see Result.ID and Result.EvidenceFunc).
func (l *PairList) At(i int) Pair {
	p := &l.ps[i]
	return Pair{AIndex: int(p.a), BIndex: int(p.b), Weight: p.w, Probability: Probability(p.w), Band: bandNames[p.band],
		Rule: l.texts[p.rule], Note: l.texts[p.note], SameCluster: p.same, pat: p.pat}
}

// scorer turns comparison vectors into weights and bands.
type scorer struct {
	m     *Model
	p     *prepared
	prior float64
	lw    [][]float64
	tfLvl []int
	tfAdj [][]float64 // per comparison, per value id of its field
	tfID  [][]int32   // per comparison with term frequencies, its field's value id per record (nil for the others)
	// tx numbers rules and notes; per model rule, the codes of its name
	// and of its note when not corroborated; per hard rule, its note's.
	tx                           *texts
	ruleName, ruleUncorroborated []uint16
	hardNote                     []uint16
}

// newScorer prepares weights; freq gives a value's term frequency for a
// comparison (nil: the frequencies in p).
func newScorer(m *Model, p *prepared, freq func(comp, value string) (float64, bool)) *scorer {
	s := &scorer{m: m, p: p, prior: m.PriorWeight(), lw: levelWeights(m), tx: newTexts()}
	for _, r := range m.rules {
		s.ruleName = append(s.ruleName, s.tx.id(r.name))
		s.ruleUncorroborated = append(s.ruleUncorroborated, s.tx.id("rule "+r.name+" not corroborated"))
	}
	for _, h := range m.hard {
		s.hardNote = append(s.hardNote, s.tx.id("hard rule "+h.name))
	}
	for _, c := range m.Comparisons {
		li := tfLevel(c)
		s.tfLvl = append(s.tfLvl, li)
		col := p.cols[m.fieldIdx[c.Field]]
		if li < 0 {
			// No term frequencies: tf never reads the value ids, and
			// holding them would keep 4 bytes a record alive in every
			// EvidenceFunc.
			s.tfID = append(s.tfID, nil)
			s.tfAdj = append(s.tfAdj, nil)
			continue
		}
		s.tfID = append(s.tfID, col.id)
		l := c.Levels[li]
		adj := make([]float64, col.nv())
		for id := range adj {
			v := col.val(int32(id))
			var f float64
			if freq != nil {
				var ok bool
				if f, ok = freq(c.Name, v); !ok {
					continue
				}
			} else {
				f = float64(col.count[id]) / float64(col.nonNull)
			}
			adj[id] = math.Log2(l.U / math.Max(f, l.TFMinimumU))
		}
		s.tfAdj = append(s.tfAdj, adj)
	}
	return s
}

func (s *scorer) tf(ci int, a int32, level int) float64 {
	if s.tfLvl[ci] != level || s.tfAdj[ci] == nil {
		return 0
	}
	id := s.tfID[ci][a]
	if id < 0 {
		return 0
	}
	return s.tfAdj[ci][id]
}

func (s *scorer) weight(a, b int32, pat uint64) float64 {
	w := s.prior
	for ci := range s.lw {
		li := levelOf(pat, ci)
		w += s.lw[ci][li] + s.tf(ci, a, li)
	}
	return w
}

func (s *scorer) evidence(a, b int32, pat uint64) []Evidence {
	ev := make([]Evidence, len(s.lw))
	for ci, c := range s.m.Comparisons {
		li := levelOf(pat, ci)
		tf := s.tf(ci, a, li)
		ev[ci] = Evidence{Comparison: c.Name, Level: c.Levels[li].Name, LevelIndex: li, Weight: s.lw[ci][li] + tf, TFAdjustment: tf}
	}
	return ev
}

func holds(terms []condTerm, pat uint64) bool {
	for _, t := range terms {
		if t.levels&(1<<levelOf(pat, t.comp)) == 0 {
			return false
		}
	}
	return true
}

// decide places a pair: deterministic rules first, then the thresholds,
// then hard-rule caps.
func (s *scorer) decide(pat uint64, w float64) (uint8, string, string) {
	band, rule, note := s.decideCode(pat, w)
	return band, s.tx.s[rule], s.tx.s[note]
}

// decideCode is decide with the rule and note as codes in s.tx; it is
// safe for use from several goroutines.
func (s *scorer) decideCode(pat uint64, w float64) (uint8, uint16, uint16) {
	m := s.m
	band, rule, note := bNonLink, tProbabilistic, tEmpty
	decided := false
	for ri, r := range m.rules {
		if !holds(r.when, pat) {
			continue
		}
		rule, decided = s.ruleName[ri], true
		ok := len(r.alts) == 0
		for _, alt := range r.alts {
			if holds(alt, pat) {
				ok = true
				break
			}
		}
		if ok {
			band = bLink
		} else {
			band, note = bandCode(r.otherwise), s.ruleUncorroborated[ri]
		}
		break
	}
	if !decided {
		switch {
		case w >= m.linkW:
			band = bLink
		case w >= m.reviewW:
			band = bReview
		}
	}
	for hi, h := range m.hard {
		if c := bandCode(h.cap); band > c && holds(h.when, pat) {
			band, note = c, s.hardNote[hi]
		}
	}
	return band, rule, note
}
