package match

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
)

// Explanation is why a pair of records scores as it does.
type Explanation struct {
	A, B        string
	PriorWeight float64
	Comparisons []ExplainedComparison
	Weight      float64
	Probability float64
	Band        string
	Rule        string
	Note        string
}

// ExplainedComparison is one comparison of an explanation, with the
// standardised values compared.
type ExplainedComparison struct {
	Evidence
	ValueA, ValueB string
	M, U           float64
}

// Explain scores records a and b with model m alone: the same comparisons,
// weights, rules and thresholds as Match, with term-frequency adjustments
// when m was trained (Train, Options.Train), else without. Cluster
// constraints and decisions are not applied.
func Explain(m *Model, a, b Record) Explanation {
	t := TableOf([]Record{a, b})
	p, err := prepare(m, t, 1)
	if err != nil {
		return Explanation{A: a.ID, B: b.ID, Note: err.Error()}
	}
	var freq func(comp, v string) (float64, bool)
	if m.tf != nil {
		freq = func(comp, v string) (float64, bool) {
			f, ok := m.tf[comp]
			if !ok {
				return 0, false
			}
			if x, ok := f[v]; ok {
				return x, true
			}
			return f[""], true
		}
	} else {
		freq = func(string, string) (float64, bool) { return 0, false }
	}
	return explain(m, p, newScorer(m, p, freq), 0, 1, a.ID, b.ID)
}

// Explain explains a pair of records of this run by id, with the run's
// term frequencies.
func (r *Result) Explain(a, b string) (Explanation, error) {
	ia, ok := r.find(a)
	if !ok {
		return Explanation{}, fmt.Errorf("explaining: no record %q", a)
	}
	ib, ok := r.find(b)
	if !ok {
		return Explanation{}, fmt.Errorf("explaining: no record %q", b)
	}
	if r.p == nil {
		return Explanation{}, errors.New("explaining: a packed result (Options.Packed) keeps no records to explain")
	}
	return explain(r.Model, r.p, r.sc, ia, ib, a, b), nil
}

func explain(m *Model, p *prepared, sc *scorer, a, b int32, ida, idb string) Explanation {
	pat := newComparer(m, p).pattern(a, b)
	w := sc.weight(a, b, pat)
	band, rule, note := sc.decide(pat, w)
	e := Explanation{A: ida, B: idb, PriorWeight: sc.prior, Weight: w, Probability: Probability(w), Band: bandNames[band], Rule: rule, Note: note}
	for ci, ev := range sc.evidence(a, b, pat) {
		col := p.cols[m.fieldIdx[m.Comparisons[ci].Field]]
		l := m.Comparisons[ci].Levels[ev.LevelIndex]
		e.Comparisons = append(e.Comparisons, ExplainedComparison{Evidence: ev, ValueA: value(col, a), ValueB: value(col, b), M: l.M, U: l.U})
	}
	return e
}

func value(c *column, i int32) string {
	if id := c.id[i]; id >= 0 {
		return c.val(id)
	}
	return ""
}

// String renders the explanation as a table.
func (e Explanation) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s ~ %s\n", e.A, e.B)
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tA\tB\tlevel\tm\tu\ttf\tweight")
	fmt.Fprintf(tw, "prior\t\t\t\t\t\t\t%+.2f\n", e.PriorWeight)
	for _, c := range e.Comparisons {
		m, u := "", ""
		if c.LevelIndex > 0 {
			m, u = fmt.Sprintf("%.4g", c.M), fmt.Sprintf("%.4g", c.U)
		}
		tf := ""
		if c.TFAdjustment != 0 {
			tf = fmt.Sprintf("%+.2f", c.TFAdjustment)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%+.2f\n", c.Comparison, c.ValueA, c.ValueB, c.Level, m, u, tf, c.Weight)
	}
	tw.Flush()
	fmt.Fprintf(&sb, "total %+.2f bits, probability %.6f, band %s (rule %s)", e.Weight, e.Probability, e.Band, e.Rule)
	if e.Note != "" {
		fmt.Fprintf(&sb, ", %s", e.Note)
	}
	sb.WriteByte('\n')
	return sb.String()
}
