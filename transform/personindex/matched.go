package personindex

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/standardise"
)

// RecordID is the id of a source record in the matcher, explanations and
// clerical decisions: source/entity/record_key. Source and entity names
// hold no "/", so the id splits back unambiguously.
func RecordID(source, entity, key string) string { return source + "/" + entity + "/" + key }

// Change is a merge or split of persons recorded by a run.
type Change struct {
	// Kind is "merge" (OtherID's records joined PersonID, and OtherID is
	// retired) or "split" (some of PersonID's records now form OtherID).
	Kind     string
	PersonID int64
	OtherID  int64
}

// MatchOptions configure BuildMatched.
type MatchOptions struct {
	Model     *match.Model
	Decisions []match.Decision // stored clerical decisions, applied every run
	Seed      uint64
	Logger    *slog.Logger
	// Trained says Model was trained by an earlier run and is used as it
	// is; otherwise u, m and the prior are estimated from this run's
	// records. Term frequencies always come from this run's records.
	Trained bool
	// Origin identifies the configured model Model was trained from (see
	// Output.Origin).
	Origin string
	// Previous, when set, reads the previous index once the matcher is
	// done with the records, in place of BuildMatchedPersons' prev (which
	// must then be nil), given the run's links (see ReadPreviousFor): the
	// pipeline's index then never holds it beside the matcher's own
	// columns, nor its record keys beside the links.
	Previous func(*Links) (*Previous, error)
	// SpillDir, when set, is a directory where the index keeps the
	// records' standardised demographics on disk (24 bytes a record, in a
	// file unlinked once made) rather than in memory: the matcher reads
	// them once, and WriteOutput once more. Output.Close lets go of them.
	SpillDir string
}

// Output is a matched person index.
type Output struct {
	Links *Links // ordered by source, entity, record key
	Stats Stats
	// Pairs are the link and review pairs, held compactly, and Review
	// those waiting for a clerical decision. Their AIndex and BIndex are
	// positions in Links; A and B are left empty (see RecordID), and
	// Evidence nil (see Evidence).
	Pairs   *match.PairList
	Review  []match.Pair
	Changes []Change
	Model   *match.Model // the model used: trained on this run's records, or reused
	// Origin identifies the configured model that Model was trained from,
	// so a later run can tell whether it may reuse Model (see ReadModel).
	Origin string
	Match  match.Stats
	// Moved are the records whose person changed since the index of run
	// MovedFrom (see CompareWith); they are written only when MovedFrom is
	// set.
	Moved     Moved
	MovedFrom string

	evidence func(match.Pair) []match.Evidence
}

// Close lets go of the file where the index kept the records'
// demographics (MatchOptions.SpillDir), once o is written.
func (o *Output) Close() error { return o.Links.Close() }

// RecordID is the id of the record at position i of o.Links.
func (o *Output) RecordID(i int) string { return o.Links.recordID(i) }

// Evidence returns what each comparison contributed to pair p's weight:
// p.Evidence when set, else worked out again by the matcher that made p.
func (o *Output) Evidence(p match.Pair) []match.Evidence {
	if p.Evidence != nil || o.evidence == nil {
		return p.Evidence
	}
	return o.evidence(p)
}

