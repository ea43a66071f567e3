package match

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed models/nhs.yaml
var modelFS embed.FS

// FormatVersion is the model file format this package reads and writes.
const FormatVersion = 1

// Field types.
const (
	TypeString    = "string"     // compared as given after trimming and upper-casing
	TypeName      = "name"       // standardise.Name; the first word when first_word is set
	TypeDate      = "date"       // parsed with the field's formats (default ISO, dd/mm/yyyy, yyyymmdd)
	TypePostcode  = "postcode"   // standardise.ParsePostcode: full, sector, district, area
	TypeNHSNumber = "nhs_number" // nhsnumber.Normalise; invalid numbers count as missing
	TypeSex       = "sex"        // standardise.Sex; U counts as missing
	TypeInteger   = "integer"    // a whole number, e.g. a birth year
)

// Level kinds. Every comparison starts with a null level and ends with else.
const (
	KindNull             = "null"               // either value missing: weight 0
	KindExact            = "exact"              // equal standardised values (tf_adjust optional)
	KindJaroWinkler      = "jaro_winkler"       // similarity ≥ threshold
	KindLevenshtein      = "levenshtein"        // edit distance ≤ distance
	KindPrefix           = "prefix"             // first length characters equal
	KindAlias            = "alias"              // both in one group of the comparison's aliases (nicknames)
	KindDateSwap         = "date_swap"          // day and month swapped, year equal
	KindDateOneComponent = "date_one_component" // two of year, month, day equal
	KindDateWithinDays   = "date_within_days"   // |difference| ≤ days
	KindPostcodeSector   = "postcode_sector"    // same sector ("BS1 4")
	KindPostcodeDistrict = "postcode_district"  // same district ("BS1")
	KindPostcodeArea     = "postcode_area"      // same area ("BS")
	KindNumericWithin    = "numeric_within"     // |a−b| ≤ distance (integer fields)
	KindElse             = "else"               // everything else
)

// Bands a pair can fall in.
const (
	BandNonLink = "non_link"
	BandReview  = "review"
	BandLink    = "link"
)

// Model is a Fellegi–Sunter matching model: what to compare, how, which
// pairs to consider (blocking), and where the decision thresholds lie. It is
// read from a versioned YAML file (see models/nhs.yaml) and validated on
// load; Train returns a copy with m, u and the prior estimated from data.
type Model struct {
	Version     int          `yaml:"version"`
	Name        string       `yaml:"name"`
	Description string       `yaml:"description,omitempty"`
	Fields      []Field      `yaml:"fields"`
	Comparisons []Comparison `yaml:"comparisons"`
	Blocking    Blocking     `yaml:"blocking"`
	// Prior is λ, the probability that two records drawn at random are the
	// same person.
	Prior      float64    `yaml:"prior"`
	Thresholds Thresholds `yaml:"thresholds"`
	// Rules are deterministic: a pair meeting When links under the rule's
	// name if one Corroborate alternative holds, else it goes to Otherwise.
	Rules []Rule `yaml:"rules,omitempty"`
	// HardRules cap the band of any pair meeting When.
	HardRules []HardRule `yaml:"hard_rules,omitempty"`
	// Distinct lists fields of which a cluster never holds two different
	// values through automatic links (clerical decisions may override).
	Distinct []string `yaml:"distinct,omitempty"`
	// Aliases are named groups of equivalent values (nicknames) used by
	// alias levels.
	Aliases map[string][][]string `yaml:"aliases,omitempty"`

	// Set by Train, not serialised: the term frequencies of the data it was
	// trained on, so Explain can apply term-frequency adjustments.
	tf map[string]map[string]float64

	// compiled by validate
	fieldIdx  map[string]int
	compIdx   map[string]int
	alias     []map[string][]int32 // per comparison: value → alias groups
	blockKeys [][]keyRef
	rules     []compiledCond
	hard      []compiledHard
	distinct  []int
	linkW     float64
	reviewW   float64
}

// Field is one column of the person table.
type Field struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// FirstWord keeps only the first word of a name (given names that carry
	// middle names).
	FirstWord bool `yaml:"first_word,omitempty"`
	// Formats are Go time layouts for date fields.
	Formats []string `yaml:"formats,omitempty"`
}

