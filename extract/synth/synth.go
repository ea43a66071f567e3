package synth

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version numbers the generator's output: it changes whenever the same
// Config gives different bytes, so that regions cached by an older
// generator are not taken for this one's. Version 2: hospital and mental
// health episodes grow with Months (see windows).
const Version = 2

// Config says what region to generate.
type Config struct {
	// Out is the region directory; Generate creates it.
	Out string
	// Persons is the number of true people in the region.
	Persons int
	// Seed makes the output deterministic: the same Config gives the same bytes.
	Seed uint64
	// EndMonth is the last month of activity (any day in it).
	EndMonth time.Time
	// Months is the number of months of activity ending at EndMonth (at least 13).
	Months int
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
}

// Summary says what Generate wrote.
type Summary struct {
	Persons int
	Orgs    int
	// Files maps each written file, relative to Out, to its record count.
	Files map[string]int
}

// Generate writes the synthetic region described by cfg.
func Generate(ctx context.Context, cfg Config) (*Summary, error) {
	months, err := monthsFor(cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("creating region directory: %w", err)
	}
	orgs := buildOrgs(cfg.Seed, cfg.Persons, months)
	log.Info("synth: organisations built", "orgs", len(orgs))
	g, err := newGen(ctx, cfg.Out, cfg.Seed, cfg.Persons, months, orgs, log)
	if err != nil {
		return nil, err
	}
	if err := g.writeOrgs(); err != nil {
		return nil, err
	}
	if err := g.run(); err != nil {
		return nil, err
	}
	log.Info("synth: writing portal usage")
	usage, err := writeUsage(ctx, cfg.Out, cfg.Seed, orgs, g.pop, months)
	if err != nil {
		return nil, fmt.Errorf("writing portal usage: %w", err)
	}
	for k, v := range usage {
		g.files[k] = v
	}
	log.Info("synth: region written", "persons", cfg.Persons, "files", len(g.files))
	return &Summary{Persons: cfg.Persons, Orgs: len(orgs), Files: g.files}, nil
}

// monthsFor checks cfg and returns its months, first day of each, oldest first.
func monthsFor(cfg Config) ([]Date, error) {
	if cfg.Out == "" {
		return nil, errors.New("synth config: Out (the region directory) is empty")
	}
	if cfg.Months < 13 {
		return nil, fmt.Errorf("synth config: Months is %d, need at least 13 for 13-month trends", cfg.Months)
	}
	if cfg.Persons < 1 {
		return nil, fmt.Errorf("synth config: Persons is %d, need at least 1", cfg.Persons)
	}
	if cfg.Persons > maxPersons {
		return nil, fmt.Errorf("synth config: Persons is %d, at most %d are supported", cfg.Persons, maxPersons)
	}
	if cfg.EndMonth.IsZero() {
		return nil, errors.New("synth config: EndMonth is not set")
	}
	y, m := cfg.EndMonth.Year(), int(cfg.EndMonth.Month())
	out := make([]Date, cfg.Months)
	for k := cfg.Months - 1; k >= 0; k-- {
		out[k] = Date{y, m, 1}
		m--
		if m == 0 {
			m, y = 12, y-1
		}
	}
	return out, nil
}

// windows is how many 13-month windows of a person's hospital and mental
// health episodes to draw: one for a 13-month region, and in proportion for
// a longer one (the fraction by chance), so that a longer history holds more
// activity at the same monthly rate rather than the same activity spread
// thinner. It draws nothing from r for 13 months, so such a region is the
// same as before it existed.
func (g *gen) windows(r *rng) int {
	w := float64(len(g.months)) / 13
	n := int(w)
	if f := w - float64(n); f > 1e-9 && r.chance(f) {
		n++
	}
	return max(n, 1)
}

// gen holds one generation run: the region, its open files and counters.
type gen struct {
	ctx     context.Context
	out     string
	seed    uint64
	months  []Date
	pop     *population
	orgs    []Org
	log     *slog.Logger
	files   map[string]int
	open    []*outFile
	r       *rng // per-source draws, reseeded per person
	r2      *rng
	endDay  int
	london  *time.Location
	pracs   []Org
	acute   Org
	mhTrust Org
	la      Org
	spOrg   Org

	persons, records, recErrs *csvOut
	err                       error // first write error met inside the person pass

	gp gpState
	ac acuteState
	mh mhState
	sc scState
	sp spState
}