// sortRecords orders recs by source, entity and record key (a record's
// identity: ties keep input order), in place: a copy of a region's records
// was 760 MB at 3,000,000 persons. Records come grouped by source, so each
// group is sorted on its keys alone, through a compact slice of keys
// rather than the records, which are large; then the records are moved
// once, cycle by cycle, to their places.
func sortRecords(p *Persons) {
	recs := p.recs
	src := func(i int) *linkGroup { return &p.groups[recs[i].group] }
	type group struct {
		source, entity string
		lo, hi         int
	}
	var groups []group
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && src(j).source == src(i).source && src(j).entity == src(i).entity {
			j++
		}
		groups = append(groups, group{src(i).source, src(i).entity, i, j})
		i = j
	}
	slices.SortStableFunc(groups, func(a, b group) int {
		if c := strings.Compare(a.source, b.source); c != 0 {
			return c
		}
		return strings.Compare(a.entity, b.entity)
	})
	// A record is placed by the first 12 bytes of its key, held in its
	// entry, and on a tie by the whole key: entries holding the key's
	// string took 24 bytes, 260 MB of the sort's peak at 10,000,000
	// persons. Zero bytes pad a shorter key, so the prefixes order as the
	// keys do, or tie.
	type keyed struct {
		hi uint64 // the key's first 8 bytes, big-endian
		lo uint32 // its next 4
		i  int32
	}
	keyOf := func(k keyed) string { return p.key(&recs[k.i]) }
	// Groups of one source and entity are [gi, next(gi)).
	next := func(gi int) int {
		gj := gi + 1
		for gj < len(groups) && groups[gj].source == groups[gi].source && groups[gj].entity == groups[gi].entity {
			gj++
		}
		return gj
	}
	// The entries are made once, the size of the largest source: grown by
	// appending, they were up to three times that while copied.
	largest := 0
	for gi := 0; gi < len(groups); gi = next(gi) {
		n := 0
		for _, g := range groups[gi:next(gi)] {
			n += g.hi - g.lo
		}
		largest = max(largest, n)
	}
	order := make([]int32, 0, len(recs)) // place → where its record is now
	ks := make([]keyed, 0, largest)
	for gi := 0; gi < len(groups); {
		gj := next(gi)
		ks = ks[:0]
		for _, g := range groups[gi:gj] {
			for i := g.lo; i < g.hi; i++ {
				var b [12]byte
				copy(b[:], p.key(&recs[i]))
				ks = append(ks, keyed{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint32(b[8:]), int32(i)})
			}
		}
		sortOnTwoCores(ks, func(a, b keyed) int {
			if a.hi != b.hi {
				return cmp.Compare(a.hi, b.hi)
			}
			if a.lo != b.lo {
				return cmp.Compare(a.lo, b.lo)
			}
			if c := strings.Compare(keyOf(a), keyOf(b)); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		for _, k := range ks {
			order = append(order, k.i)
		}
		gi = gj
	}
	for j := range order {
		if order[j] < 0 {
			continue // already in place
		}
		held := recs[j]
		k := j
		for {
			from := int(order[k])
			order[k] = -1
			if from == j {
				recs[k] = held
				break
			}
			recs[k] = recs[from]
			k = from
		}
	}
}

// BuildMatched links recs with the Fellegi–Sunter matcher (deterministic
// NHS-number rule, probabilistic scoring, source-asserted links, clerical
// decisions) and gives each cluster a persistent person id.
func BuildMatched(ctx context.Context, recs []Record, prev *Previous, opt MatchOptions) (*Output, error) {
	return BuildMatchedPersons(ctx, PersonsOf(recs), prev, opt)
}

// BuildMatchedPersons is BuildMatched on records held compactly. It
// reorders them by source, entity and record key. It also lists the
// records whose person changed since the previous index (CompareWith).
func BuildMatchedPersons(ctx context.Context, recs *Persons, prev *Previous, opt MatchOptions) (*Output, error) {
	if prev != nil && opt.Previous != nil {
		return nil, fmt.Errorf("person index: both a previous index and a function to read it were given")
	}
	if opt.Model == nil {
		opt.Model = match.DefaultModel()
	}
	// A record's rule is numbered in a byte: the model's rules, and
	// singleton, probabilistic, source_link and clerical.
	if n := len(opt.Model.Rules); n > maxRules-5 {
		return nil, fmt.Errorf("matching model %s has %d rules; the person index takes at most %d", opt.Model.Name, n, maxRules-5)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t0 := time.Now()
	phase := func(name string) {
		log.Debug("index phase", "phase", name, "seconds", time.Since(t0).Round(10*time.Millisecond).Seconds())
		t0 = time.Now()
	}
	recs.dict.seal() // every record is in
	sortRecords(recs)
	phase("sort")
	links, err := standardisedLinks(recs, opt.SpillDir)
	if err != nil {
		return nil, fmt.Errorf("standardising person records: %w", err)
	}
	// Nothing below keeps links when it fails.
	ok := false
	defer func() {
		if !ok {
			links.Close()
		}
	}()
	phase("standardise")
	// The matcher reads the fields from links, which hold them
	// standardised (it standardises them again, to no change), not from
	// recs: recs, about 100 bytes a record, can then go before the matcher
	// builds its columns. The few records with source links keep them by
	// position.
	n := recs.Len()
	var linkAt []int32
	var linkTo [][]string
	for i := range n {
		if l := recs.linksOf(i); len(l) > 0 {
			linkAt, linkTo = append(linkAt, int32(i)), append(linkTo, l)
		}
	}
	recs = nil
	t := &match.Table{N: n, Get: map[string]func(int) string{}, LinksOf: func(i int) []string {
		if j, ok := slices.BinarySearch(linkAt, int32(i)); ok {
			return linkTo[j]
		}
		return nil
	}}
	// Record ids are made when asked for, not held (about 60 bytes a
	// record), from links, which are in the records' order and live on.
	// Nor are they indexed (16 bytes a record): links are ordered by an
	// id's parts, so the few the matcher looks up (decisions, source
	// links) are found by binary search.
	if id := links.duplicate(); id != "" {
		return nil, fmt.Errorf("matching: record id %q appears twice", id)
	}
	t.IDOf, t.Find = links.recordID, links.find
	// The matcher builds each field's column on a goroutine of its own, in
	// record order: each field's getter reads the demographics with a
	// reader of its own, made when the getter is.
	demoField := func(f func(d *demo) string) func() func(int) string {
		return func() func(int) string {
			demoOf := links.demographics()
			return func(i int) string { return f(demoOf(i)) }
		}
	}
	get := map[string]func() func(int) string{
		"nhs_number":  func() func(int) string { return links.nhsNumber }, // valid numbers only: an invalid one is missing to the matcher too
		"given_name":  demoField(func(d *demo) string { return links.dict.get(d.given) }),
		"family_name": demoField(func(d *demo) string { return links.dict.get(d.family) }),
		"dob": demoField(func(d *demo) string {
			if t := birthDate(d.dob); !t.IsZero() {
				return t.Format("2006-01-02")
			}
			return ""
		}),
		"sex": demoField(func(d *demo) string {
			if s := links.codes.get(d.sex); s != standardise.SexUnknown {
				return s
			}
			return ""
		}),
		"postcode": demoField(func(d *demo) string { return links.dict.get(d.postcode) }), // "" when not postcode-shaped
	}
	for _, f := range opt.Model.Fields {
		g, ok := get[f.Name]
		if !ok {
			return nil, fmt.Errorf("matching model %s has field %s, which person records do not carry (they have nhs_number, given_name, family_name, dob, sex, postcode)", opt.Model.Name, f.Name)
		}
		t.Get[f.Name] = g()
	}
	phase("table")
	res, err := match.MatchTable(ctx, opt.Model, t, match.Options{Train: !opt.Trained, Seed: opt.Seed, Decisions: opt.Decisions, Logger: opt.Logger, Packed: true})
	if err != nil {
		return nil, err
	}
	if err := links.Err(); err != nil {
		return nil, err
	}
	// Only these outlive the matcher: the Result itself holds the
	// matcher's columns of every record (for Explain), which can go now.
	out := &Output{Links: links, Pairs: res.Packed, Review: res.Review, Model: res.Model, Origin: opt.Origin, Match: res.Stats, evidence: res.EvidenceFunc()}
	cluster, clusters := res.Cluster, res.Stats.Clusters
	res = nil
	phase("match")
	if opt.Previous != nil {
		if prev, err = opt.Previous(links); err != nil {
			return nil, err
		}
		phase("read the previous index")
	}
	if prev == nil {
		prev = &Previous{}
	}
	// Ids are assigned before each record's rule and weight are set: the
	// weights (8 bytes a record) are not then held beside what assigning
	// needs, which was the index's peak at 10,000,000 persons.
	var st Stats
	ids, changes, fresh := assignIDs(links, cluster, clusters, prev)
	size := make([]int32, clusters)
	for _, c := range cluster {
		size[c]++
	}
	for i, c := range cluster {
		links.setPersonID(i, ids[c])
		if size[c] > 1 {
			st.LinkedRecords++
		}
	}
	st.Records, st.Persons, st.NewPersons = links.Len(), clusters, fresh
	st.ModelTrained = !opt.Trained
	phase("assign ids")
	// Each record's rule is that of its strongest link within its cluster
	// (the strongest so far is the weight set with its rule).
	for pi := range out.Pairs.Len() {
		p := out.Pairs.At(pi)
		if p.Band != match.BandLink || !p.SameCluster {
			continue
		}
		for _, i := range [2]int{p.AIndex, p.BIndex} {
			if links.recs[i].rule == 0 || p.Weight > links.weightOf(i) {
				links.setRule(i, p.Rule, p.Weight)
			}
		}
	}
	for i := range links.recs {
		if links.recs[i].rule == 0 {
			links.setRule(i, "singleton", math.NaN())
		}
		switch links.recs[i].status {
		case codeValid:
			st.ValidNHS++
		case codeMissing:
			st.MissingNHS++
		default:
			st.InvalidNHS++
		}
	}
	phase("rules")
	out.Stats, out.Changes = st, changes
	out.CompareWith(prev)
	ok = true
	return out, nil
}

// assignIDs gives each cluster a person id. A cluster keeps the previous id
// held by most of its records (ties to the smaller id); when no record has
// one, an id its valid NHS numbers had. Larger clusters choose first, so
// when a person splits the bigger part keeps the id. Clusters left without
// an id get fresh ones above the previous maximum, in record order.
func assignIDs(links *Links, cluster []int32, nc int, prev *Previous) ([]int64, []Change, int) {
	// Members of each cluster, in record order, as one flat slice.
	// start[c] is first where cluster c ends, then, filled from the last
	// record back, where it starts.
	start := make([]int32, nc+1)
	for _, c := range cluster {
		start[c]++
	}
	for c := range nc - 1 {
		start[c+1] += start[c]
	}
	start[nc] = int32(len(cluster))
	flat := make([]int32, len(cluster))
	for i := len(cluster) - 1; i >= 0; i-- {
		c := cluster[i]
		start[c]--
		flat[start[c]] = int32(i)
	}
	members := func(c int) []int32 { return flat[start[c]:start[c+1]] }

	// Each record's previous person id (0: none).
	prevOf := prev.records(links)
	// The NHS numbers of the clusters none of whose records had a previous
	// id, and the ids the last index gave them.
	var want []uint64
	if prev.hasNHS() {
		for c := range nc {
			if !slices.ContainsFunc(members(c), func(i int32) bool { return prevOf[i] != 0 }) {
				for _, i := range members(c) {
					if n := links.recs[i].nhs; n != 0 && n&nhsText == 0 {
						want = append(want, n)
					}
				}
			}
		}
	}
	nhsOf := prev.nhsIDs(want)
	want = nil

	// Candidate ids of each cluster, most held by its records first (ties
	// to the smaller id), in one flat slice: most clusters have one, their
	// previous id. A previous id held in more than one cluster is recorded
	// in spread.
	type cand struct {
		id int64
		n  int
	}
	cands := make([]int64, 0, nc)
	cstart := make([]int32, nc+1)
	firstIn := newIDTable(prev.MaxID, len(cluster)) // previous id → 1 + first cluster holding its records
	spread := map[int64][]int32{}                   // previous id → every cluster holding its records, when more than one
	var counts []cand
	add := func(id int64) {
		for j := range counts {
			if counts[j].id == id {
				counts[j].n++
				return
			}
		}
		counts = append(counts, cand{id, 1})
	}
	for c := range nc {
		counts = counts[:0]
		for _, i := range members(c) {
			if p := prevOf[i]; p != 0 {
				add(p)
			}
		}
		for _, cd := range counts {
			if f := firstIn.get(cd.id) - 1; f < 0 {
				firstIn.set(cd.id, int32(c)+1)
			} else {
				if len(spread[cd.id]) == 0 {
					spread[cd.id] = []int32{f}
				}
				spread[cd.id] = append(spread[cd.id], int32(c))
			}
		}
		if len(counts) == 0 {
			for _, i := range members(c) {
				if n := links.recs[i].nhs; n != 0 && n&nhsText == 0 {
					if p, ok := nhsOf[n]; ok {
						add(p)
					}
				}
			}
		}
		slices.SortFunc(counts, func(a, b cand) int {
			if a.n != b.n {
				return cmp.Compare(b.n, a.n)
			}
			return cmp.Compare(a.id, b.id)
		})
		for _, cd := range counts {
			cands = append(cands, cd.id)
		}
		cstart[c+1] = int32(len(cands))
	}
	candsOf := func(c int) []int64 { return cands[cstart[c]:cstart[c+1]] }

	// Larger clusters choose first; then by first record.
	first := func(c int) int32 {
		if start[c] == start[c+1] {
			return math.MaxInt32
		}
		return flat[start[c]]
	}
	size := func(c int) int32 { return start[c+1] - start[c] }
	order := make([]int32, nc)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if sa, sb := size(int(a)), size(int(b)); sa != sb {
			return cmp.Compare(sb, sa)
		}
		if c := cmp.Compare(first(int(a)), first(int(b))); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	ids := make([]int64, nc)
	used := firstIn // reused: previous id → 1 once a cluster has taken it
	used.clear()
	for _, c := range order {
		for _, id := range candsOf(int(c)) {
			if used.get(id) == 0 {
				ids[c] = id
				used.set(id, 1)
				break
			}
		}
	}
	byFirst := order // reused: clusters by first record
	slices.SortFunc(byFirst, func(a, b int32) int {
		if c := cmp.Compare(first(int(a)), first(int(b))); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	next, fresh := prev.MaxID, 0
	for _, c := range byFirst {
		if ids[c] == 0 {
			next++
			fresh++
			ids[c] = next
		}
	}
	var changes []Change
	for _, c := range byFirst {
		for _, id := range candsOf(int(c)) {
			if id != ids[c] && len(spread[id]) == 0 {
				// All of id's records are in this cluster: a merge.
				changes = append(changes, Change{Kind: "merge", PersonID: ids[c], OtherID: id})
			}
		}
	}
	prevIDs := make([]int64, 0, len(spread))
	for id := range spread {
		prevIDs = append(prevIDs, id)
	}
	slices.Sort(prevIDs)
	for _, id := range prevIDs {
		cs := spread[id] // ascending: clusters were visited in order
		for _, c := range cs {
			if ids[c] != id {
				changes = append(changes, Change{Kind: "split", PersonID: id, OtherID: ids[c]})
			}
		}
	}
	return ids, changes, fresh
}

// idTable maps previous person ids to small numbers (0: none). Ids are
// given in sequence, so up to a few times the records' number they are
// held densely, 4 bytes an id: at 10,000,000 persons two maps of every
// previous id were the largest part of a night's index, about 700 MB.
type idTable struct {
	dense  []int32
	sparse map[int64]int32
}

func newIDTable(maxID int64, records int) *idTable {
	if maxID >= 0 && maxID <= 4*int64(records)+1<<16 {
		return &idTable{dense: make([]int32, maxID+1)}
	}
	return &idTable{sparse: map[int64]int32{}}
}

// clear sets every id to 0.
func (t *idTable) clear() {
	clear(t.dense)
	clear(t.sparse)
}

func (t *idTable) get(id int64) int32 {
	if t.dense != nil && id >= 0 && id < int64(len(t.dense)) {
		return t.dense[id]
	}
	return t.sparse[id] // ids past a dense table's end, should any come
}

func (t *idTable) set(id int64, v int32) {
	if t.dense != nil && id >= 0 && id < int64(len(t.dense)) {
		t.dense[id] = v
		return
	}
	if t.sparse == nil {
		t.sparse = map[int64]int32{}
	}
	t.sparse[id] = v
}

// formatWeight renders a match weight for text output.
func formatWeight(w float64) string {
	if math.IsNaN(w) {
		return ""
	}
	return strconv.FormatFloat(w, 'f', 2, 64)
}

// sortOnTwoCores sorts s by cmp, which must be a total order, in place: a
// large s is split around the median of a sample of it and the two parts
// are sorted at once, so the result is the one slices.SortFunc gives. A
// night sorts a million GP record keys, which took two seconds on one
// core. (The halves were merged into a copy, which at 10,000,000 persons
// was 240 MB of the sort's peak.)
func sortOnTwoCores[T any](s []T, cmp func(a, b T) int) {
	if len(s) < 1<<15 {
		slices.SortFunc(s, cmp)
		return
	}
	const samples = 63
	sample := make([]T, samples)
	for k := range sample {
		sample[k] = s[k*(len(s)-1)/(samples-1)]
	}
	slices.SortFunc(sample, cmp)
	pivot := sample[samples/2]
	lo, hi := 0, len(s) // [0, lo) before the pivot, [hi, len) not
	for lo < hi {
		switch {
		case cmp(s[lo], pivot) < 0:
			lo++
		case cmp(s[hi-1], pivot) >= 0:
			hi--
		default:
			s[lo], s[hi-1] = s[hi-1], s[lo]
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(s[:lo], cmp) })
	slices.SortFunc(s[lo:], cmp)
	wg.Wait()
}