// Comparison compares one field of two records with ordered levels: the
// first level whose test passes is the pair's level.
type Comparison struct {
	Name    string  `yaml:"name"`
	Field   string  `yaml:"field"`
	Aliases string  `yaml:"aliases,omitempty"` // name of a Model.Aliases table
	Levels  []Level `yaml:"levels"`
}

// Level is one outcome of a comparison with its m and u probabilities.
type Level struct {
	Name      string  `yaml:"name"`
	Kind      string  `yaml:"kind"`
	Threshold float64 `yaml:"threshold,omitempty"` // jaro_winkler
	Distance  int     `yaml:"distance,omitempty"`  // levenshtein, numeric_within
	Length    int     `yaml:"length,omitempty"`    // prefix
	Days      int     `yaml:"days,omitempty"`      // date_within_days
	// TFAdjust applies a term-frequency adjustment to an exact level: the u
	// probability of agreeing on value v becomes the frequency of v (at
	// least TFMinimumU), so a common surname counts less than a rare one.
	TFAdjust   bool    `yaml:"tf_adjust,omitempty"`
	TFMinimumU float64 `yaml:"tf_minimum_u,omitempty"`
	M          float64 `yaml:"m,omitempty"`
	U          float64 `yaml:"u,omitempty"`
	// Fixed keeps m and u as given when training.
	Fixed bool `yaml:"fixed,omitempty"`
}

// Blocking says which pairs are compared: those that agree on every key of
// at least one rule. A key is a field name or field.derived with derived one
// of soundex, first3, initial (string and name fields), year, month (dates),
// sector, district, area (postcodes).
type Blocking struct {
	Rules [][]string `yaml:"rules"`
	// MaxBlockSize skips blocks larger than this (counted in the result).
	MaxBlockSize int `yaml:"max_block_size"`
}

// Thresholds place a pair in a band by its match probability (or, when the
// *_weight forms are used, by its total match weight in bits): link at or
// above Link, review at or above Review, non-link below.
type Thresholds struct {
	LinkProbability   float64 `yaml:"link_probability,omitempty"`
	ReviewProbability float64 `yaml:"review_probability,omitempty"`
	LinkWeight        float64 `yaml:"link_weight,omitempty"`
	ReviewWeight      float64 `yaml:"review_weight,omitempty"`
}

// Rule is a deterministic linkage rule.
type Rule struct {
	Name        string                `yaml:"name"`
	When        map[string][]string   `yaml:"when"`
	Corroborate []map[string][]string `yaml:"corroborate,omitempty"`
	Otherwise   string                `yaml:"otherwise,omitempty"` // band when no alternative holds; default review
}

// HardRule caps the band of pairs meeting When (comparison → levels).
type HardRule struct {
	Name string              `yaml:"name"`
	When map[string][]string `yaml:"when"`
	Cap  string              `yaml:"cap"` // review or non_link
}

// ModelError says what is wrong with a model and where.
type ModelError struct {
	Where string // e.g. "comparison dob level 3 (within_days)"
	Err   error
}

func (e *ModelError) Error() string { return "model: " + e.Where + ": " + e.Err.Error() }
func (e *ModelError) Unwrap() error { return e.Err }

// ErrInvalidModel is wrapped by every validation error.
var ErrInvalidModel = errors.New("invalid model")

func invalid(where, format string, args ...any) error {
	return &ModelError{Where: where, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidModel}, args...)...)}
}

// DefaultModel returns the NHS default model (models/nhs.yaml), validated.
func DefaultModel() *Model {
	b, err := modelFS.ReadFile("models/nhs.yaml")
	if err != nil {
		panic(err) // embedded; cannot happen
	}
	m, err := ParseModel(bytes.NewReader(b))
	if err != nil {
		panic(fmt.Sprintf("embedded NHS model: %v", err))
	}
	return m
}

// LoadModel reads and validates a model file.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	defer f.Close()
	m, err := ParseModel(f)
	if err != nil {
		return nil, fmt.Errorf("loading model %s: %w", path, err)
	}
	return m, nil
}

// ParseModel reads a model from YAML and validates it. Unknown keys are
// errors, so a misspelt option is not silently ignored.
func ParseModel(r io.Reader) (*Model, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parsing model: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// WriteYAML writes the model (for instance after Train) as a model file.
func (m *Model) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	return enc.Close()
}

