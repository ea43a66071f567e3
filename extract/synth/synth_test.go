package synth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

func testConfig(t testing.TB, persons int, seed uint64) Config {
	return Config{Out: t.TempDir(), Persons: persons, Seed: seed,
		EndMonth: time.Date(2025, 10, 15, 0, 0, 0, 0, time.UTC), Months: 24}
}

// hashTree returns the SHA-256 of every file under dir, by relative path.
func hashTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func generate(t testing.TB, persons int, seed uint64) (Config, *Summary) {
	t.Helper()
	cfg := testConfig(t, persons, seed)
	sum, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return cfg, sum
}

func readCSV(t testing.TB, path string) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	return col, rows[1:]
}

func TestGenerateDeterministic(t *testing.T) {
	a, sa := generate(t, 300, 7)
	b, _ := generate(t, 300, 7)
	c, _ := generate(t, 300, 8)
	ha, hb, hc := hashTree(t, a.Out), hashTree(t, b.Out), hashTree(t, c.Out)
	if len(ha) < 20 {
		t.Fatalf("only %d files written", len(ha))
	}
	for k, v := range ha {
		if strings.HasSuffix(k, ".partial") {
			t.Errorf("partial file left behind: %s", k)
		}
		if hb[k] != v {
			t.Errorf("%s differs between two runs with the same seed", k)
		}
	}
	if len(ha) != len(hb) {
		t.Errorf("same seed wrote %d and %d files", len(ha), len(hb))
	}
	same := 0
	for _, k := range []string{"truth/persons.csv", "sources/gp/patients.csv", "sources/socialcare/socialcare.sql"} {
		if ha[k] == hc[k] {
			same++
			t.Errorf("%s is identical for seeds 7 and 8", k)
		}
	}
	for k := range sa.Files {
		if _, ok := ha[k]; !ok {
			t.Errorf("summary names %s, which was not written", k)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"few months", func(c *Config) { c.Months = 12 }, "at least 13"},
		{"no persons", func(c *Config) { c.Persons = 0 }, "Persons is 0"},
		{"no out", func(c *Config) { c.Out = "" }, "Out"},
		{"no end month", func(c *Config) { c.EndMonth = time.Time{} }, "EndMonth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 10, 1)
			tc.edit(&cfg)
			_, err := Generate(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestMonths(t *testing.T) {
	m, err := monthsFor(Config{Out: "x", Persons: 1, Months: 13, EndMonth: time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if m[0] != (Date{2024, 2, 1}) || m[12] != (Date{2025, 2, 1}) || len(m) != 13 {
		t.Fatalf("months = %v", m)
	}
}

// region is generated once and shared by the content tests.
var region struct {
	cfg Config
	sum *Summary
}

func sharedRegion(t *testing.T) (Config, *Summary) {
	t.Helper()
	if region.sum == nil {
		dir, err := os.MkdirTemp("", "synth-region-")
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Out: dir, Persons: 20000, Seed: 42, EndMonth: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), Months: 24}
		sum, err := Generate(context.Background(), cfg)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		region.cfg, region.sum = cfg, sum
	}
	return region.cfg, region.sum
}

func TestMain(m *testing.M) {
	code := m.Run()
	if region.cfg.Out != "" {
		os.RemoveAll(region.cfg.Out)
	}
	os.Exit(code)
}

func TestTruthRecordsMatchGP(t *testing.T) {
	cfg, sum := sharedRegion(t)
	col, recs := readCSV(t, filepath.Join(cfg.Out, "truth/records.csv"))
	truth := map[string]string{}
	bySource := map[string]int{}
	for _, r := range recs {
		key := r[col["source"]] + "|" + r[col["record_id"]]
		if _, dup := truth[key]; dup {
			t.Errorf("record %s appears twice in records.csv", key)
		}
		truth[key] = r[col["person_id"]]
		bySource[r[col["source"]]]++
	}
	pc, pats := readCSV(t, filepath.Join(cfg.Out, "sources/gp/patients.csv"))
	for _, r := range pats {
		key := "gp|" + r[pc["practice_code"]] + "/" + r[pc["patient_id"]]
		if truth[key] == "" {
			t.Fatalf("GP patient %s is not in records.csv", key)
		}
	}
	if bySource["gp"] != len(pats) {
		t.Errorf("records.csv has %d gp records, patients.csv %d rows", bySource["gp"], len(pats))
	}
	if len(pats) < cfg.Persons {
		t.Errorf("%d GP records for %d persons: everyone is registered", len(pats), cfg.Persons)
	}
	if sum.Files["sources/gp/patients.csv"] != len(pats) {
		t.Errorf("summary says %d GP patients, file has %d", sum.Files["sources/gp/patients.csv"], len(pats))
	}
	for _, s := range []string{"acute", "mentalhealth", "socialcare", "socialprescribing"} {
		if bySource[s] == 0 {
			t.Errorf("no %s records in records.csv", s)
		}
	}
	// Every MRN in the HL7 feed is in the truth, and vice versa.
	mrns := map[string]bool{}
	for _, msg := range readHL7(t, cfg.Out) {
		for _, seg := range msg {
			f := strings.Split(seg, "|")
			if f[0] == "PID" || f[0] == "MRG" {
				idx := 3
				if f[0] == "MRG" {
					idx = 1
				}
				for _, rep := range strings.Split(f[idx], "~") {
					c := strings.Split(rep, "^")
					if len(c) >= 5 && c[4] == "MR" {
						mrns[c[0]] = true
					}
				}
			}
		}
	}
	if len(mrns) != bySource["acute"] {
		t.Errorf("HL7 feed has %d MRNs, records.csv %d acute records", len(mrns), bySource["acute"])
	}
	for m := range mrns {
		if truth["acute|"+m] == "" {
			t.Errorf("MRN %s not in records.csv", m)
			break
		}
	}
}

func TestPersonsValid(t *testing.T) {
	cfg, _ := sharedRegion(t)
	col, rows := readCSV(t, filepath.Join(cfg.Out, "truth/persons.csv"))
	if len(rows) != cfg.Persons {
		t.Fatalf("persons.csv has %d rows, want %d", len(rows), cfg.Persons)
	}
	seen := map[string]bool{}
	sectors := map[string]int{}
	for _, r := range rows {
		n := r[col["nhs_number"]]
		if !nhsnumber.Valid(n) {
			t.Fatalf("invalid NHS number in persons.csv for %s", r[col["person_id"]])
		}
		if seen[n] {
			t.Fatalf("NHS number shared by two persons")
		}
		seen[n] = true
		pc := r[col["postcode"]]
		sectors[pc[:len(pc)-2]+"|"+r[col["family_name"]]]++
	}
	common := 0
	for _, n := range sectors {
		if n >= 5 {
			common++
		}
	}
	if common == 0 {
		t.Errorf("no surname occurs five times in one postcode sector")
	}
}

func TestErrorModelRates(t *testing.T) {
	cfg, _ := sharedRegion(t)
	_, recs := readCSV(t, filepath.Join(cfg.Out, "truth/records.csv"))
	total := map[string]int{}
	for _, r := range recs {
		total[r[0]]++
	}
	ec, errs := readCSV(t, filepath.Join(cfg.Out, "truth/record_errors.csv"))
	count := map[string]int{}
	for _, r := range errs {
		count[r[ec["source"]]+"|"+r[ec["error"]]]++
	}
	check := func(source, kind string, lo, hi float64) {
		t.Helper()
		got := float64(count[source+"|"+kind]) / float64(total[source])
		if got < lo || got > hi {
			t.Errorf("%s %s rate %.4f, want between %.4f and %.4f (%d of %d)", source, kind, got, lo, hi, count[source+"|"+kind], total[source])
		}
	}
	check("acute", errNHSMissing, 0.04, 0.12)
	check("acute", errNHSMistypeInvalid, 0.005, 0.03)
	check("acute", errDOBSwap, 0.001, 0.02)
	check("socialcare", errNHSMissing, 0.15, 0.40)
	check("gp", errNHSMissing, 0.001, 0.012)
	check("acute", errNickname, 0.005, 0.06)
	valid := 0
	for _, s := range []string{"gp", "acute", "mentalhealth", "socialcare", "socialprescribing"} {
		valid += count[s+"|"+errNHSMistypeValid]
	}
	if valid == 0 {
		t.Errorf("no mistyped NHS number that still passes Modulus 11")
	}
	// The errors are really in the files: missing NHS numbers are empty in
	// the GP extract, and a recorded mistyped number fails (or passes) the check.
	pc, pats := readCSV(t, filepath.Join(cfg.Out, "sources/gp/patients.csv"))
	nhsOf := map[string]string{}
	for _, r := range pats {
		nhsOf[r[pc["practice_code"]]+"/"+r[pc["patient_id"]]] = strings.ReplaceAll(r[pc["nhs_number"]], " ", "")
	}
	for _, r := range errs {
		if r[ec["source"]] != "gp" {
			continue
		}
		got := nhsOf[r[ec["record_id"]]]
		switch r[ec["error"]] {
		case errNHSMissing:
			if got != "" {
				t.Errorf("GP %s: NHS number should be missing", r[ec["record_id"]])
			}
		case errNHSMistypeInvalid:
			if got != r[ec["recorded_value"]] || nhsnumber.Valid(got) {
				t.Errorf("GP %s: expected an invalid mistyped NHS number", r[ec["record_id"]])
			}
		}
	}
}

// readHL7 returns every message of the ADT feed as its segments.
func readHL7(t *testing.T, out string) [][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, "sources/acute/adt/adt-*.hl7"))
	sort.Strings(files)
	if len(files) != 24 {
		t.Fatalf("%d ADT files, want one per month", len(files))
	}
	var msgs [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			if b[0] != 0x0B {
				t.Fatalf("%s: message does not start with 0x0B", f)
			}
			end := bytes.Index(b, []byte{0x1C, 0x0D})
			if end < 0 {
				t.Fatalf("%s: message without 0x1C 0x0D trailer", f)
			}
			body := string(b[1:end])
			b = b[end+2:]
			if !strings.HasSuffix(body, "\r") || strings.Contains(body, "\n") {
				t.Fatalf("%s: segments must end in CR only", f)
			}
			segs := strings.Split(strings.TrimSuffix(body, "\r"), "\r")
			if !strings.HasPrefix(segs[0], "MSH|^~\\&|") {
				t.Fatalf("%s: first segment is not MSH: %.20q", f, segs[0])
			}
			msgs = append(msgs, segs)
		}
	}
	return msgs
}

func TestHL7Structure(t *testing.T) {
	cfg, _ := sharedRegion(t)
	msgs := readHL7(t, cfg.Out)
	kinds := map[string]int{}
	nhsIDs := 0
	for _, m := range msgs {
		msh := strings.Split(m[0], "|")
		kind := strings.Split(msh[8], "^")[1]
		kinds[kind]++
		want := []string{"MSH", "EVN", "PID", "PV1"}
		if kind == "A40" {
			want[3] = "MRG"
		}
		for i, w := range want {
			if i >= len(m) || !strings.HasPrefix(m[i], w+"|") {
				t.Fatalf("%s message segment %d is not %s", kind, i, w)
			}
		}
		if strings.Contains(m[2], "^^^NHS^NH") {
			nhsIDs++
		}
	}
	for _, k := range []string{"A01", "A03", "A04", "A08", "A31", "A40"} {
		if kinds[k] == 0 {
			t.Errorf("no %s messages", k)
		}
	}
	if nhsIDs < len(msgs)*8/10 {
		t.Errorf("only %d of %d messages carry an NHS number", nhsIDs, len(msgs))
	}
}

func TestNDJSON(t *testing.T) {
	cfg, _ := sharedRegion(t)
	files, _ := filepath.Glob(filepath.Join(cfg.Out, "sources/mentalhealth/*.ndjson"))
	types := map[string]int{}
	links := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var res map[string]any
			if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			rt, _ := res["resourceType"].(string)
			if rt == "" || !strings.HasPrefix(filepath.Base(f), rt+".") {
				t.Fatalf("%s: resourceType %q", f, rt)
			}
			types[rt]++
			if _, ok := res["link"]; ok {
				links++
			}
		}
		fh.Close()
	}
	for _, rt := range []string{"Patient", "Encounter", "Condition", "ServiceRequest"} {
		if types[rt] == 0 {
			t.Errorf("no %s resources", rt)
		}
	}
	if links == 0 {
		t.Errorf("no Patient.link for duplicates")
	}
}

