package personindex

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
)

// Files of an index run, relative to the lake.
func pairsFile(runID string) string   { return filepath.Join(Dir(runID), "person_match.parquet") }
func changesFile(runID string) string { return filepath.Join(Dir(runID), "person_change.parquet") }

// PairsFile is the run's link and review pairs with their evidence.
func PairsFile(runID string) string { return pairsFile(runID) }

// ChangesFile is the run's merges and splits of persons.
func ChangesFile(runID string) string { return changesFile(runID) }

// ModelFile is the matching model as trained by the run.
func ModelFile(runID string) string { return filepath.Join(Dir(runID), "model.yaml") }

type col struct {
	name string
	typ  arrow.DataType
}

var (
	str64 = arrow.BinaryTypes.String
	i64   = arrow.PrimitiveTypes.Int64
	f64   = arrow.PrimitiveTypes.Float64
	boo   = arrow.FixedWidthTypes.Boolean
	d32   = arrow.FixedWidthTypes.Date32
)

// writeRows writes n rows of cols to lake/rel as Parquet; get fills a
// row's values, one per column: string ("" is null), int64, float64 (NaN is
// null), bool or time.Time (a date; zero is null).
func writeRows(lake, rel string, cols []col, n int, get func(row int, vals []any), mem memory.Allocator) error {
	fs := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fs[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	schema := arrow.NewSchema(fs, nil)
	pf, err := extract.CreateParquet(lake, rel, schema, mem)
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return pf.Write(rec)
	}
	vals := make([]any, len(cols))
	for r := 0; r < n; r++ {
		get(r, vals)
		for c := range cols {
			fb := b.Field(c)
			switch v := vals[c].(type) {
			case string:
				if v == "" {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(v)
				}
			case int64:
				fb.(*array.Int64Builder).Append(v)
			case float64:
				if math.IsNaN(v) {
					fb.AppendNull()
				} else {
					fb.(*array.Float64Builder).Append(v)
				}
			case bool:
				fb.(*array.BooleanBuilder).Append(v)
			case time.Time:
				if v.IsZero() {
					fb.AppendNull()
				} else {
					fb.(*array.Date32Builder).Append(arrow.Date32FromTime(v))
				}
			default:
				pf.Abort()
				return fmt.Errorf("writing %s: column %s: unsupported value %T", rel, cols[c].name, v)
			}
		}
		if (r+1)%65536 == 0 {
			if err := flush(); err != nil {
				pf.Abort()
				return err
			}
		}
	}
	if err := flush(); err != nil {
		pf.Abort()
		return err
	}
	_, err = pf.Close()
	return err
}

var linkCols = []col{
	{"source", str64}, {"system", str64}, {"entity", str64}, {"record_key", str64}, {"person_id", i64},
	{"match_rule", str64}, {"match_weight", f64}, {"nhs_number", str64}, {"nhs_number_status", str64},
	{"given_name", str64}, {"family_name", str64}, {"date_of_birth", d32}, {"sex", str64},
	{"postcode", str64}, {"postcode_district", str64},
}

var pairCols = []col{
	{"record_a", str64}, {"record_b", str64}, {"match_weight", f64}, {"match_probability", f64},
	{"band", str64}, {"rule", str64}, {"note", str64}, {"same_person", boo}, {"awaiting_review", boo}, {"evidence", str64},
}

var changeCols = []col{{"kind", str64}, {"person_id", i64}, {"other_person_id", i64}}

// Write writes links alone as the index of run id (no pairs, no changes)
// and marks it complete.
func Write(lake, runID string, links []Link, mem memory.Allocator) error {
	return WriteOutput(lake, runID, &Output{Links: links}, mem)
}

// WriteOutput writes a run's index — person_link, person_match (pairs with
// evidence), person_change (merges and splits) and the trained model — then
// the _SUCCESS marker that makes it complete.
func WriteOutput(lake, runID string, out *Output, mem memory.Allocator) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	links := out.Links
	err := writeRows(lake, LinkFile(runID), linkCols, len(links), func(r int, v []any) {
		l := links[r]
		w := l.Weight
		if l.Rule == "singleton" || l.Rule == "" {
			w = math.NaN()
		}
		copy(v, []any{l.Source, l.System, l.Entity, l.RecordKey, l.PersonID, l.Rule, w, l.NHSNumber, l.NHSStatus,
			l.GivenName, l.Family, l.BirthDate, l.Sex, l.Postcode, l.District})
	}, mem)
	if err != nil {
		return err
	}
	review := map[[2]string]bool{}
	for _, p := range out.Review {
		review[[2]string{p.A, p.B}] = true
	}
	evidence := make([]string, len(out.Pairs))
	for i, p := range out.Pairs {
		b, err := json.Marshal(p.Evidence)
		if err != nil {
			return err
		}
		evidence[i] = string(b)
	}
	err = writeRows(lake, pairsFile(runID), pairCols, len(out.Pairs), func(r int, v []any) {
		p := out.Pairs[r]
		copy(v, []any{p.A, p.B, p.Weight, p.Probability, p.Band, p.Rule, p.Note, p.SameCluster, review[[2]string{p.A, p.B}], evidence[r]})
	}, mem)
	if err != nil {
		return err
	}
	err = writeRows(lake, changesFile(runID), changeCols, len(out.Changes), func(r int, v []any) {
		ch := out.Changes[r]
		copy(v, []any{ch.Kind, ch.PersonID, ch.OtherID})
	}, mem)
	if err != nil {
		return err
	}
	if out.Model != nil {
		f, err := os.OpenFile(filepath.Join(lake, ModelFile(runID)), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := out.Model.WriteYAML(f); err != nil {
			f.Close()
			return fmt.Errorf("writing trained model: %w", err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(lake, Dir(runID), "_SUCCESS"), nil, 0o600)
}