// Clone returns a deep copy of m (validated, as m is).
func (m *Model) Clone() *Model {
	var buf bytes.Buffer
	if err := m.WriteYAML(&buf); err != nil {
		panic(err)
	}
	c, err := ParseModel(&buf)
	if err != nil {
		panic(fmt.Sprintf("cloning model: %v", err))
	}
	c.tf = m.tf
	return c
}

type keyRef struct {
	field   int
	derived string
}

type condTerm struct {
	comp   int
	levels uint64 // bitmask of levels
}

type compiledCond struct {
	name      string
	when      []condTerm
	alts      [][]condTerm
	otherwise string
}

type compiledHard struct {
	name string
	when []condTerm
	cap  string
}

var derivedByType = map[string][]string{
	TypeString:    {"soundex", "first3", "initial"},
	TypeName:      {"soundex", "first3", "initial"},
	TypeDate:      {"year", "month"},
	TypePostcode:  {"sector", "district", "area"},
	TypeNHSNumber: nil,
	TypeSex:       nil,
	TypeInteger:   nil,
}

var kindsByType = map[string][]string{
	TypeString:    {KindExact, KindJaroWinkler, KindLevenshtein, KindPrefix, KindAlias},
	TypeName:      {KindExact, KindJaroWinkler, KindLevenshtein, KindPrefix, KindAlias},
	TypeDate:      {KindExact, KindDateSwap, KindDateOneComponent, KindDateWithinDays},
	TypePostcode:  {KindExact, KindPostcodeSector, KindPostcodeDistrict, KindPostcodeArea},
	TypeNHSNumber: {KindExact, KindLevenshtein},
	TypeSex:       {KindExact},
	TypeInteger:   {KindExact, KindNumericWithin},
}

