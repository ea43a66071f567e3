package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sharedcare/sharedcare/cmd/sharedcare/config"
	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// ReviewCmd is the clerical review queue.
type ReviewCmd struct {
	List   ReviewListCmd   `cmd:"" default:"withargs" help:"List record pairs waiting for a clerical decision, with the evidence for each."`
	Accept ReviewAcceptCmd `cmd:"" help:"Decide that two records are the same person. Applied on the next run and every run after."`
	Reject ReviewRejectCmd `cmd:"" help:"Decide that two records are different people. Applied on the next run and every run after."`
}

// ReviewListCmd implements `sharedcare review list`.
type ReviewListCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	Limit  int    `help:"Show at most this many pairs." default:"50"`
}

// ReviewDecisionCmd holds the arguments of a decision.
type ReviewDecisionCmd struct {
	Config string `help:"Region configuration file." type:"existingfile" required:"" short:"c"`
	A      string `arg:"" help:"First record, as source/entity/record_key."`
	B      string `arg:"" help:"Second record."`
	By     string `help:"Who is deciding (recorded with the decision)."`
	Note   string `help:"Why (recorded with the decision)."`
}

// Run implements `sharedcare review list`.
func (c *ReviewListCmd) Run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	lake := cfg.Path(cfg.Lake)
	run, err := personindex.Latest(lake)
	if err != nil {
		return err
	}
	decided, err := personindex.ReadDecisions(lake)
	if err != nil {
		return err
	}
	done := map[[2]string]bool{}
	for _, d := range decided {
		done[[2]string{d.A, d.B}], done[[2]string{d.B, d.A}] = true, true
	}
	shown, waiting := 0, 0
	cols := []string{"record_a", "record_b", "match_weight", "match_probability", "rule", "note", "evidence", "awaiting_review"}
	err = personindex.ReadParquet(ctx, filepath.Join(lake, personindex.PairsFile(run)), cols, nil, func(col []arrow.Array, i int) error {
		if !col[7].(*array.Boolean).Value(i) {
			return nil
		}
		a, b := col[0].(*array.String).Value(i), col[1].(*array.String).Value(i)
		if done[[2]string{a, b}] {
			return nil // decided since the run: applied next run
		}
		waiting++
		if shown >= c.Limit {
			return nil
		}
		shown++
		note := ""
		if !col[5].IsNull(i) {
			note = col[5].(*array.String).Value(i)
		}
		var ev []match.Evidence
		json.Unmarshal([]byte(col[6].(*array.String).Value(i)), &ev)
		fmt.Printf("%s  %s\n  weight %.2f, probability %.4f, rule %s", a, b, col[2].(*array.Float64).Value(i), col[3].(*array.Float64).Value(i), col[4].(*array.String).Value(i))
		if note != "" {
			fmt.Printf(", %s", note)
		}
		fmt.Println()
		for _, e := range ev {
			fmt.Printf("    %-14s %-16s %+7.2f\n", e.Comparison, e.Level, e.Weight)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("\n%d pair(s) waiting for a decision in the person index of run %s (%d shown).\n", waiting, run, shown)
	fmt.Println("Decide with: sharedcare review accept|reject --config FILE A B   (see also: sharedcare match explain)")
	return nil
}

func (c *ReviewDecisionCmd) decide(ctx context.Context, accept bool) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return usageError{err}
	}
	lake := cfg.Path(cfg.Lake)
	_, recs, _, err := indexRecords(ctx, lake, c.A, c.B)
	if err != nil {
		return err
	}
	if _, ok := recs[c.A]; !ok {
		return usageError{fmt.Errorf("record %q is not in the person index (ids are source/entity/record_key)", c.A)}
	}
	if _, ok := recs[c.B]; !ok {
		return usageError{fmt.Errorf("record %q is not in the person index (ids are source/entity/record_key)", c.B)}
	}
	d := personindex.Decision{A: c.A, B: c.B, Accept: accept, At: time.Now().UTC(), By: c.By, Note: c.Note}
	if err := personindex.AppendDecision(lake, d); err != nil {
		return err
	}
	verb := "different people"
	if accept {
		verb = "the same person"
	}
	fmt.Fprintf(os.Stdout, "Recorded: %s and %s are %s. The next run applies it, and every run after.\n", c.A, c.B, verb)
	return nil
}

// ReviewAcceptCmd implements `sharedcare review accept`.
type ReviewAcceptCmd struct{ ReviewDecisionCmd }

// Run records an accept decision.
func (c *ReviewAcceptCmd) Run(ctx context.Context, log *slog.Logger) error {
	return c.decide(ctx, true)
}

// ReviewRejectCmd implements `sharedcare review reject`.
type ReviewRejectCmd struct{ ReviewDecisionCmd }

// Run records a reject decision.
func (c *ReviewRejectCmd) Run(ctx context.Context, log *slog.Logger) error {
	return c.decide(ctx, false)
}
