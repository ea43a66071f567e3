package fhir

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
)

var knownReasons = map[string]bool{
	extract.ReasonParse: true, extract.ReasonMissingField: true, extract.ReasonBadValue: true,
	extract.ReasonRecordTooLong: true, ReasonUnsupported: true, ReasonOperationOutcome: true, ReasonBlankLine: true,
	extract.ReasonBadEncoding: true,
}

// FuzzResource feeds arbitrary bytes to the connector both as one JSON
// document (resource or Bundle) and as NDJSON. It must never fail or panic,
// land only values that fit the entity's schema, and reject only with a
// known reason.
func FuzzResource(f *testing.F) {
	for _, glob := range append([]string{"testdata/*/*"}, realdataSeeds...) {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if strings.HasSuffix(p, ".ndjson") {
				n := 0
				for line := range bytes.Lines(data) {
					if n++; n > 3 {
						break
					}
					f.Add(bytes.TrimSpace(line))
				}
				continue
			}
			if len(data) <= 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"x.json", "x.ndjson"} {
			var m memSink
			x := &extractor{ctx: context.Background(), sink: &m, maxLn: 4096, maxDoc: 1 << 20}
			var err error
			if isNDJSON(name) {
				err = x.ndjson(name, bytes.NewReader(data))
			} else {
				err = x.document(name, bytes.NewReader(data))
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, o := range m.out {
				if o.reason != "" && !knownReasons[o.reason] {
					t.Fatalf("%s: unknown reason %q", name, o.reason)
				}
				if o.pos.N < 1 {
					t.Fatalf("%s: position %d", name, o.pos.N)
				}
			}
			if name == "x.json" && len(m.out) == 0 && !bytes.Contains(data, []byte("Bundle")) {
				t.Fatalf("a document that is not a Bundle gave no outcome")
			}
		}
	})
}

// realdataSeeds add the shared real samples to the fuzz corpus when they are
// present: the first lines of each Bulk Data file and the small JSON files.
var realdataSeeds = []string{
	"../../../shared/realdata/fhir-bulk-ndjson/[A-Z]*.ndjson",
	"../../../shared/realdata/pds-fhir-mocks/sandbox_mocks/*.json",
	"../../../shared/realdata/fhir-r4-examples/patient-example*.json",
	"../../../shared/realdata/fhir-r4-examples/bundle-*.json",
	"../../../shared/realdata/fhir-r4-examples/*request*.json",
}

// BenchmarkDecodeNDJSON measures the connector alone (no Parquet, no
// fsync), over the same Bulk Data files as BenchmarkExtractNDJSON.
func BenchmarkDecodeNDJSON(b *testing.B) {
	var data [][]byte
	var size int64
	for _, p := range []string{"Patient", "Encounter", "Condition", "MedicationRequest", "AllergyIntolerance"} {
		d, err := os.ReadFile("../../../shared/realdata/fhir-bulk-ndjson/" + p + ".000.ndjson")
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += int64(len(d))
	}
	b.SetBytes(size)
	for b.Loop() {
		x := &extractor{ctx: context.Background(), sink: discardSink{}, maxLn: MaxLine, maxDoc: MaxDocument}
		for _, d := range data {
			if err := x.ndjson("x.ndjson", bytes.NewReader(d)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type discardSink struct{}

func (discardSink) land(int, extract.Position, []byte, []any) error { return nil }
func (discardSink) reject(int, extract.Position, []byte, string, string) error {
	return nil
}