// Validate checks the model and compiles it for use. Errors are *ModelError
// naming the field, comparison, level or rule.
func (m *Model) Validate() error {
	if m.Version != FormatVersion {
		return invalid("version", "format version %d, want %d", m.Version, FormatVersion)
	}
	if m.Name == "" {
		return invalid("name", "missing")
	}
	if len(m.Fields) == 0 {
		return invalid("fields", "none")
	}
	m.fieldIdx = map[string]int{}
	for i, f := range m.Fields {
		where := fmt.Sprintf("field %d (%s)", i+1, f.Name)
		if f.Name == "" || strings.Contains(f.Name, ".") {
			return invalid(where, "name must be set and contain no dot")
		}
		if _, dup := m.fieldIdx[f.Name]; dup {
			return invalid(where, "duplicate field name")
		}
		if _, ok := kindsByType[f.Type]; !ok {
			return invalid(where, "unknown type %q (want one of string, name, date, postcode, nhs_number, sex, integer)", f.Type)
		}
		if len(f.Formats) > 0 && f.Type != TypeDate {
			return invalid(where, "formats apply to date fields only")
		}
		m.fieldIdx[f.Name] = i
	}
	if len(m.Comparisons) == 0 {
		return invalid("comparisons", "none")
	}
	if len(m.Comparisons) > 16 {
		return invalid("comparisons", "%d comparisons; at most 16", len(m.Comparisons))
	}
	m.compIdx = map[string]int{}
	m.alias = make([]map[string][]int32, len(m.Comparisons))
	for ci := range m.Comparisons {
		c := &m.Comparisons[ci]
		where := fmt.Sprintf("comparison %q", c.Name)
		if c.Name == "" {
			where = fmt.Sprintf("comparison %d", ci+1)
			return invalid(where, "name missing")
		}
		if _, dup := m.compIdx[c.Name]; dup {
			return invalid(where, "duplicate comparison name")
		}
		fi, ok := m.fieldIdx[c.Field]
		if !ok {
			return invalid(where, "unknown field %q", c.Field)
		}
		ft := m.Fields[fi].Type
		if len(c.Levels) < 3 || len(c.Levels) > 15 {
			return invalid(where, "%d levels; want 3 to 15 (null, at least one test, else)", len(c.Levels))
		}
		names := map[string]bool{}
		for li := range c.Levels {
			l := &c.Levels[li]
			lw := fmt.Sprintf("comparison %q level %d (%s)", c.Name, li, l.Name)
			if l.Name == "" {
				return invalid(lw, "name missing")
			}
			if names[l.Name] {
				return invalid(lw, "duplicate level name")
			}
			names[l.Name] = true
			switch {
			case li == 0 && l.Kind != KindNull:
				return invalid(lw, "the first level must be kind null")
			case li == len(c.Levels)-1 && l.Kind != KindElse:
				return invalid(lw, "the last level must be kind else")
			case li > 0 && l.Kind == KindNull, li < len(c.Levels)-1 && l.Kind == KindElse:
				return invalid(lw, "kind %s only as the first (null) or last (else) level", l.Kind)
			}
			if l.Kind != KindNull && l.Kind != KindElse && !slices.Contains(kindsByType[ft], l.Kind) {
				return invalid(lw, "kind %q does not apply to a %s field (want one of %s)", l.Kind, ft, strings.Join(kindsByType[ft], ", "))
			}
			switch l.Kind {
			case KindJaroWinkler:
				if l.Threshold <= 0 || l.Threshold > 1 {
					return invalid(lw, "threshold %v not in (0, 1]", l.Threshold)
				}
			case KindLevenshtein, KindNumericWithin:
				if l.Distance < 0 {
					return invalid(lw, "distance %d is negative", l.Distance)
				}
			case KindPrefix:
				if l.Length < 1 {
					return invalid(lw, "length must be at least 1")
				}
			case KindDateWithinDays:
				if l.Days < 1 {
					return invalid(lw, "days must be at least 1")
				}
			case KindAlias:
				if c.Aliases == "" {
					return invalid(lw, "alias level needs the comparison's aliases table")
				}
			}
			if l.TFAdjust && l.Kind != KindExact {
				return invalid(lw, "tf_adjust applies to exact levels only")
			}
			if l.TFMinimumU < 0 || l.TFMinimumU >= 1 {
				return invalid(lw, "tf_minimum_u %v not in [0, 1)", l.TFMinimumU)
			}
			if l.Kind == KindNull {
				continue
			}
			if !(l.M > 0 && l.M <= 1) {
				return invalid(lw, "m %v not in (0, 1]", l.M)
			}
			if !(l.U > 0 && l.U <= 1) {
				return invalid(lw, "u %v not in (0, 1]", l.U)
			}
		}
		if c.Aliases != "" {
			groups, ok := m.Aliases[c.Aliases]
			if !ok {
				return invalid(where, "unknown aliases table %q", c.Aliases)
			}
			am := map[string][]int32{}
			for gi, g := range groups {
				for _, v := range g {
					k := standardValue(ft, v)
					if !slices.Contains(am[k], int32(gi)) {
						am[k] = append(am[k], int32(gi))
					}
				}
			}
			m.alias[ci] = am
		}
		m.compIdx[c.Name] = ci
	}
	if len(m.Blocking.Rules) == 0 {
		return invalid("blocking", "no rules")
	}
	if m.Blocking.MaxBlockSize < 2 {
		return invalid("blocking", "max_block_size %d; want at least 2", m.Blocking.MaxBlockSize)
	}
	if len(m.Blocking.Rules) > 32 {
		// A candidate pair carries the set of rules blocking it as 32 bits.
		return invalid("blocking", "%d rules; at most 32", len(m.Blocking.Rules))
	}
	m.blockKeys = nil
	for i, r := range m.Blocking.Rules {
		where := fmt.Sprintf("blocking rule %d", i+1)
		if len(r) == 0 {
			return invalid(where, "no keys")
		}
		var keys []keyRef
		for _, k := range r {
			name, derived, _ := strings.Cut(k, ".")
			fi, ok := m.fieldIdx[name]
			if !ok {
				return invalid(where, "unknown field %q", name)
			}
			if derived != "" && !slices.Contains(derivedByType[m.Fields[fi].Type], derived) {
				return invalid(where, "%q: no derived key %q for a %s field (have %v)", k, derived, m.Fields[fi].Type, derivedByType[m.Fields[fi].Type])
			}
			keys = append(keys, keyRef{fi, derived})
		}
		m.blockKeys = append(m.blockKeys, keys)
	}
	if !(m.Prior > 0 && m.Prior < 1) {
		return invalid("prior", "%v not in (0, 1)", m.Prior)
	}
	t := m.Thresholds
	switch {
	case t.LinkProbability != 0 || t.ReviewProbability != 0:
		if t.LinkWeight != 0 || t.ReviewWeight != 0 {
			return invalid("thresholds", "give probabilities or weights, not both")
		}
		if !(t.ReviewProbability > 0 && t.ReviewProbability <= t.LinkProbability && t.LinkProbability < 1) {
			return invalid("thresholds", "want 0 < review_probability ≤ link_probability < 1")
		}
		m.linkW, m.reviewW = logit2(t.LinkProbability), logit2(t.ReviewProbability)
	default:
		if t.ReviewWeight > t.LinkWeight {
			return invalid("thresholds", "want review_weight ≤ link_weight")
		}
		if t.LinkWeight == 0 && t.ReviewWeight == 0 {
			return invalid("thresholds", "missing")
		}
		m.linkW, m.reviewW = t.LinkWeight, t.ReviewWeight
	}
	m.rules = nil
	for i, r := range m.Rules {
		where := fmt.Sprintf("rule %d (%s)", i+1, r.Name)
		if r.Name == "" {
			return invalid(where, "name missing")
		}
		cr := compiledCond{name: r.Name, otherwise: r.Otherwise}
		var err error
		if len(r.When) == 0 {
			return invalid(where, "when is empty")
		}
		if cr.when, err = m.compileCond(where+" when", r.When); err != nil {
			return err
		}
		for j, alt := range r.Corroborate {
			ct, err := m.compileCond(fmt.Sprintf("%s corroborate %d", where, j+1), alt)
			if err != nil {
				return err
			}
			cr.alts = append(cr.alts, ct)
		}
		switch cr.otherwise {
		case "":
			cr.otherwise = BandReview
		case BandReview, BandNonLink:
		default:
			return invalid(where, "otherwise %q; want review or non_link", r.Otherwise)
		}
		m.rules = append(m.rules, cr)
	}
	m.hard = nil
	for i, h := range m.HardRules {
		where := fmt.Sprintf("hard rule %d (%s)", i+1, h.Name)
		if h.Name == "" {
			return invalid(where, "name missing")
		}
		if len(h.When) == 0 {
			return invalid(where, "when is empty")
		}
		if h.Cap != BandReview && h.Cap != BandNonLink {
			return invalid(where, "cap %q; want review or non_link", h.Cap)
		}
		w, err := m.compileCond(where, h.When)
		if err != nil {
			return err
		}
		m.hard = append(m.hard, compiledHard{h.Name, w, h.Cap})
	}
	m.distinct = nil
	for _, d := range m.Distinct {
		fi, ok := m.fieldIdx[d]
		if !ok {
			return invalid("distinct", "unknown field %q", d)
		}
		m.distinct = append(m.distinct, fi)
	}
	return nil
}