func TestSocialPrescribing(t *testing.T) {
	cfg, _ := sharedRegion(t)
	rc, refs := readCSV(t, filepath.Join(cfg.Out, "sources/socialprescribing/referrals.csv"))
	src := map[string]int{}
	for _, r := range refs {
		src[r[rc["referral_source"]]]++
	}
	for _, s := range []string{"mental_health", "gp", "self"} {
		if src[s] == 0 {
			t.Errorf("no %s referrals", s)
		}
	}
	wc, wb := readCSV(t, filepath.Join(cfg.Out, "sources/socialprescribing/wellbeing.csv"))
	base := map[string]int{}
	fu := map[string]int{}
	for _, r := range wb {
		var v int
		for _, ch := range r[wc["score"]] {
			v = v*10 + int(ch-'0')
		}
		lo, hi := 14, 70
		if r[wc["tool"]] == "SWEMWBS" {
			lo, hi = 7, 35
		}
		if v < lo || v > hi {
			t.Fatalf("%s score %d out of range", r[wc["tool"]], v)
		}
		if r[wc["timepoint"]] == "baseline" {
			base[r[wc["referral_id"]]] = v
		} else {
			fu[r[wc["referral_id"]]] = v
		}
	}
	both, improved := 0, 0
	for id, f := range fu {
		b, ok := base[id]
		if !ok {
			t.Fatalf("follow-up without baseline for %s", id)
		}
		both++
		if f > b {
			improved++
		}
	}
	if both < 20 {
		t.Fatalf("only %d people with both scores", both)
	}
	if share := float64(improved) / float64(both); share < 0.8 || share > 0.97 {
		t.Errorf("%.2f of people improved, want about 0.9", share)
	}
}

