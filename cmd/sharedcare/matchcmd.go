package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// MatchCmd explains and evaluates the person index.
type MatchCmd struct {
	Explain MatchExplainCmd `cmd:"" help:"Show why two source records did or did not link: each comparison, the level reached and its weight, the total, the band and the rule."`
	Eval    MatchEvalCmd    `cmd:"" help:"Evaluate the latest person index against a ground truth (records.csv: source,entity,record_id,person_id): pairwise precision, recall and F1, cluster figures, false merges and missed links."`
}

// MatchExplainCmd implements `sharedcare match explain A B`.
type MatchExplainCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	A      string `arg:"" help:"First record, as source/entity/record_key (e.g. gp/patients/H81001/P00042)."`
	B      string `arg:"" help:"Second record."`
}

// MatchEvalCmd implements `sharedcare match eval`.
type MatchEvalCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	Truth  string `help:"Ground truth CSV with columns source, record_id, person_id (sharedcare synth writes truth/records.csv)." type:"existingfile" required:""`
	JSON   bool   `name:"json" help:"Print the metrics as JSON."`
}

// indexRecords reads the records with the given ids from the latest
// complete index (standardised demographics and person ids), keyed by id.
// Only those are kept: a match.Record takes several hundred bytes, and an
// index can hold tens of millions.
func indexRecords(ctx context.Context, lake string, ids ...string) (string, map[string]match.Record, map[string]int64, error) {
	run, err := personindex.Latest(lake)
	if err != nil {
		return "", nil, nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	recs := map[string]match.Record{}
	persons := map[string]int64{}
	cols := []string{"source", "entity", "record_key", "person_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"}
	err = personindex.ReadParquet(ctx, filepath.Join(lake, personindex.LinkFile(run)), cols, nil, func(c []arrow.Array, i int) error {
		s := func(k int) string {
			if c[k].IsNull(i) {
				return ""
			}
			return c[k].(*array.String).Value(i)
		}
		id := personindex.RecordID(s(0), s(1), s(2))
		if !want[id] {
			return nil
		}
		dob := ""
		if !c[7].IsNull(i) {
			dob = c[7].(*array.Date32).Value(i).ToTime().Format(time.DateOnly)
		}
		recs[id] = match.Record{ID: id, Source: s(0), Fields: map[string]string{
			"nhs_number": s(4), "given_name": s(5), "family_name": s(6), "dob": dob, "sex": s(8), "postcode": s(9)}}
		persons[id] = c[3].(*array.Int64).Value(i)
		return nil
	})
	return run, recs, persons, err
}

// Run implements `sharedcare match explain`.
func (c *MatchExplainCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	lake := cfg.Path(cfg.Lake)
	run, recs, persons, err := indexRecords(ctx, lake, c.A, c.B)
	if err != nil {
		return err
	}
	a, okA := recs[c.A]
	b, okB := recs[c.B]
	if !okA || !okB {
		return usageError{fmt.Errorf("record %q or %q is not in the person index of run %s (ids are source/entity/record_key)", c.A, c.B, run)}
	}
	m, err := match.LoadModel(filepath.Join(lake, personindex.ModelFile(run)))
	if errors.Is(err, os.ErrNotExist) {
		if m, err = loadModel(cfg); err == nil && m == nil {
			return usageError{errors.New("the configured model (nhs-number) links on NHS numbers only: there is nothing to explain")}
		}
	}
	if err != nil {
		return err
	}
	fmt.Print(match.Explain(m, a, b).String())
	same := "different persons"
	if persons[c.A] == persons[c.B] {
		same = fmt.Sprintf("the same person (%d)", persons[c.A])
	}
	fmt.Printf("\nIn the person index of run %s the two records are %s.\n", run, same)
	return nil
}

// Run implements `sharedcare match eval`.
func (c *MatchEvalCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	if err := checkTruthHeader(c.Truth); err != nil {
		return usageError{err}
	}
	run, mt, err := evaluateIndex(ctx, cfg.Path(cfg.Lake), c.Truth)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(mt)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "person index of run\t%s\n", run)
	fmt.Fprintf(w, "records evaluated\t%d\t(%d without a label)\n", mt.Records, mt.Unlabelled)
	fmt.Fprintf(w, "pairwise precision\t%.5f\t(%d of %d predicted pairs correct)\n", mt.Precision, mt.CorrectPairs, mt.PredictedPairs)
	fmt.Fprintf(w, "pairwise recall\t%.5f\t(%d of %d true pairs found)\n", mt.Recall, mt.CorrectPairs, mt.TruePairs)
	fmt.Fprintf(w, "pairwise F1\t%.5f\n", mt.F1)
	fmt.Fprintf(w, "persons / clusters\t%d / %d\n", mt.Persons, mt.Clusters)
	fmt.Fprintf(w, "persons exactly one cluster\t%.4f\n", mt.ExactClusters)
	fmt.Fprintf(w, "split persons\t%d\n", mt.SplitPersons)
	fmt.Fprintf(w, "merged persons (false merges)\t%d\t(%d impure clusters)\n", mt.MergedPersons, mt.ImpureClusters)
	w.Flush()
	for _, l := range []struct {
		name  string
		pairs [][2]string
	}{{"False merges", mt.FalseMerges}, {"Missed links", mt.MissedLinks}} {
		if len(l.pairs) == 0 {
			continue
		}
		fmt.Printf("\n%s (up to %d; explain one with `sharedcare match explain`):\n", l.name, match.MaxListed)
		for _, p := range l.pairs {
			fmt.Printf("  %s  %s\n", p[0], p[1])
		}
	}
	return nil
}