func (m *Model) compileCond(where string, cond map[string][]string) ([]condTerm, error) {
	keys := make([]string, 0, len(cond))
	for k := range cond {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []condTerm
	for _, k := range keys {
		ci, ok := m.compIdx[k]
		if !ok {
			return nil, invalid(where, "unknown comparison %q", k)
		}
		var mask uint64
		for _, ln := range cond[k] {
			li := m.levelIndex(ci, ln)
			if li < 0 {
				return nil, invalid(where, "comparison %q has no level %q", k, ln)
			}
			mask |= 1 << li
		}
		if mask == 0 {
			return nil, invalid(where, "comparison %q: no levels listed", k)
		}
		out = append(out, condTerm{ci, mask})
	}
	return out, nil
}

func (m *Model) levelIndex(ci int, name string) int {
	for i, l := range m.Comparisons[ci].Levels {
		if l.Name == name {
			return i
		}
	}
	return -1
}

func logit2(p float64) float64 { return math.Log2(p / (1 - p)) }

// Probability converts a total match weight (bits, prior included) to a
// match probability.
func Probability(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// PriorWeight is the weight of the prior, log2(λ/(1−λ)).
func (m *Model) PriorWeight() float64 { return logit2(m.Prior) }

// LevelWeight is log2(m/u) of a level; 0 for the null level.
func (m *Model) LevelWeight(comp, level int) float64 {
	l := m.Comparisons[comp].Levels[level]
	if l.Kind == KindNull {
		return 0
	}
	return math.Log2(l.M / l.U)
}
