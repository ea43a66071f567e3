package personindex

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/sharedcare/sharedcare/transform/standardise"
)

// sameLink compares links with NaN weights equal.
func sameLink(a, b Link) bool {
	if math.IsNaN(a.Weight) && math.IsNaN(b.Weight) {
		a.Weight, b.Weight = 0, 0
	}
	return a == b
}

// TestLinksRoundTrip holds the compact form to the links it was made from:
// every field back as it was, for values the index writes and odd ones a
// caller of Write may pass.
func TestLinksRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	var links []Link
	for i := range 5000 {
		l := Link{
			Source: pick("acute", "gp", "mh"), System: pick("acute", "gp"), Entity: pick("patients", "registrations"),
			RecordKey: fmt.Sprintf("K%05d", i), PersonID: rng.Int64N(1 << 40), Rule: pick("nhs_number", "probabilistic", "singleton", "source_link", ""),
			Weight: rng.NormFloat64() * 10, NHSNumber: pick("", "9434765919", "0123456789", "12345", "943 476 5919"),
			NHSStatus: pick("valid", "missing", "invalid_format"), GivenName: pick("", "MARY", "JOHN", "ANNE MARIE"),
			Family: pick("", "SMITH", "O'NEIL"), Sex: pick("", "F", "M", "unknown"), Postcode: pick("", "BS1 4DJ", "M1 1AE"), District: pick("", "BS1", "M1"),
		}
		switch rng.IntN(4) {
		case 0: // unknown
		case 1:
			l.BirthDate = time.Date(1900+rng.IntN(126), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		case 2:
			l.BirthDate = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) // day −1
		case 3:
			l.BirthDate = time.Unix(0, 0).UTC()
		}
		if rng.IntN(5) == 0 {
			l.Weight = math.NaN()
		}
		links = append(links, l)
	}
	ls := LinksOf(links)
	if ls.Len() != len(links) {
		t.Fatalf("Len %d, want %d", ls.Len(), len(links))
	}
	for i, want := range links {
		if got := ls.At(i); !sameLink(got, want) {
			t.Fatalf("link %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	// A date of birth keeps its calendar day whatever its location.
	east := time.FixedZone("UTC+10", 10*3600)
	d := LinksOf([]Link{{Source: "gp", BirthDate: time.Date(1980, 6, 1, 0, 0, 0, 0, east)}}).At(0).BirthDate
	if want := time.Date(1980, 6, 1, 0, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Errorf("birth date 1980-06-01 in UTC+10 came back as %v", d)
	}
	if (*Links)(nil).Len() != 0 {
		t.Error("a nil Links is not empty")
	}
}

// TestStandardisedLinksAsLinks holds the compact standardisation to the
// Link one the simple index uses.
func TestStandardisedLinksAsLinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	var recs []Record
	for i := range 40000 { // more than one chunk, on every core
		r := person(pick("acute", "gp"), fmt.Sprintf("R%06d", i), pick("", "9434765919", "943 476 5919", "1111111111", "12"),
			pick("Mary", " mary-jane ", "", "José"), pick("Smith", "SMITH ", ""), time.Time{}, pick("bs14dj", "M1 1AE", "", "nonsense"))
		r.Sex = pick("F", "male", "", "9")
		if rng.IntN(2) == 0 {
			r.BirthDate = time.Date(1930+rng.IntN(90), 5, 6, 0, 0, 0, 0, time.UTC)
		}
		recs = append(recs, r)
	}
	want := standardisedRef(recs)
	ls, err := standardisedLinks(PersonsOf(recs), "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got, w := ls.At(i), want[i]; !sameLink(got, w) {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
	}

	// With the demographics on disk: read alone, in record order across
	// pages (smaller than a chunk here), and out of order.
	defer func(n int) { demoPage = n }(demoPage)
	demoPage = 1000
	dir := t.TempDir()
	spilled, err := standardisedLinks(PersonsOf(recs), dir)
	if err != nil {
		t.Fatal(err)
	}
	if spilled.demo != nil || spilled.spill == nil {
		t.Fatal("the demographics are in memory")
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("the demographics' file is left in %s: %v", dir, es)
	}
	for i, got := range spilled.Slice() {
		if !sameLink(got, want[i]) {
			t.Fatalf("record %d from disk:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	demoOf := spilled.demographics()
	for _, i := range []int{39999, 5, 1000, 999, 0, 20000, 39000} {
		if got, w := spilled.link(i, demoOf(i)), want[i]; !sameLink(got, w) {
			t.Errorf("record %d out of order:\n got %+v\nwant %+v", i, got, w)
		}
		if got, w := spilled.At(i), want[i]; !sameLink(got, w) {
			t.Errorf("record %d alone:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if err := spilled.Err(); err != nil {
		t.Fatal(err)
	}
	// Once closed, a read fails, and says so.
	if err := spilled.Close(); err != nil {
		t.Fatal(err)
	}
	if err := spilled.Close(); err != nil {
		t.Errorf("closing again: %v", err)
	}
	if l := spilled.At(7); l.GivenName != "" || !l.BirthDate.IsZero() || spilled.Err() == nil {
		t.Errorf("a read after Close gave %+v, error %v", l, spilled.Err())
	}
	if _, err := standardisedLinks(PersonsOf(recs), filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a spill directory that does not exist")
	}
}

// TestSortRecords holds the in-place sort to a stable sort of the records
// by source, entity and key: groups arriving in any order, one source in
// several runs, repeated keys keeping their input order.
func TestSortRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var recs []Record
	for run := range 12 {
		src := []string{"mh", "gp", "acute"}[rng.IntN(3)]
		ent := []string{"patients", "registrations"}[rng.IntN(2)]
		for i := range 1 + rng.IntN(9000) { // some runs above sortOnTwoCores' threshold together
			// Keys of many lengths, some alike in their first 12 bytes
			// or past them, one ending in a zero byte.
			key := []string{"K%04d", "PRACTICE0001/%d", "PRACTICE0001%d", "PRACTICE%04d", "%d"}[rng.IntN(5)]
			key = fmt.Sprintf(key, rng.IntN(5000))
			if rng.IntN(50) == 0 {
				key += "\x00"
			}
			r := person(src, key, "", "", "", time.Time{}, "")
			r.Entity = ent
			r.GivenName = fmt.Sprintf("%d/%d", run, i) // the input position, to see ties
			recs = append(recs, r)
		}
	}
	want := slices.Clone(recs)
	slices.SortStableFunc(want, func(a, b Record) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Entity, b.Entity), strings.Compare(a.RecordKey, b.RecordKey))
	})
	p := PersonsOf(recs)
	sortRecords(p)
	recs = p.Records()
	for i := range want {
		if recs[i].Source != want[i].Source || recs[i].Entity != want[i].Entity || recs[i].RecordKey != want[i].RecordKey || recs[i].GivenName != want[i].GivenName {
			t.Fatalf("record %d: got %s/%s/%s (%s), want %s/%s/%s (%s)", i, recs[i].Source, recs[i].Entity, recs[i].RecordKey, recs[i].GivenName,
				want[i].Source, want[i].Entity, want[i].RecordKey, want[i].GivenName)
		}
	}
}

// standardisedRef is the index's standardisation written out plainly,
// one Link at a time.
func standardisedRef(recs []Record) []Link {
	links := make([]Link, len(recs))
	for i := range recs {
		r := &recs[i]
		nhs, status := nhsStatus(r.NHSNumber)
		pc := standardise.ParsePostcode(r.Postcode)
		links[i] = Link{Source: r.Source, System: r.System, Entity: r.Entity, RecordKey: r.RecordKey,
			NHSNumber: nhs, NHSStatus: status,
			GivenName: standardise.Name(r.GivenName), Family: standardise.Name(r.Family),
			BirthDate: r.BirthDate, Sex: standardise.Sex(r.Sex), Postcode: pc.Full, District: pc.District}
	}
	return links
}

// TestLinksFind: every record of links ordered as an index's are is found
// by its id, keys holding "/" included, and ids of no record are not; a
// key held twice in one source and entity is named.
func TestLinksFind(t *testing.T) {
	var links []Link
	for _, g := range [][2]string{{"acute", "patients"}, {"gp", "patients"}, {"gp", "registrations"}, {"mh", "clients"}} {
		for i := range 300 {
			links = append(links, Link{Source: g[0], System: g[0], Entity: g[1], RecordKey: fmt.Sprintf("K%04d/%d", i*2, i%3)})
		}
	}
	ls := LinksOf(links)
	for i, l := range links {
		if j, ok := ls.find(RecordID(l.Source, l.Entity, l.RecordKey)); !ok || j != i {
			t.Fatalf("find(record %d) = %d, %v", i, j, ok)
		}
	}
	for _, id := range []string{"gp/patients/K0001/1", "gp/clients/K0000/0", "zz/patients/K0000/0", "acute/patients", "", "gp/registrations/K9999/0"} {
		if j, ok := ls.find(id); ok {
			t.Errorf("find(%q) = %d, want not found", id, j)
		}
	}
	if d := ls.duplicate(); d != "" {
		t.Errorf("duplicate() = %q in distinct links", d)
	}
	dup := slices.Clone(links)
	dup[751].RecordKey = dup[750].RecordKey
	if d := LinksOf(dup).duplicate(); d != RecordID("gp", "registrations", dup[750].RecordKey) {
		t.Errorf("duplicate() = %q, want the repeated key named", d)
	}
	// One key in neighbouring records of two entities, or of two sources,
	// is no duplicate.
	dup = slices.Clone(links)
	dup[600].RecordKey = dup[599].RecordKey
	dup[300].RecordKey = dup[299].RecordKey
	if d := LinksOf(dup).duplicate(); d != "" {
		t.Errorf("duplicate() = %q for one key in two entities or sources", d)
	}
}

// TestCodes: the codes the index counts statuses by name them, every value
// of sex and status standardising gives has a fixed code, and others get
// codes of their own.
func TestCodes(t *testing.T) {
	if fixedCodes[codeValid] != "valid" || fixedCodes[codeMissing] != "missing" {
		t.Fatalf("codeValid names %q, codeMissing %q", fixedCodes[codeValid], fixedCodes[codeMissing])
	}
	var c codes
	for _, raw := range []string{"", "0000000000", "9434765919", "1", "12 34"} {
		_, status := nhsStatus(raw)
		if x := c.code(status); int(x) >= len(fixedCodes) || c.get(x) != status {
			t.Errorf("status %q: code %d", status, x)
		}
	}
	for _, raw := range []string{"m", "Female", "9", "x", ""} {
		sex := standardise.Sex(raw)
		if x := c.code(sex); int(x) >= len(fixedCodes) || c.get(x) != sex {
			t.Errorf("sex %q: code %d", sex, x)
		}
	}
	a, b := c.code("other"), c.code("another")
	if a == b || c.code("other") != a || c.get(a) != "other" || c.get(b) != "another" {
		t.Errorf("other values: codes %d, %d", a, b)
	}
	if unsafe.Sizeof(slimLink{}) != 16 || unsafe.Sizeof(demo{}) != 24 {
		t.Errorf("a link takes %d bytes and its demographics %d, want 16 and 24", unsafe.Sizeof(slimLink{}), unsafe.Sizeof(demo{}))
	}
}
