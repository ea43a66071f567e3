package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// TestEvaluateIndex checks the evaluation in DuckDB against match.Evaluate
// on maps of every record, on random indexes and truths: records only in
// one of them, keys holding "/" or a quote, comma and semicolon, person
// ids whose text and numeric orders differ, and more example pairs than
// are listed.
func TestEvaluateIndex(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			dir := t.TempDir()
			lake := filepath.Join(dir, "lake")
			n := 300 + rng.IntN(1500)
			noise := []float64{0.02, 0.1, 0.3, 0.6}[seed]
			type rec struct {
				source, entity, key string
				person              int
				cluster             int64
				inIndex, inTruth    bool
			}
			var recs []rec
			entity := map[string]string{"gp": "patients", "acute": "patient", "mentalhealth": "Patient"}
			sources := []string{"gp", "acute", "mentalhealth"}
			for i := range n {
				s := sources[rng.IntN(len(sources))]
				r := rec{source: s, entity: entity[s], key: fmt.Sprintf("K%d/%d", rng.IntN(9), i), person: rng.IntN(n / 3)}
				// A person's cluster id; noise puts a record in another
				// person's.
				if i%10 == 0 {
					r.key = fmt.Sprintf("K%d;\"x, %d", rng.IntN(9), i) // quoted in the CSV
				}
				clusterOf := func(p int) int64 { return int64(p*7%100 + 1 + p/100*1000) }
				r.cluster = clusterOf(r.person)
				if rng.Float64() < noise {
					r.cluster = clusterOf(rng.IntN(n / 3))
				}
				r.inIndex, r.inTruth = rng.Float64() > 0.05, rng.Float64() > 0.05
				recs = append(recs, r)
			}
			db, err := sql.Open("duckdb", "")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var values []string
			var truth strings.Builder
			cw := csv.NewWriter(&truth)
			cw.Write([]string{"source", "entity", "record_id", "person_id", "note"})
			for _, r := range recs {
				if r.inIndex {
					values = append(values, fmt.Sprintf("('%s', '%s', '%s', %d::BIGINT)", r.source, r.entity, r.key, r.cluster))
				}
				if r.inTruth {
					cw.Write([]string{r.source, r.entity, r.key, fmt.Sprintf("P%04d", r.person), "x"})
				}
			}
			cw.Flush()
			run := "20261123T000000Z"
			if err := os.MkdirAll(filepath.Join(lake, personindex.Dir(run)), 0o755); err != nil {
				t.Fatal(err)
			}
			out, _ := load.QuoteLiteral(filepath.Join(lake, personindex.LinkFile(run)))
			if _, err := db.Exec("COPY (SELECT * FROM (VALUES " + strings.Join(values, ", ") + ") v(source, entity, record_key, person_id)) TO " + out + " (FORMAT parquet)"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(lake, personindex.Dir(run), "_SUCCESS"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			truthPath := filepath.Join(dir, "records.csv")
			if err := os.WriteFile(truthPath, []byte(truth.String()), 0o644); err != nil {
				t.Fatal(err)
			}

			gotRun, got, err := evaluateIndex(ctx, lake, truthPath)
			if err != nil {
				t.Fatal(err)
			}
			full := map[string]string{}
			_, clusters, err := indexClusters(ctx, lake, full)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := readTruth(truthPath)
			if err != nil {
				t.Fatal(err)
			}
			want := match.Evaluate(clusters, tr)
			for _, ps := range [][][2]string{want.FalseMerges, want.MissedLinks} {
				for i, p := range ps {
					ps[i] = [2]string{full[p[0]], full[p[1]]}
				}
			}
			if gotRun != run {
				t.Errorf("run %s, want %s", gotRun, run)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("evaluated in DuckDB:\n%+v\nwith maps:\n%+v", got, want)
			}
			if want.Unlabelled == 0 || want.SplitPersons == 0 || want.ImpureClusters == 0 {
				t.Errorf("the case tests too little: %+v", want)
			}
			if seed == 3 && (len(want.FalseMerges) != match.MaxListed || len(want.MissedLinks) != match.MaxListed) {
				t.Errorf("%d false merges and %d missed links listed; the noisiest case should list %d of each", len(want.FalseMerges), len(want.MissedLinks), match.MaxListed)
			}
		})
	}
}

// TestEvaluateIndexRefuses checks that a truth without a needed column, or
// with a record twice, is refused with a message naming the file.
func TestEvaluateIndexRefuses(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	run := "20261123T000000Z"
	if err := os.MkdirAll(filepath.Join(lake, personindex.Dir(run)), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out, _ := load.QuoteLiteral(filepath.Join(lake, personindex.LinkFile(run)))
	if _, err := db.Exec("COPY (SELECT 'gp' AS source, 'patients' AS entity, 'A1' AS record_key, 1::BIGINT AS person_id) TO " + out + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lake, personindex.Dir(run), "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ csv, want string }{
		"no person_id": {"source,record_id\ngp,A1\n", "no person_id column"},
		"twice":        {"source,record_id,person_id\ngp,A1,P1\ngp,A1,P2\n", "holds 1 source and record keys more than once"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".csv")
		if err := os.WriteFile(p, []byte(c.csv), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := evaluateIndex(context.Background(), lake, p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v; want an error naming %s and saying %q", name, err, p, c.want)
		}
	}
}

// indexClusters reads every record's person from the latest complete
// index, keyed as ground truth is ("source/record_key"; see readTruth),
// and, when full is not nil, fills it with each key's full record id.
func indexClusters(ctx context.Context, lake string, full map[string]string) (string, map[string]string, error) {
	run, err := personindex.Latest(lake)
	if err != nil {
		return "", nil, err
	}
	clusters := map[string]string{}
	err = personindex.ReadParquet(ctx, filepath.Join(lake, personindex.LinkFile(run)), []string{"source", "entity", "record_key", "person_id"}, nil, func(c []arrow.Array, i int) error {
		source, entity, key := c[0].(*array.String).Value(i), c[1].(*array.String).Value(i), c[2].(*array.String).Value(i)
		k := source + "/" + key
		clusters[k] = strconv.FormatInt(c[3].(*array.Int64).Value(i), 10)
		if full != nil {
			full[k] = personindex.RecordID(source, entity, key)
		}
		return nil
	})
	return run, clusters, err
}

// readTruth reads source,record_id,person_id into "source/record_id" →
// person.
func readTruth(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	out := map[string]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out[rec[col["source"]]+"/"+rec[col["record_id"]]] = rec[col["person_id"]]
	}
}
