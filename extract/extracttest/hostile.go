package extracttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sharedcare/sharedcare/extract"
)

// Outcome is what landing one source into a fresh lake gave.
type Outcome struct {
	Lake     string
	Manifest extract.SourceManifest // zero when Err is set
	Err      error                  // the source's error: a systemic failure of the run
}

// Entity returns the outcome's entry for entity, or a zero one.
func (o Outcome) Entity(entity string) extract.EntityManifest {
	for _, e := range o.Manifest.Entities {
		if e.Entity == entity {
			return e
		}
	}
	return extract.EntityManifest{}
}

// Totals sums read, landed and rejected over every entity.
func (o Outcome) Totals() (read, landed, rejected int64) {
	for _, e := range o.Manifest.Entities {
		read, landed, rejected = read+e.Read, landed+e.Landed, rejected+e.Rejected
	}
	return
}

// LandHostile lands src, whose files are under root, into a fresh lake and
// checks what must hold for any input, however hostile:
//   - it does not panic (a panic fails the test with its stack);
//   - every Arrow buffer is released and no .partial file is left;
//   - on success every entity reconciles (read = landed + rejected, rejects
//     by reason summing to rejected), every file in the manifest exists, and
//     every input's recorded size and SHA-256 are those of the file in root
//     (which must not change while it is read);
//   - on failure nothing is published: the lake holds no Parquet file.
//
// The source's own error is returned in the Outcome for the caller to judge.
func LandHostile(t *testing.T, root string, src extract.Source) Outcome {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	lake := t.TempDir()
	run, err := extract.NewRun(lake, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), mem)
	if err != nil {
		t.Fatal(err)
	}
	var sm extract.SourceManifest
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("extract panicked: %v\n%s", r, debug.Stack())
			}
		}()
		sm, err = run.Land(context.Background(), "hostile", "test", src)
	}()
	mem.AssertSize(t, 0)
	var parquet []string
	filepath.Walk(lake, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".partial") {
			t.Errorf("partial file left: %s", p)
		}
		if strings.HasSuffix(p, ".parquet") {
			parquet = append(parquet, p)
		}
		return nil
	})
	if err != nil {
		if len(parquet) > 0 {
			t.Errorf("failed extract left %d Parquet files in the lake", len(parquet))
		}
		return Outcome{Lake: lake, Err: err}
	}
	for _, e := range sm.Entities {
		if e.Read != e.Landed+e.Rejected {
			t.Errorf("entity %s: read %d != landed %d + rejected %d", e.Entity, e.Read, e.Landed, e.Rejected)
		}
		var byReason int64
		for _, n := range e.RejectsByReason {
			byReason += n
		}
		if byReason != e.Rejected {
			t.Errorf("entity %s: rejects by reason sum to %d, rejected %d", e.Entity, byReason, e.Rejected)
		}
		for _, f := range e.Files {
			if _, err := os.Stat(filepath.Join(lake, f)); err != nil {
				t.Errorf("manifest file missing: %v", err)
			}
		}
	}
	for _, in := range sm.Inputs {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(in.File)))
		if err != nil {
			t.Errorf("input %s: %v", in.File, err)
			continue
		}
		sum := sha256.Sum256(data)
		if in.Bytes != int64(len(data)) || in.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("input %s recorded as %d bytes %s, the file has %d bytes %x", in.File, in.Bytes, in.SHA256, len(data), sum)
		}
	}
	if _, err := run.Commit(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return Outcome{Lake: lake, Manifest: sm}
}

// Reject is one row of a rejects file.
type Reject struct {
	Entity, File, Reason, Message string
	Position                      int64
	Raw                           []byte
}

// Rejects reads every reject the outcome wrote.
func (o Outcome) Rejects(t *testing.T) []Reject {
	t.Helper()
	var out []Reject
	for _, f := range o.Manifest.RejectFiles {
		cols := readColumns(t, filepath.Join(o.Lake, f), "_entity", "_source_file", "_position", "reason", "message", "raw")
		for i := range cols["_entity"] {
			out = append(out, Reject{
				Entity: cols["_entity"][i].(string), File: cols["_source_file"][i].(string),
				Position: cols["_position"][i].(int64), Reason: cols["reason"][i].(string),
				Message: cols["message"][i].(string), Raw: cols["raw"][i].([]byte),
			})
		}
	}
	return out
}

// Strings reads one string column of the landed rows of entity, in landing
// order; a null is "".
func (o Outcome) Strings(t *testing.T, entity, column string) []string {
	t.Helper()
	var out []string
	for _, f := range o.Entity(entity).Files {
		for _, v := range readColumns(t, filepath.Join(o.Lake, f), column)[column] {
			s, _ := v.(string)
			out = append(out, s)
		}
	}
	return out
}

// Dates reads one date column of the landed rows of entity as YYYY-MM-DD;
// a null is "".
func (o Outcome) Dates(t *testing.T, entity, column string) []string {
	t.Helper()
	var out []string
	for _, f := range o.Entity(entity).Files {
		for _, v := range readColumns(t, filepath.Join(o.Lake, f), column)[column] {
			d, ok := v.(arrow.Date32)
			if !ok {
				out = append(out, "")
				continue
			}
			out = append(out, d.ToTime().Format("2006-01-02"))
		}
	}
	return out
}

// readColumns reads the named columns of a Parquet file as Go values
// (string, int64, []byte, arrow.Date32; nil for null).
func readColumns(t *testing.T, path string, names ...string) map[string][]any {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	defer tbl.Release()
	out := map[string][]any{}
	for _, name := range names {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("%s has no column %s", path, name)
		}
		for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				if chunk.IsNull(i) {
					out[name] = append(out[name], nil)
					continue
				}
				switch a := chunk.(type) {
				case *array.String:
					out[name] = append(out[name], a.Value(i))
				case *array.Int64:
					out[name] = append(out[name], a.Value(i))
				case *array.Binary:
					out[name] = append(out[name], bytes.Clone(a.Value(i)))
				case *array.Date32:
					out[name] = append(out[name], a.Value(i))
				default:
					t.Fatalf("%s column %s: unsupported type %s", path, name, chunk.DataType())
				}
			}
		}
	}
	return out
}

// CheckMessagesQuoteNothing fails the test if a reject message holds any of
// the values (patient identifiers planted in a hostile input).
func CheckMessagesQuoteNothing(t *testing.T, rejects []Reject, values ...string) {
	t.Helper()
	for _, r := range rejects {
		for _, v := range values {
			if v != "" && strings.Contains(r.Message, v) {
				t.Errorf("reject message %q quotes a patient value", r.Message)
			}
		}
	}
}

// String describes an outcome for failure messages.
func (o Outcome) String() string {
	if o.Err != nil {
		return "error: " + o.Err.Error()
	}
	var b strings.Builder
	for _, e := range o.Manifest.Entities {
		if e.Read > 0 {
			fmt.Fprintf(&b, "%s %d/%d/%d %v; ", e.Entity, e.Read, e.Landed, e.Rejected, e.RejectsByReason)
		}
	}
	return b.String()
}
