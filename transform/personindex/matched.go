package personindex

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"

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
}

// Output is a matched person index.
type Output struct {
	Links   []Link // ordered by source, entity, record key
	Stats   Stats
	Pairs   []match.Pair // link and review pairs with their evidence
	Review  []match.Pair // pairs waiting for a clerical decision
	Changes []Change
	Model   *match.Model // the model as trained on this run's records
	Match   match.Stats
}

func standardised(recs []Record) []Link {
	links := make([]Link, len(recs))
	for i, r := range recs {
		nhs, status := nhsStatus(r.NHSNumber)
		pc := standardise.ParsePostcode(r.Postcode)
		links[i] = Link{Source: r.Source, System: r.System, Entity: r.Entity, RecordKey: r.RecordKey,
			NHSNumber: nhs, NHSStatus: status,
			GivenName: standardise.Name(r.GivenName), Family: standardise.Name(r.Family),
			BirthDate: r.BirthDate, Sex: standardise.Sex(r.Sex), Postcode: pc.Full, District: pc.District}
	}
	return links
}

func sortRecords(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Entity != b.Entity {
			return a.Entity < b.Entity
		}
		return a.RecordKey < b.RecordKey
	})
}

// BuildMatched links recs with the Fellegi–Sunter matcher (deterministic
// NHS-number rule, probabilistic scoring, source-asserted links, clerical
// decisions) and gives each cluster a persistent person id.
func BuildMatched(ctx context.Context, recs []Record, prev *Previous, opt MatchOptions) (*Output, error) {
	if prev == nil {
		prev = &Previous{}
	}
	if opt.Model == nil {
		opt.Model = match.DefaultModel()
	}
	recs = append([]Record(nil), recs...) // sorted here, not in the caller's slice
	sortRecords(recs)
	links := standardised(recs)
	t := &match.Table{ID: make([]string, len(recs)), Source: make([]string, len(recs)), Cols: map[string][]string{}, Links: make([][]string, len(recs))}
	cols := map[string][]string{}
	for _, f := range []string{"nhs_number", "given_name", "family_name", "dob", "sex", "postcode"} {
		cols[f] = make([]string, len(recs))
	}
	for i, r := range recs {
		t.ID[i] = RecordID(r.Source, r.Entity, r.RecordKey)
		t.Source[i] = r.Source
		t.Links[i] = r.Links
		cols["nhs_number"][i] = r.NHSNumber
		cols["given_name"][i] = r.GivenName
		cols["family_name"][i] = r.Family
		if !r.BirthDate.IsZero() {
			cols["dob"][i] = r.BirthDate.Format("2006-01-02")
		}
		cols["sex"][i] = r.Sex
		cols["postcode"][i] = r.Postcode
	}
	for _, f := range opt.Model.Fields {
		c, ok := cols[f.Name]
		if !ok {
			return nil, fmt.Errorf("matching model %s has field %s, which person records do not carry (they have nhs_number, given_name, family_name, dob, sex, postcode)", opt.Model.Name, f.Name)
		}
		t.Cols[f.Name] = c
	}
	res, err := match.MatchTable(ctx, opt.Model, t, match.Options{Train: true, Seed: opt.Seed, Decisions: opt.Decisions, Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	// Each record's rule is that of its strongest link within its cluster.
	best := make([]float64, len(links))
	for i := range best {
		best[i] = math.Inf(-1)
	}
	index := make(map[string]int, len(links))
	for i, id := range t.ID {
		index[id] = i
	}
	for _, p := range res.Pairs {
		if p.Band != match.BandLink || !p.SameCluster {
			continue
		}
		for _, id := range []string{p.A, p.B} {
			i := index[id]
			if p.Weight > best[i] || links[i].Rule == "" {
				best[i], links[i].Rule, links[i].Weight = p.Weight, p.Rule, p.Weight
			}
		}
	}
	var st Stats
	for i := range links {
		if links[i].Rule == "" {
			links[i].Rule, links[i].Weight = "singleton", math.NaN()
		}
		switch links[i].NHSStatus {
		case "valid":
			st.ValidNHS++
		case "missing":
			st.MissingNHS++
		default:
			st.InvalidNHS++
		}
	}
	ids, changes, fresh := assignIDs(links, res.Cluster, len(res.ClusterIDs), prev)
	size := make([]int, len(res.ClusterIDs))
	for _, c := range res.Cluster {
		size[c]++
	}
	for i, c := range res.Cluster {
		links[i].PersonID = ids[c]
		if size[c] > 1 {
			st.LinkedRecords++
		}
	}
	st.Records, st.Persons, st.NewPersons = len(links), len(res.ClusterIDs), fresh
	return &Output{Links: links, Stats: st, Pairs: res.Pairs, Review: res.Review, Changes: changes, Model: res.Model, Match: res.Stats}, nil
}

// assignIDs gives each cluster a person id. A cluster keeps the previous id
// held by most of its records (ties to the smaller id); when no record has
// one, an id its valid NHS numbers had. Larger clusters choose first, so
// when a person splits the bigger part keeps the id. Clusters left without
// an id get fresh ones above the previous maximum, in record order.
func assignIDs(links []Link, cluster []int32, nc int, prev *Previous) ([]int64, []Change, int) {
	members := make([][]int, nc)
	for i, c := range cluster {
		members[c] = append(members[c], i)
	}
	type cand struct {
		id int64
		n  int
	}
	cands := make([][]cand, nc)
	prevIn := map[int64]map[int32]bool{} // previous id → clusters holding its records
	for c, ms := range members {
		counts := map[int64]int{}
		for _, i := range ms {
			l := links[i]
			if p, ok := prev.ByRecord[recordKey(l.Source, l.Entity, l.RecordKey)]; ok {
				counts[p]++
				if prevIn[p] == nil {
					prevIn[p] = map[int32]bool{}
				}
				prevIn[p][int32(c)] = true
			}
		}
		if len(counts) == 0 {
			for _, i := range ms {
				if p, ok := prev.ByNHS[links[i].NHSNumber]; ok && links[i].NHSNumber != "" {
					counts[p]++
				}
			}
		}
		for id, n := range counts {
			cands[c] = append(cands[c], cand{id, n})
		}
		sort.Slice(cands[c], func(i, j int) bool {
			a, b := cands[c][i], cands[c][j]
			if a.n != b.n {
				return a.n > b.n
			}
			return a.id < b.id
		})
	}
	order := make([]int, nc)
	for i := range order {
		order[i] = i
	}
	first := func(c int) int {
		if len(members[c]) == 0 {
			return math.MaxInt
		}
		return members[c][0]
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if len(members[a]) != len(members[b]) {
			return len(members[a]) > len(members[b])
		}
		return first(a) < first(b)
	})
	ids := make([]int64, nc)
	used := map[int64]bool{}
	for _, c := range order {
		for _, cd := range cands[c] {
			if !used[cd.id] {
				ids[c], used[cd.id] = cd.id, true
				break
			}
		}
	}
	byFirst := make([]int, nc)
	for i := range byFirst {
		byFirst[i] = i
	}
	sort.Slice(byFirst, func(i, j int) bool { return first(byFirst[i]) < first(byFirst[j]) })
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
		for _, cd := range cands[c] {
			if cd.id != ids[c] && len(prevIn[cd.id]) <= 1 {
				// All of cd.id's records are in this cluster: a merge.
				changes = append(changes, Change{Kind: "merge", PersonID: ids[c], OtherID: cd.id})
			}
		}
	}
	prevIDs := make([]int64, 0, len(prevIn))
	for id := range prevIn {
		prevIDs = append(prevIDs, id)
	}
	sort.Slice(prevIDs, func(i, j int) bool { return prevIDs[i] < prevIDs[j] })
	for _, id := range prevIDs {
		if len(prevIn[id]) < 2 {
			continue
		}
		cs := make([]int, 0, len(prevIn[id]))
		for c := range prevIn[id] {
			cs = append(cs, int(c))
		}
		sort.Ints(cs)
		for _, c := range cs {
			if ids[c] != id {
				changes = append(changes, Change{Kind: "split", PersonID: id, OtherID: ids[c]})
			}
		}
	}
	return ids, changes, fresh
}

// formatWeight renders a match weight for text output.
func formatWeight(w float64) string {
	if math.IsNaN(w) {
		return ""
	}
	return strconv.FormatFloat(w, 'f', 2, 64)
}
