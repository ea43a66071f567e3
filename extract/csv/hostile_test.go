package csv_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/extract/csv"
	"github.com/sharedcare/sharedcare/extract/extracttest"
)

const hostileDir = "../../testdata/hostile/csv"

// hostileNames are planted in names.csv (see cmd/sharedcare/hostile_test.go,
// which generates the corpus).
var hostileNames = []string{
	"O'Brien", "Robert'); DROP TABLE person;--", "Zoë 😀", "محمد الأحمد",
	"\u202Eevil\u202C", `"; DROP SCHEMA core CASCADE; --`, "' OR '1'='1",
}

// patientValues must never appear in a reject message.
var patientValues = append([]string{"9434765919", "943 476 5919", "Smith", "Jones", "Zoë", "Renée", "Ren\xe9e", "M\xfcller", "LS1 4AP", "O\"Brien"}, hostileNames...)

func hostileMapping(file string) []csv.Entity {
	return []csv.Entity{{Entity: "patients", Files: []string{file}, Columns: []csv.Column{
		{Name: "practice_code", Type: extract.String, Required: true},
		{Name: "patient_id", Type: extract.String, Required: true},
		{Name: "nhs_number", Type: extract.String},
		{Name: "given_name", Type: extract.String},
		{Name: "family_name", Type: extract.String},
		{Name: "date_of_birth", Type: extract.Date, Format: "02/01/2006"},
		{Name: "postcode", Type: extract.String},
	}}}
}

// want is the expected outcome for one corpus file: an error naming the
// file, or the counts.
type want struct {
	err                    bool
	read, landed, rejected int64
	reasons                map[string]int64
	check                  func(t *testing.T, o extracttest.Outcome)
	anyCounts              bool // garbage: only the invariants are checked
}

// TestHostileCorpus lands every file of testdata/hostile/csv on its own:
// no panic, read = landed + rejected with a reason, the file's hash
// recorded, hostile values landed verbatim and never quoted in a reject
// message, and a clear error naming the file when the file cannot be read
// at all.
func TestHostileCorpus(t *testing.T) {
	wants := map[string]want{
		"empty.csv":          {err: true},
		"header_only.csv":    {},
		"truncated.csv":      {read: 3, landed: 2, rejected: 1, reasons: map[string]int64{extract.ReasonParse: 1}},
		"ragged.csv":         {read: 6, landed: 2, rejected: 4, reasons: map[string]int64{extract.ReasonFieldCount: 3, extract.ReasonMissingField: 1}},
		"latin1_in_utf8.csv": {read: 3, landed: 1, rejected: 2, reasons: map[string]int64{extract.ReasonBadEncoding: 2}},
		"utf16_bom.csv":      {err: true},
		"binary.csv":         {err: true},
		"binary_rows.csv":    {anyCounts: true},
		"bare_quote.csv":     {read: 2, landed: 1, rejected: 1, reasons: map[string]int64{extract.ReasonParse: 1}},
		"bom_crlf.csv": {read: 2, landed: 2, check: func(t *testing.T, o extracttest.Outcome) {
			if got := o.Strings(t, "patients", "postcode"); !slices.Equal(got, []string{"LS1 4AP", "LS1 4AP"}) {
				t.Errorf("postcodes %q (a CR left on the last field?)", got)
			}
		}},
		"dates.csv": {read: 12, landed: 5, rejected: 7, reasons: map[string]int64{extract.ReasonBadValue: 7}, check: func(t *testing.T, o extracttest.Outcome) {
			want := []string{"2024-02-29", "9999-12-31", "1800-01-01", "2090-01-01", "0001-01-01"}
			if got := o.Dates(t, "patients", "date_of_birth"); !slices.Equal(got, want) {
				t.Errorf("dates %v, want %v", got, want)
			}
		}},
		"nhs_numbers.csv": {read: 9, landed: 9, check: func(t *testing.T, o extracttest.Outcome) {
			want := []string{"943 476 5919", "943-476-5919", "94347659l9", "NHS9434765919", "9434765919", "9434765918", "0000000000", "94347659190000000000", "９４３４７６５９１９"}
			if got := o.Strings(t, "patients", "nhs_number"); !slices.Equal(got, want) {
				t.Errorf("NHS numbers %q, want them as written (trimmed)", got)
			}
		}},
		"names.csv": {read: 9, landed: 9, check: func(t *testing.T, o extracttest.Outcome) {
			want := append(slices.Clone(hostileNames), "multi\nline", "nul\x00byte")
			if got := o.Strings(t, "patients", "given_name"); !slices.Equal(got, want) {
				t.Errorf("given names %q, want %q verbatim", got, want)
			}
			fam := append(slices.Clone(hostileNames), "tab\there", "bell\a")
			if got := o.Strings(t, "patients", "family_name"); !slices.Equal(got, fam) {
				t.Errorf("family names %q, want %q verbatim", got, fam)
			}
		}},
	}
	files, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			w, ok := wants[f.Name()]
			if !ok {
				t.Fatalf("no expectation for %s: add one", f.Name())
			}
			delete(wants, f.Name())
			o := landOne(t, filepath.Join(hostileDir, f.Name()))
			checkOutcome(t, f.Name(), o, w)
		})
	}
	for name := range wants {
		t.Errorf("%s is missing from the corpus", name)
	}
}

