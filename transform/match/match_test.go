package match

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// TestLevels checks a labelled pair for every level of the NHS model.
func TestLevels(t *testing.T) {
	m := DefaultModel()
	cases := []struct {
		comp, a, b, level string
	}{
		{"nhs_number", nhs(1), nhs(1), "agree"},
		{"nhs_number", nhs(1), strings.Join([]string{nhs(1)[:3], nhs(1)[3:6], nhs(1)[6:]}, " "), "agree"},
		{"nhs_number", nhs(1), nhs(2), "disagree"},
		{"nhs_number", nhs(1), "", "null"},
		{"nhs_number", nhs(1), "9434765918", "null"}, // fails Modulus 11
		{"given_name", "Mary", "MARY", "exact"},
		{"given_name", "Mary Anne", "Mary", "exact"}, // first word
		{"given_name", "Jonathon", "Jonathan", "jw_0.92"},
		{"given_name", "Stephens", "Stevens", "jw_0.88"},
		{"given_name", "Robert", "Bob", "alias"},
		{"given_name", "Elizabeth", "Liz", "alias"},
		{"given_name", "Mary", "Susan", "else"},
		{"given_name", "", "Susan", "null"},
		{"family_name", "O'Brien", "OBRIEN", "exact"},
		{"family_name", "Martha", "Marhta", "jw_0.92"},
		{"family_name", "Stephens", "Stevens", "jw_0.88"},
		{"family_name", "Smith", "Jones", "else"},
		{"dob", "1980-03-05", "05/03/1980", "exact"},
		{"dob", "1980-03-05", "1980-05-03", "day_month_swap"},
		{"dob", "1980-03-05", "1981-03-05", "one_component"},
		{"dob", "1980-03-05", "1980-03-08", "one_component"},
		{"dob", "1980-03-30", "1980-04-02", "within_days"},
		{"dob", "1980-03-05", "1975-11-20", "else"},
		{"dob", "1980-03-05", "not a date", "null"},
		{"sex", "M", "male", "agree"},
		{"sex", "F", "1", "else"},
		{"sex", "U", "M", "null"},
		{"postcode", "bs1 4dj", "BS14DJ", "full"},
		{"postcode", "BS1 4DJ", "BS1 4XY", "sector"},
		{"postcode", "BS1 4DJ", "BS1 6AA", "district"},
		{"postcode", "BS1 4DJ", "BA2 1AA", "else"},
		{"postcode", "BS1 4DJ", "nowhere", "null"},
	}
	for _, c := range cases {
		field := m.Comparisons[m.compIdx[c.comp]].Field
		a := Record{ID: "a", Fields: map[string]string{field: c.a}}
		b := Record{ID: "b", Fields: map[string]string{field: c.b}}
		e := Explain(m, a, b)
		got := e.Comparisons[m.compIdx[c.comp]].Level
		if got != c.level {
			t.Errorf("%s %q ~ %q: level %s, want %s", c.comp, c.a, c.b, got, c.level)
		}
	}
}