func newGen(ctx context.Context, out string, seed uint64, n int, months []Date, orgs []Org, log *slog.Logger) (*gen, error) {
	g := &gen{ctx: ctx, out: out, seed: seed, months: months, orgs: orgs, log: log,
		files: map[string]int{}, r: newRNG(), r2: newRNG()}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, fmt.Errorf("loading Europe/London time zone: %w", err)
	}
	g.london = loc
	for _, o := range orgs {
		t := strings.ToLower(o.Type)
		switch {
		case o.Type == "GP practice":
			g.pracs = append(g.pracs, o)
		case strings.Contains(t, "acute") && g.acute.Code == "":
			g.acute = o
		case strings.Contains(t, "mental health") && g.mhTrust.Code == "":
			g.mhTrust = o
		case strings.Contains(t, "local authority") && g.la.Code == "":
			g.la = o
		case strings.Contains(t, "social prescribing") && g.spOrg.Code == "":
			g.spOrg = o
		}
	}
	for _, need := range []struct {
		what string
		ok   bool
	}{{"GP practice", len(g.pracs) > 0}, {"Acute trust", g.acute.Code != ""},
		{"Mental health trust", g.mhTrust.Code != ""}, {"Local authority", g.la.Code != ""},
		{"Social prescribing", g.spOrg.Code != ""}} {
		if !need.ok {
			return nil, fmt.Errorf("building region: the organisation list has no %q organisation", need.what)
		}
	}
	area := strings.TrimRight(strings.Fields(g.pracs[0].Postcode + " ")[0], "0123456789")
	city := g.la.Name
	for _, suf := range []string{" City Council", " County Council", " Borough Council", " Council"} {
		city = strings.TrimSuffix(city, suf)
	}
	g.pop = newPopulation(seed, n, months, len(g.pracs), area, city)
	g.endDay = g.pop.lastDay
	return g, nil
}

// outFile is a file written to name.partial and renamed on commit.
type outFile struct {
	rel  string
	path string
	f    *os.File
	w    *bufio.Writer
	n    int // records written
	done bool
}

func (g *gen) create(rel string) (*outFile, error) {
	path := filepath.Join(g.out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating directory for %s: %w", rel, err)
	}
	f, err := os.Create(path + ".partial")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", rel, err)
	}
	o := &outFile{rel: rel, path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}
	g.open = append(g.open, o)
	return o, nil
}

// commit flushes, closes and renames o into place, and records its count.
func (g *gen) commit(o *outFile) error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", o.rel, err)
	}
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", o.rel, err)
	}
	o.done = true
	if err := os.Rename(o.path+".partial", o.path); err != nil {
		return fmt.Errorf("renaming %s into place: %w", o.rel, err)
	}
	g.files[o.rel] = o.n
	return nil
}

// abort removes every file still open (after an error).
func (g *gen) abort() {
	for _, o := range g.open {
		if !o.done {
			o.f.Close()
			os.Remove(o.path + ".partial")
			o.done = true
		}
	}
}

// csvOut is a CSV file with a header; n counts data rows.
type csvOut struct {
	*outFile
	c *csv.Writer
}

func (g *gen) createCSV(rel string, header ...string) (*csvOut, error) {
	o, err := g.create(rel)
	if err != nil {
		return nil, err
	}
	c := &csvOut{outFile: o, c: csv.NewWriter(o.w)}
	if err := c.c.Write(header); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	return c, nil
}

func (c *csvOut) row(fields ...string) {
	// csv.Writer keeps the first error; commitCSV reports it.
	c.c.Write(fields)
	c.n++
}

func (g *gen) commitCSV(c *csvOut) error {
	c.c.Flush()
	if err := c.c.Error(); err != nil {
		return fmt.Errorf("writing %s: %w", c.rel, err)
	}
	return g.commit(c.outFile)
}