func landOne(t *testing.T, path string) extracttest.Outcome {
	t.Helper()
	root := t.TempDir()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	if err := os.WriteFile(filepath.Join(root, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(root, hostileMapping(name), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return extracttest.LandHostile(t, root, src)
}

func checkOutcome(t *testing.T, name string, o extracttest.Outcome, w want) {
	t.Helper()
	if w.err {
		if o.Err == nil {
			t.Fatalf("landed (%v), want an error naming the file", o)
		}
		if !strings.Contains(o.Err.Error(), name) {
			t.Errorf("error %q does not name the file", o.Err)
		}
		return
	}
	if o.Err != nil {
		t.Fatalf("failed: %v", o.Err)
	}
	e := o.Entity("patients")
	if !w.anyCounts && (e.Read != w.read || e.Landed != w.landed || e.Rejected != w.rejected) {
		t.Errorf("read/landed/rejected %d/%d/%d, want %d/%d/%d (%v)", e.Read, e.Landed, e.Rejected, w.read, w.landed, w.rejected, e.RejectsByReason)
	}
	for r, n := range w.reasons {
		if e.RejectsByReason[r] != n {
			t.Errorf("%s rejects %d, want %d (%v)", r, e.RejectsByReason[r], n, e.RejectsByReason)
		}
	}
	rejects := o.Rejects(t)
	if int64(len(rejects)) != e.Rejected {
		t.Errorf("%d reject rows for %d rejected", len(rejects), e.Rejected)
	}
	for _, r := range rejects {
		if r.Reason == "" || r.Message == "" || r.File != name || r.Position < 1 {
			t.Errorf("reject without its reason, message or position: %+v", r)
		}
	}
	extracttest.CheckMessagesQuoteNothing(t, rejects, patientValues...)
	if w.check != nil {
		w.check(t, o)
	}
}

// TestVeryLongLine: a several-megabyte field is landed whole (CSV has no
// record limit), without a panic, and the counts reconcile.
func TestVeryLongLine(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("x", 6<<20)
	data := "practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode\n" +
		"P1,1,,\"" + long + "\",B,,\nP1,2,,A,B,,\n"
	if err := os.WriteFile(filepath.Join(root, "long.csv"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(root, hostileMapping("long.csv"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	o := extracttest.LandHostile(t, root, src)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	if e := o.Entity("patients"); e.Landed != 2 {
		t.Fatalf("%v", o)
	}
	if got := o.Strings(t, "patients", "given_name"); len(got[0]) != len(long) {
		t.Errorf("long value landed as %d bytes", len(got[0]))
	}
}

// TestFileGrowingWhileRead appends rows to the file from another goroutine
// during the extract. The land must be exactly that of a prefix of the file:
// the recorded size and hash are those of the first Bytes bytes of the
// final file, and landing those bytes alone gives the same records. A
// recorded hash that covered bytes never parsed would make the next run
// skip the grown file as already landed, losing the appended rows.
func TestFileGrowingWhileRead(t *testing.T) {
	const header = "practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode\n"
	for attempt := range 5 {
		root := t.TempDir()
		path := filepath.Join(root, "grow.csv")
		var b bytes.Buffer
		b.WriteString(header)
		for i := range 20000 {
			b.WriteString("P1," + itoa(i) + ",9434765919,Ann,Smith,01/02/1980,LS1 4AP\n")
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			// A bounded number of rows, so the reader reaches the end.
			for i := range 20000 {
				select {
				case <-stop:
					return
				default:
				}
				f.WriteString("P2," + itoa(i) + ",9434765919,Bob,Jones,01/02/1980,LS1 4AP\n")
				if i%100 == 0 {
					time.Sleep(time.Microsecond)
				}
			}
		})
		src, err := csv.New(root, hostileMapping("grow.csv"), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := run.Land(context.Background(), "gp", "csv", src)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		final, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in := sm.Inputs[0]
		if in.Bytes > int64(len(final)) {
			t.Fatalf("recorded %d bytes, the file has %d", in.Bytes, len(final))
		}
		prefix := final[:in.Bytes]
		sum := sha256.Sum256(prefix)
		if hex.EncodeToString(sum[:]) != in.SHA256 {
			t.Fatalf("attempt %d: the recorded hash is not that of the first %d bytes read", attempt, in.Bytes)
		}
		// Landing the prefix alone gives the same counts.
		root2 := t.TempDir()
		os.WriteFile(filepath.Join(root2, "grow.csv"), prefix, 0o600)
		src2, _ := csv.New(root2, hostileMapping("grow.csv"), time.UTC)
		o := extracttest.LandHostile(t, root2, src2)
		got, ref := sm.Entities[0], o.Entity("patients")
		if got.Read != ref.Read || got.Landed != ref.Landed || got.Rejected != ref.Rejected {
			t.Errorf("attempt %d: growing file landed %d/%d/%d, its prefix %d/%d/%d", attempt, got.Read, got.Landed, got.Rejected, ref.Read, ref.Landed, ref.Rejected)
		}
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[n:])
}

// TestParseErrorInFirstField is the regression test for a panic found by the
// hostile corpus (binary_rows.csv): the connector asked the CSV reader for
// the position of field 0 after a parse error in the first field, which
// encoding/csv answers with a panic. The record is now rejected.
func TestParseErrorInFirstField(t *testing.T) {
	root := t.TempDir()
	data := "practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode\n\"P1\"x,1,,A,B,,\nP1,2,,A,B,,\n"
	if err := os.WriteFile(filepath.Join(root, "p.csv"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(root, hostileMapping("p.csv"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	o := extracttest.LandHostile(t, root, src)
	if e := o.Entity("patients"); o.Err != nil || e.Landed != 1 || e.RejectsByReason[extract.ReasonParse] != 1 {
		t.Fatalf("%v", o)
	}
	if r := o.Rejects(t); len(r) != 1 || r[0].Position != 2 {
		t.Errorf("rejects %+v, want one at line 2", r)
	}
}

// TestCancelMidFile cancels the context while a file is being landed (after
// 150,000 records, past the first row group): the land fails with
// context.Canceled, the parsing goroutine stops, no file is published and
// every Arrow buffer is released.
func TestCancelMidFile(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	b.WriteString("practice_code,patient_id,nhs_number,given_name,family_name,date_of_birth,postcode\n")
	for i := range 400_000 {
		b.WriteString("P1," + itoa(i) + ",9434765919,Ann,Smith,01/02/1980,LS1 4AP\n")
	}
	if err := os.WriteFile(filepath.Join(root, "big.csv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := csv.New(root, hostileMapping("big.csv"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Now(), mem)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run.OnLanded = func(n int64) {
		if n == 150_000 {
			cancel()
		}
	}
	before := runtime.NumGoroutine()
	_, err = run.Land(ctx, "gp", "csv", src)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled land returned %v, want context.Canceled", err)
	}
	mem.AssertSize(t, 0)
	filepath.Walk(lake, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			t.Errorf("file left after a cancelled land: %s", p)
		}
		return nil
	})
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before the land, %d after", before, after)
	}
}
