package match

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRecordIndex(t *testing.T) {
	var ids []string
	for i := range 50000 {
		ids = append(ids, "gp/patients/"+strconv.Itoa(i*7919%100003))
	}
	x, err := newRecordIndex(len(ids), func(i int) string { return ids[i] })
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if j, ok := x.find(id); !ok || int(j) != i {
			t.Fatalf("find(%q) = %d, %v; want %d", id, j, ok, i)
		}
	}
	for _, id := range []string{"", "gp/patients/", "gp/patients/100003", "acute/patients/0"} {
		if j, ok := x.find(id); ok {
			t.Errorf("find(%q) = %d for an id not indexed", id, j)
		}
	}
	dup := append(ids[:1000:1000], "a", "b", ids[500])
	if _, err := newRecordIndex(len(dup), func(i int) string { return dup[i] }); err == nil || !strings.Contains(err.Error(), strconv.Quote(ids[500])+" appears twice") {
		t.Errorf("duplicate id: err = %v", err)
	}
}

func TestMatchRejectsDuplicateIDs(t *testing.T) {
	recs := []Record{
		person("a", nhs(1), "ANN", "SMITH", "1980-01-02", "F", "LS1 4AP"),
		person("b", nhs(2), "BOB", "JONES", "1970-03-04", "M", "LS2 7AB"),
		person("a", nhs(3), "CAT", "BROWN", "1990-05-06", "F", "LS3 1XY"),
	}
	if _, err := Match(context.Background(), DefaultModel(), recs, Options{}); err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
		t.Errorf("err = %v, want the duplicate id named", err)
	}
}

// TestIDOf: a table giving its ids and source links by Table.IDOf and
// LinksOf matches as one holding them in Table.ID and Links: the same
// clusters, cluster ids and pairs, with decisions and source links found
// by id.
func TestIDOf(t *testing.T) {
	dir := t.TempDir()
	generateRegion(t, dir, 3000)
	tab, _ := loadRegion(t, dir)
	first, err := MatchTable(context.Background(), DefaultModel(), tab, Options{Train: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ds []Decision
	for _, p := range first.Pairs {
		if p.Rule == RuleSourceLink {
			ds = append(ds, Decision{A: p.A, B: p.B, Accept: false})
			break
		}
	}
	for _, p := range first.Review {
		ds = append(ds, Decision{A: p.B, B: p.A, Accept: true})
		break
	}
	if len(ds) != 2 {
		t.Fatalf("the region gave %d decisions to make, want a source link and a review pair", len(ds))
	}
	opts := Options{Train: true, Seed: 1, Decisions: ds}
	want, err := MatchTable(context.Background(), DefaultModel(), tab, opts)
	if err != nil {
		t.Fatal(err)
	}
	ids, links := tab.ID, tab.Links
	byFunc := *tab
	byFunc.ID, byFunc.N = nil, len(ids)
	byFunc.Links, byFunc.LinksOf = nil, func(i int) []string { return links[i] }
	var asked atomic.Int64
	byFunc.IDOf = func(i int) string { asked.Add(1); return strings.Clone(ids[i]) }
	got, err := MatchTable(context.Background(), DefaultModel(), &byFunc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if asked.Load() == 0 {
		t.Fatal("IDOf was never called")
	}
	if !slices.Equal(got.Cluster, want.Cluster) || got.Stats.Clusters != want.Stats.Clusters {
		t.Fatalf("clusters differ: %d against %d", got.Stats.Clusters, want.Stats.Clusters)
	}
	if !maps.Equal(got.Clusters(), want.Clusters()) {
		t.Error("cluster ids differ")
	}
	if len(got.Pairs) != len(want.Pairs) || got.Stats.UnknownDecisions != 0 || got.Stats.UnknownLinks != want.Stats.UnknownLinks {
		t.Fatalf("%d pairs, %d unknown decisions, %d unknown links; want %d, 0, %d",
			len(got.Pairs), got.Stats.UnknownDecisions, got.Stats.UnknownLinks, len(want.Pairs), want.Stats.UnknownLinks)
	}
	clerical, sourceLinks := 0, 0
	for i, p := range got.Pairs {
		w := want.Pairs[i]
		if p.A != w.A || p.B != w.B || p.Weight != w.Weight || p.Band != w.Band || p.Rule != w.Rule || p.Note != w.Note || p.SameCluster != w.SameCluster {
			t.Fatalf("pair %d: got %+v, want %+v", i, p, w)
		}
		switch p.Rule {
		case RuleClerical:
			clerical++
		case RuleSourceLink:
			sourceLinks++
		}
	}
	if sourceLinks == 0 {
		t.Error("no source link pairs: LinksOf went unread")
	}
	if clerical != 2 {
		t.Errorf("%d clerical pairs, want the 2 decisions", clerical)
	}
	// NoPairIDs: the same pairs, named by position only.
	opts.NoPairIDs = true
	bare, err := MatchTable(context.Background(), DefaultModel(), &byFunc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(bare.Pairs) != len(want.Pairs) || len(bare.Review) != len(want.Review) {
		t.Fatalf("NoPairIDs: %d pairs, %d review; want %d, %d", len(bare.Pairs), len(bare.Review), len(want.Pairs), len(want.Review))
	}
	for i, p := range bare.Pairs {
		w := want.Pairs[i]
		if p.A != "" || p.B != "" || bare.ID(p.AIndex) != w.A || bare.ID(p.BIndex) != w.B || p.Weight != w.Weight || p.Band != w.Band {
			t.Fatalf("NoPairIDs pair %d: got %+v (%s~%s), want %+v", i, p, bare.ID(p.AIndex), bare.ID(p.BIndex), w)
		}
	}
	// Packed: the same pairs again, held compactly, with the same evidence
	// worked out on demand and the same review queue; and with records
	// found through Table.Find, the same decisions and source links.
	opts.Packed = true
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	var found atomic.Int64
	byFunc.Find = func(id string) (int, bool) {
		found.Add(1)
		i, ok := pos[id]
		return i, ok
	}
	packed, err := MatchTable(context.Background(), DefaultModel(), &byFunc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if packed.Pairs != nil || packed.Packed.Len() != len(bare.Pairs) || len(packed.Review) != len(bare.Review) {
		t.Fatalf("Packed: %d pairs, %d packed, %d review; want 0, %d, %d", len(packed.Pairs), packed.Packed.Len(), len(packed.Review), len(bare.Pairs), len(bare.Review))
	}
	if found.Load() == 0 {
		t.Error("Find was never called")
	}
	evidence := packed.EvidenceFunc()
	notes := 0
	for i, w := range bare.Pairs {
		p := packed.Packed.At(i)
		if !reflect.DeepEqual(evidence(p), w.Evidence) {
			t.Fatalf("Packed pair %d: evidence %+v, want %+v", i, evidence(p), w.Evidence)
		}
		w.Evidence = nil
		if !reflect.DeepEqual(p, w) {
			t.Fatalf("Packed pair %d: got %+v, want %+v", i, p, w)
		}
		if p.Note != "" {
			notes++
		}
	}
	if notes == 0 {
		t.Error("no pair carries a note: the packed notes went untested")
	}
	for i, w := range bare.Review {
		w.Evidence = nil
		if !reflect.DeepEqual(packed.Review[i], w) {
			t.Fatalf("Packed review pair %d: got %+v, want %+v", i, packed.Review[i], w)
		}
	}
	for c := range int32(got.Stats.Clusters) {
		if got.ClusterID(c) != want.ClusterID(c) {
			t.Fatalf("cluster %d: id %q, want %q", c, got.ClusterID(c), want.ClusterID(c))
		}
	}
}