func (g *gen) writeOrgs() error {
	c, err := g.createCSV("sources/reference/organisations.csv", "org_code", "name", "org_type", "parent_code", "postcode", "go_live_date")
	if err != nil {
		return err
	}
	for _, o := range g.orgs {
		c.row(o.Code, o.Name, o.Type, o.Parent, o.Postcode, o.GoLive.iso())
	}
	if err := g.commitCSV(c); err != nil {
		g.abort()
		return err
	}
	return nil
}

func personID(i int) string { return fmt.Sprintf("P%08d", i) }

// rec records which true person a source record belongs to, and the errors
// the model put into it.
func (g *gen) rec(source, entity, id string, p *person, v *view) {
	pid := personID(p.idx)
	g.records.row(source, entity, id, pid)
	if v == nil {
		return
	}
	for _, e := range v.errs {
		g.recErrs.row(source, entity, id, pid, e.kind, e.recorded)
	}
}

// run makes one pass over the population writing every source, then writes
// the time-ordered hospital feed and the truth summaries.
func (g *gen) run() (err error) {
	defer func() {
		if err != nil {
			g.abort()
		}
	}()
	if g.persons, err = g.createCSV("truth/persons.csv", "person_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"); err != nil {
		return err
	}
	if g.records, err = g.createCSV("truth/records.csv", "source", "entity", "record_id", "person_id"); err != nil {
		return err
	}
	if g.recErrs, err = g.createCSV("truth/record_errors.csv", "source", "entity", "record_id", "person_id", "error", "recorded_value"); err != nil {
		return err
	}
	if err = g.gpOpen(); err != nil {
		return err
	}
	if err = g.mhOpen(); err != nil {
		return err
	}
	if err = g.scOpen(); err != nil {
		return err
	}
	if err = g.spOpen(); err != nil {
		return err
	}
	var p person
	n := g.pop.n
	for i := 0; i < n; i++ {
		if i%4096 == 0 {
			if err := g.ctx.Err(); err != nil {
				return err
			}
			if g.err != nil {
				return g.err
			}
			if i > 0 && i%100_000 == 0 {
				g.log.Info("synth: persons generated", "done", i, "of", n)
			}
		}
		g.pop.person(i, &p)
		g.persons.row(personID(i), p.nhs, p.given, p.family, p.dob.iso(), string(p.sex), p.addr.postcode)
		g.gpPerson(&p)
		g.acPerson(&p)
		refs := g.mhPerson(&p)
		g.scPerson(&p)
		g.spPerson(&p, refs)
	}
	if g.err != nil {
		return g.err
	}
	for _, c := range []*csvOut{g.persons, g.records, g.recErrs} {
		if err = g.commitCSV(c); err != nil {
			return err
		}
	}
	if err = g.gpClose(); err != nil {
		return err
	}
	if err = g.mhClose(); err != nil {
		return err
	}
	if err = g.scClose(); err != nil {
		return err
	}
	if err = g.spClose(); err != nil {
		return err
	}
	g.log.Info("synth: writing hospital ADT feed", "events", len(g.ac.events))
	if err = g.acWrite(); err != nil {
		return err
	}
	return g.writeReferralTruth()
}

// monthIndex returns the index of the month holding day d, or -1.
func (g *gen) monthIndex(day int) int {
	dd := dateOf(day)
	k := (dd.Year-g.months[0].Year)*12 + dd.Month - g.months[0].Month
	if k < 0 || k >= len(g.months) {
		return -1
	}
	return k
}

// stamp formats a local wall-clock time at day d plus sec seconds.
func stamp(day, sec int, layout string) string {
	return time.Unix(int64(day)*86400+int64(sec), 0).UTC().Format(layout)
}

// londonStamp formats day d plus sec seconds of Europe/London wall time as
// RFC 3339 with the offset in force.
func (g *gen) londonStamp(day, sec int) string {
	d := dateOf(day)
	t := time.Date(d.Year, time.Month(d.Month), d.Day, sec/3600, sec/60%60, sec%60, 0, g.london)
	return t.Format(time.RFC3339)
}

func itoa(n int) string { return strconv.Itoa(n) }

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