func TestDeterministicNHSRule(t *testing.T) {
	recs := []Record{
		person("a1", nhs(1), "John", "Smith", "1950-01-02", "M", "BS1 4DJ"),
		person("a2", nhs(1), "Jon", "Smyth", "1950-01-02", "M", "BA2 1AA"),
		// same valid number, contradictory demographics: review
		person("b1", nhs(2), "Alice", "Brown", "1970-06-07", "F", "BS2 8XX"),
		person("b2", nhs(2), "Graham", "Patel", "2001-12-25", "M", "BA9 3QQ"),
	}
	res, err := Match(context.Background(), DefaultModel(), recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := pairOf(t, res, "a1", "a2"); p.Band != BandLink || p.Rule != "nhs_number" {
		t.Errorf("a1~a2: %s by %s, want link by nhs_number", p.Band, p.Rule)
	}
	if p := pairOf(t, res, "b1", "b2"); p.Band != BandReview || p.Rule != "nhs_number" || p.Note != "rule nhs_number not corroborated" {
		t.Errorf("b1~b2: %s by %s (%q), want review by nhs_number, not corroborated", p.Band, p.Rule, p.Note)
	}
	if sameCluster(res, "b1", "b2") {
		t.Error("b1 and b2 merged")
	}
	if len(res.Review) != 1 {
		t.Errorf("review queue %d pairs, want 1", len(res.Review))
	}
}

func TestTwinsKeptApart(t *testing.T) {
	recs := []Record{
		person("t1", nhs(1), "Oliver", "Khan", "2010-04-04", "M", "BS5 6TT"),
		person("t2", nhs(2), "Harry", "Khan", "2010-04-04", "M", "BS5 6TT"),
		// a record of Oliver without NHS number elsewhere
		person("t3", "", "Oliver", "Khan", "2010-04-04", "M", "BS5 6TT"),
		// twin sisters, neither with an NHS number
		person("s1", "", "Amelia", "Jones", "1999-02-10", "F", "BA1 2CD"),
		person("s2", "", "Grace", "Jones", "1999-02-10", "F", "BA1 2CD"),
	}
	res, err := Match(context.Background(), DefaultModel(), recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sameCluster(res, "t1", "t2") || sameCluster(res, "t2", "t3") || sameCluster(res, "s1", "s2") {
		t.Errorf("twins merged: %v", res.Clusters())
	}
	if !sameCluster(res, "t1", "t3") {
		t.Error("t1 and t3 not linked")
	}
	if p := pairOf(t, res, "s1", "s2"); p.Band == BandLink {
		t.Errorf("s1~s2: %s, want review or non-link", p.Band)
	}
	// Even when a given name that disagrees costs nothing, the hard rule
	// holds twins back from an automatic link.
	m := DefaultModel().Clone()
	gi := m.compIdx["given_name"]
	last := len(m.Comparisons[gi].Levels) - 1
	m.Comparisons[gi].Levels[last].M = m.Comparisons[gi].Levels[last].U
	e := Explain(m, recs[3], recs[4])
	if e.Band != BandReview || e.Note != "hard rule possible_twin" || e.Probability < m.Thresholds.LinkProbability {
		t.Errorf("twins with a free given name: %s", e)
	}
	// And so does matching, which carries the rule and note as codes.
	free, err := Match(context.Background(), m, recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := pairOf(t, free, "s1", "s2"); p.Band != BandReview || p.Rule != RuleProbabilistic || p.Note != "hard rule possible_twin" {
		t.Errorf("s1~s2 with a free given name: %s by %s (%q), want review by %s, hard rule possible_twin", p.Band, p.Rule, p.Note, RuleProbabilistic)
	}
}

func TestDifferentNHSNumbersNeverMerged(t *testing.T) {
	recs := []Record{
		person("a", nhs(1), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
		person("b", nhs(2), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
		person("c", "", "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
	}
	res, err := Match(context.Background(), DefaultModel(), recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sameCluster(res, "a", "b") {
		t.Fatal("two different valid NHS numbers in one cluster")
	}
	if p := pairOf(t, res, "a", "b"); p.Band != BandReview {
		t.Errorf("a~b band %s, want review", p.Band)
	}
	if !sameCluster(res, "a", "c") && !sameCluster(res, "b", "c") {
		t.Error("c linked to neither")
	}
	if res.Stats.RefusedMerges != 1 {
		t.Errorf("refused merges %d, want 1", res.Stats.RefusedMerges)
	}
	inReview := 0
	for _, p := range res.Review {
		if strings.Contains(p.Note, "two different nhs_number") {
			inReview++
		}
	}
	if inReview != 1 {
		t.Errorf("%d refused merges in review, want 1: %+v", inReview, res.Review)
	}
}

func TestSourceLinksAndDecisions(t *testing.T) {
	recs := []Record{
		person("h1", "", "Ann", "Lee", "1940-01-01", "F", "BS1 1AA"),
		person("h2", "", "Anne", "Leigh-Smith", "1941-11-21", "F", "BA9 9ZZ"),
		person("x1", nhs(5), "Peter", "Wood", "1960-05-05", "M", "BS3 3CC"),
		person("x2", nhs(5), "Peter", "Wood", "1960-05-05", "M", "BS3 3CC"),
		person("y1", "", "Kim", "Ng", "1990-09-09", "F", "BS4 4DD"),
		person("y2", "", "Kimberley", "Ngata", "1991-10-10", "F", "BA4 4DD"),
	}
	recs[0].Links = []string{"h2", "missing-record"}
	res, err := Match(context.Background(), DefaultModel(), recs, Options{Decisions: []Decision{
		{A: "x1", B: "x2", Accept: false},
		{A: "y2", B: "y1", Accept: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !sameCluster(res, "h1", "h2") || pairOf(t, res, "h1", "h2").Rule != RuleSourceLink {
		t.Error("source-asserted link not honoured")
	}
	if res.Stats.UnknownLinks != 1 {
		t.Errorf("unknown links %d, want 1", res.Stats.UnknownLinks)
	}
	if sameCluster(res, "x1", "x2") {
		t.Error("rejected pair merged")
	}
	if p := pairOf(t, res, "x1", "x2"); p.Band != BandNonLink || p.Rule != RuleClerical {
		t.Errorf("rejected pair: %s by %s", p.Band, p.Rule)
	}
	if !sameCluster(res, "y1", "y2") {
		t.Error("accepted pair not merged")
	}
	if len(res.Review) != 0 {
		t.Errorf("review queue holds decided pairs: %+v", res.Review)
	}
}

func TestTermFrequencyAdjustment(t *testing.T) {
	var recs []Record
	given := []string{"Adam", "Beth", "Carl", "Dina", "Eric", "Fay", "Gus", "Hana", "Ivan", "Jade", "Kurt", "Lina"}
	for i := range 40 {
		recs = append(recs, person("s"+pad8(i), "", given[i%len(given)], "Smith", "", "", ""))
	}
	recs = append(recs,
		person("r1", "", "Zed", "Quennell", "1970-01-01", "M", ""),
		person("r2", "", "Zed", "Quennell", "1970-01-01", "M", ""),
		person("m1", "", "Zed", "Smith", "1970-01-01", "M", ""),
		person("m2", "", "Zed", "Smith", "1970-01-01", "M", ""),
	)
	res, err := Match(context.Background(), DefaultModel(), recs, Options{KeepNonLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	rare, _ := res.Explain("r1", "r2")
	common, _ := res.Explain("m1", "m2")
	fi := DefaultModel().compIdx["family_name"]
	wr, wc := rare.Comparisons[fi], common.Comparisons[fi]
	if wr.Level != "exact" || wc.Level != "exact" {
		t.Fatalf("levels %s, %s", wr.Level, wc.Level)
	}
	if !(wc.Weight < wr.Weight) || !(wc.TFAdjustment < 0) {
		t.Errorf("SMITH agree weighs %.2f (tf %.2f), QUENNELL %.2f (tf %.2f): want SMITH lower", wc.Weight, wc.TFAdjustment, wr.Weight, wr.TFAdjustment)
	}
}

func TestExplain(t *testing.T) {
	m := DefaultModel()
	a := person("a", "", "Robert", "Ellis", "1975-08-09", "M", "BS6 5EE")
	b := person("b", "", "Bob", "Elis", "1975-09-08", "M", "BS6 5EF")
	e := Explain(m, a, b)
	want := map[string]string{"nhs_number": "null", "given_name": "alias", "family_name": "jw_0.92", "dob": "day_month_swap", "sex": "agree", "postcode": "sector"}
	sum := e.PriorWeight
	for _, c := range e.Comparisons {
		if want[c.Comparison] != c.Level {
			t.Errorf("%s: level %s, want %s", c.Comparison, c.Level, want[c.Comparison])
		}
		sum += c.Weight
	}
	if d := sum - e.Weight; d > 1e-9 || d < -1e-9 {
		t.Errorf("weights sum to %.4f, total %.4f", sum, e.Weight)
	}
	if e.Probability <= 0 || e.Probability >= 1 || e.Band == "" {
		t.Errorf("probability %v band %q", e.Probability, e.Band)
	}
	s := e.String()
	for _, w := range []string{"given_name", "ROBERT", "BOB", "alias", "day_month_swap", "total", "band " + e.Band} {
		if !strings.Contains(s, w) {
			t.Errorf("explanation lacks %q:\n%s", w, s)
		}
	}
}

func TestEvaluate(t *testing.T) {
	// truth: P1 {a,b,c}, P2 {d,e}, P3 {f}
	truth := map[string]string{"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2", "f": "P3"}
	// clusters: {a,b}, {c}, {d,e,f}
	cl := map[string]string{"a": "X", "b": "X", "c": "Y", "d": "Z", "e": "Z", "f": "Z", "g": "W"}
	mt := Evaluate(cl, truth)
	// predicted pairs: ab, de, df, ef = 4; true pairs: ab ac bc de = 4; correct: ab, de = 2
	if mt.PredictedPairs != 4 || mt.TruePairs != 4 || mt.CorrectPairs != 2 {
		t.Fatalf("pairs %+v", mt)
	}
	if mt.Precision != 0.5 || mt.Recall != 0.5 || mt.F1 != 0.5 {
		t.Errorf("P %v R %v F1 %v", mt.Precision, mt.Recall, mt.F1)
	}
	if mt.SplitPersons != 1 || mt.MergedPersons != 2 || mt.ImpureClusters != 1 || mt.ExactClusters != 0 || mt.Unlabelled != 1 {
		t.Errorf("cluster figures %+v", mt)
	}
	if !slices.Equal(mt.FalseMerges, [][2]string{{"d", "f"}, {"e", "f"}}) {
		t.Errorf("false merges %v", mt.FalseMerges)
	}
	if !slices.Equal(mt.MissedLinks, [][2]string{{"a", "c"}, {"b", "c"}}) {
		t.Errorf("missed links %v", mt.MissedLinks)
	}
	perfect := Evaluate(map[string]string{"a": "1", "b": "1", "c": "2"}, map[string]string{"a": "p", "b": "p", "c": "q"})
	if perfect.Precision != 1 || perfect.Recall != 1 || perfect.ExactClusters != 1 {
		t.Errorf("perfect %+v", perfect)
	}
}

// TestOtherModel runs a non-NHS model from testdata without code changes.
func TestOtherModel(t *testing.T) {
	m, err := LoadModel(filepath.Join("testdata", "nordic.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rec := func(id, name, city, year, nid string) Record {
		return Record{ID: id, Fields: map[string]string{"name": name, "city": city, "birth_year": year, "national_id": nid}}
	}
	recs := []Record{
		rec("1", "Ingrid Johansson", "Uppsala", "1961", "610314-1234"),
		rec("2", "Ingrid Johanson", "Uppsala", "1961", ""),
		rec("3", "Ingrid Johansson", "Uppsala", "1961", "610314-1234"),
		rec("4", "Lars Nilsson", "Malmö", "1980", "800101-5678"),
		rec("5", "Lars Nilsson", "Malmö", "1980", "800101-9999"),
		rec("6", "Lars Nilson", "Malmo", "1981", ""),
	}
	res, err := Match(context.Background(), m, recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !sameCluster(res, "1", "3") || !sameCluster(res, "1", "2") {
		t.Errorf("Ingrid not linked: %v", res.Clusters())
	}
	if sameCluster(res, "4", "5") {
		t.Error("two different national ids merged")
	}
	if p := pairOf(t, res, "1", "3"); p.Rule != "national_id" {
		t.Errorf("1~3 rule %s", p.Rule)
	}
}

func TestModelValidation(t *testing.T) {
	base := func() string {
		return `version: 1
name: t
fields:
  - {name: a, type: string}
  - {name: d, type: date}
comparisons:
  - name: a
    field: a
    levels:
      - {name: "null", kind: "null"}
      - {name: exact, kind: exact, m: 0.9, u: 0.01}
      - {name: else, kind: else, m: 0.1, u: 0.99}
  - name: d
    field: d
    levels:
      - {name: "null", kind: "null"}
      - {name: near, kind: date_within_days, days: 3, m: 0.9, u: 0.01}
      - {name: else, kind: else, m: 0.1, u: 0.99}
blocking:
  max_block_size: 100
  rules: [[a]]
prior: 0.001
thresholds: {link_probability: 0.99, review_probability: 0.5}
`
	}
	if _, err := ParseModel(strings.NewReader(base())); err != nil {
		t.Fatalf("base model: %v", err)
	}
	cases := []struct{ from, to, where string }{
		{"kind: date_within_days, days: 3", "kind: date_within_days, days: 0", `comparison "d" level 1 (near)`},
		{"kind: date_within_days, days: 3", "kind: jaro_winkler, threshold: 0.9", `comparison "d" level 1 (near)`},
		{"m: 0.9, u: 0.01}\n      - {name: else, kind: else, m: 0.1, u: 0.99}\n  - name: d", "m: 1.5, u: 0.01}\n      - {name: else, kind: else, m: 0.1, u: 0.99}\n  - name: d", `comparison "a" level 1 (exact)`},
		{"field: a", "field: zz", `comparison "a"`},
		{"type: date", "type: datetime", "field 2 (d)"},
		{"rules: [[a]]", "rules: [[d.soundex]]", "blocking rule 1"},
		{"rules: [[a]]", "rules: [" + strings.Repeat("[a], ", 32) + "[d]]", "blocking"},
		{"prior: 0.001", "prior: 0", "prior"},
		{"review_probability: 0.5", "review_probability: 0.999", "thresholds"},
		{"version: 1", "version: 2", "version"},
	}
	for _, c := range cases {
		src := strings.Replace(base(), c.from, c.to, 1)
		if src == base() {
			t.Fatalf("case %q does not change the model", c.to)
		}
		_, err := ParseModel(strings.NewReader(src))
		me, ok := errors.AsType[*ModelError](err)
		if !ok {
			t.Errorf("%q: error %v, want *ModelError", c.to, err)
			continue
		}
		if me.Where != c.where || !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%q: error at %q (%v), want %q", c.to, me.Where, err, c.where)
		}
	}
	if _, err := ParseModel(strings.NewReader(base() + "unknown_key: 1\n")); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestModelRoundTrip(t *testing.T) {
	m := DefaultModel()
	var sb strings.Builder
	if err := m.WriteYAML(&sb); err != nil {
		t.Fatal(err)
	}
	m2, err := ParseModel(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatalf("reading written model: %v", err)
	}
	if len(m2.Comparisons) != len(m.Comparisons) || m2.Prior != m.Prior || len(m2.Aliases["nicknames"]) != len(m.Aliases["nicknames"]) {
		t.Error("model changed in round trip")
	}
}

// TestEvidenceOnDemand: with NoEvidence, pairs carry none, and
// Result.Evidence gives what a run that kept it gave, term frequencies
// included.
func TestEvidenceOnDemand(t *testing.T) {
	var recs []Record
	given := []string{"Adam", "Beth", "Carl", "Dina"}
	for i := range 30 {
		recs = append(recs, person("s"+pad8(i), "", given[i%len(given)], "Smith", "1970-01-0"+strconv.Itoa(1+i%3), "M", "BS1 4DJ"))
	}
	full, err := Match(context.Background(), DefaultModel(), recs, Options{KeepNonLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	lean, err := Match(context.Background(), DefaultModel(), recs, Options{KeepNonLinks: true, NoEvidence: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Pairs) == 0 || len(full.Pairs) != len(lean.Pairs) {
		t.Fatalf("%d pairs with evidence, %d without", len(full.Pairs), len(lean.Pairs))
	}
	ev := lean.EvidenceFunc()
	tf := false
	for i, p := range lean.Pairs {
		if p.Evidence != nil {
			t.Fatalf("pair %d carries evidence under NoEvidence", i)
		}
		want := full.Pairs[i].Evidence
		if got := lean.Evidence(p); !reflect.DeepEqual(got, want) {
			t.Fatalf("pair %s~%s: Evidence\n got %+v\nwant %+v", p.A, p.B, got, want)
		}
		if got := ev(p); !reflect.DeepEqual(got, want) {
			t.Fatalf("pair %s~%s: EvidenceFunc\n got %+v\nwant %+v", p.A, p.B, got, want)
		}
		for _, e := range want {
			tf = tf || e.TFAdjustment != 0
		}
	}
	if !tf {
		t.Error("no pair had a term-frequency adjustment: the test does not cover them")
	}

	// Packed, the matcher drops its columns before clustering: the
	// evidence, term frequencies included, is still worked out, and Explain
	// says it cannot explain.
	packed, err := Match(context.Background(), DefaultModel(), recs, Options{Packed: true})
	if err != nil {
		t.Fatal(err)
	}
	byIndex := map[[2]int][]Evidence{}
	for _, p := range full.Pairs {
		byIndex[[2]int{p.AIndex, p.BIndex}] = p.Evidence
	}
	pev := packed.EvidenceFunc()
	if packed.Packed.Len() == 0 {
		t.Fatal("no packed pairs")
	}
	for i := range packed.Packed.Len() {
		p := packed.Packed.At(i)
		if got, want := pev(p), byIndex[[2]int{p.AIndex, p.BIndex}]; !reflect.DeepEqual(got, want) {
			t.Fatalf("packed pair %d~%d: evidence\n got %+v\nwant %+v", p.AIndex, p.BIndex, got, want)
		}
	}
	if _, err := packed.Explain(recs[0].ID, recs[1].ID); err == nil {
		t.Error("a packed result explained a pair")
	}
}

// TestNHSNumbersHeldAsNumbers checks that NHS numbers, which the matcher
// keeps as numbers, read back as their ten digits: in Explain (a leading
// zero kept), and in a comparison that works on the text (levenshtein).
func TestNHSNumbersHeldAsNumbers(t *testing.T) {
	var zero string // a valid number with a leading zero
	for i := 1; zero == ""; i++ {
		d := "0" + pad8(i)
		if c, ok := nhsnumber.CheckDigit(d); ok {
			zero = d + strconv.Itoa(c)
		}
	}
	m := DefaultModel()
	e := Explain(m, Record{ID: "a", Fields: map[string]string{"nhs_number": zero[:3] + " " + zero[3:6] + " " + zero[6:]}},
		Record{ID: "b", Fields: map[string]string{"nhs_number": nhs(1)}})
	c := e.Comparisons[m.compIdx["nhs_number"]]
	if c.ValueA != zero || c.ValueB != nhs(1) || c.Level != "disagree" {
		t.Errorf("nhs_number explained as %q ~ %q (%s), want %q ~ %q (disagree)", c.ValueA, c.ValueB, c.Level, zero, nhs(1))
	}

	y := `version: 1
name: nhs-typos
fields:
  - {name: nhs_number, type: nhs_number}
comparisons:
  - name: nhs_number
    field: nhs_number
    levels:
      - {name: "null", kind: "null"}
      - {name: agree, kind: exact, m: 0.9, u: 0.0001}
      - {name: two_edits, kind: levenshtein, distance: 2, m: 0.05, u: 0.001}
      - {name: else, kind: else, m: 0.05, u: 0.9989}
blocking:
  max_block_size: 100
  rules:
    - [nhs_number]
prior: 0.001
thresholds: {link_probability: 0.9, review_probability: 0.5}
`
	tm, err := ParseModel(strings.NewReader(y))
	if err != nil {
		t.Fatal(err)
	}
	// Two valid numbers that differ in their ninth digit, and so in
	// their check digit too: two edits.
	a, b := nhs(1), ""
	for x := byte('0'); x <= '9' && b == ""; x++ {
		d := a[:8] + string(x)
		if c, ok := nhsnumber.CheckDigit(d); ok && x != a[8] {
			b = d + strconv.Itoa(c)
		}
	}
	if b == "" {
		t.Fatalf("no valid number one digit away from %s", a)
	}
	e = Explain(tm, Record{ID: "a", Fields: map[string]string{"nhs_number": a}}, Record{ID: "b", Fields: map[string]string{"nhs_number": b}})
	if l := e.Comparisons[0].Level; l != "two_edits" {
		t.Errorf("%s ~ %s: level %s, want two_edits", a, b, l)
	}
}

// TestAcceptedClusterKeepsBothNHSNumbers checks that a cluster a clerk
// made with two NHS numbers still takes records carrying either of them.
func TestAcceptedClusterKeepsBothNHSNumbers(t *testing.T) {
	recs := []Record{
		person("a", nhs(1), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
		person("b", nhs(2), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
		person("c1", nhs(1), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
		person("c2", nhs(2), "Sarah", "Taylor", "1985-07-01", "F", "BS1 1AA"),
	}
	res, err := Match(context.Background(), DefaultModel(), recs, Options{Decisions: []Decision{{A: "a", B: "b", Accept: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "c1", "c2"} {
		if !sameCluster(res, "a", id) {
			t.Errorf("%s not in a's cluster: %v", id, res.Clusters())
		}
	}
	if res.Stats.RefusedMerges != 0 {
		t.Errorf("refused merges %d, want 0", res.Stats.RefusedMerges)
	}
}