// BenchmarkGenerate writes a region of 100,000 persons (SYNTH_BENCH_PERSONS
// overrides the size, e.g. 1000000 to time a full-size region).
func BenchmarkGenerate(b *testing.B) {
	n := 100_000
	if s := os.Getenv("SYNTH_BENCH_PERSONS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatalf("SYNTH_BENCH_PERSONS: %v", err)
		}
	}
	for b.Loop() {
		cfg := testConfig(b, n, 1)
		if _, err := Generate(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTwins(t *testing.T) {
	pop := newPopulation(3, 20000, []Date{{2024, 1, 1}, {2024, 12, 1}}, 10, "BS", "Bristol")
	var a, b person
	twins := 0
	for j := 0; j < 10000; j++ {
		if !pop.isTwin(j) {
			continue
		}
		twins++
		pop.person(2*j, &a)
		pop.person(2*j+1, &b)
		if a.family != b.family || a.dob != b.dob || a.addr != b.addr {
			t.Fatalf("twins %d differ in surname, birth date or address", j)
		}
		if a.given == b.given || a.nhs == b.nhs {
			t.Fatalf("twins %d share a given name or NHS number", j)
		}
	}
	if twins < 60 || twins > 200 {
		t.Errorf("%d twin pairs in 10,000 pairs, want about 120", twins)
	}
}

func TestPersonOrderIndependent(t *testing.T) {
	months := []Date{{2024, 1, 1}, {2024, 12, 1}}
	p1 := newPopulation(9, 1000, months, 5, "BS", "Bristol")
	p2 := newPopulation(9, 1000, months, 5, "BS", "Bristol")
	var a, b person
	for i := 999; i >= 0; i-- {
		p1.person(i, &a)
		p2.person((i*7)%1000, &b) // a different order
		p2.person(i, &b)
		if a != b {
			t.Fatalf("person %d depends on call order", i)
		}
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := testConfig(t, 10000, 1)
	if _, err := Generate(ctx, cfg); err == nil {
		t.Fatal("Generate succeeded with a cancelled context")
	}
	var partial []string
	filepath.WalkDir(cfg.Out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".partial") {
			partial = append(partial, p)
		}
		return nil
	})
	if len(partial) > 0 {
		t.Errorf("partial files left behind: %v", partial)
	}
}

func TestMistypeNHS(t *testing.T) {
	g := newRNG()
	g.seed(1, 99, 0)
	for i := 0; i < 2000; i++ {
		nhs := (&population{nhsA: 48271, nhsB: 12345}).NHSNumber(i)
		bad, kind := mistypeNHS(g, nhs, i%2 == 0)
		if bad == nhs || len(bad) != 10 {
			t.Fatalf("mistype of %s gave %s", nhs, bad)
		}
		if nhsnumber.Valid(bad) != (kind == errNHSMistypeValid) {
			t.Fatalf("mistype kind %s but Valid=%v", kind, nhsnumber.Valid(bad))
		}
		if i%2 == 0 && kind != errNHSMistypeValid {
			t.Fatalf("asked for a valid mistype, got %s", kind)
		}
	}
}

func TestTinyRegions(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		cfg := testConfig(t, n, uint64(n))
		cfg.Months = 13
		sum, err := Generate(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%d persons: %v", n, err)
		}
		if sum.Files["truth/persons.csv"] != n {
			t.Errorf("%d persons: persons.csv has %d rows", n, sum.Files["truth/persons.csv"])
		}
	}
}
