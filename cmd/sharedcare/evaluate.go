package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sharedcare/sharedcare/load"
	"github.com/sharedcare/sharedcare/transform/match"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// evaluateIndex measures the latest complete person index of lake against
// the ground truth in truthPath (CSV with source, record_id and person_id
// columns; see match.Evaluate for the figures). A record of the index is
// the truth's when their source and record key are the same.
//
// It is worked out in DuckDB under its memory limit, spilling to a
// temporary directory: maps of every record, keyed by strings, took 4.5 GB
// of Go heap at 10,000,000 persons. The example pairs (FalseMerges,
// MissedLinks) name records by their full id, source/entity/record_key,
// and come in match.Evaluate's order.
func evaluateIndex(ctx context.Context, lake, truthPath string) (string, match.Metrics, error) {
	var mt match.Metrics
	run, err := personindex.Latest(lake)
	if err != nil {
		return "", mt, err
	}
	if err := checkTruthHeader(truthPath); err != nil {
		return "", mt, err
	}
	tmp, err := os.MkdirTemp("", "sharedcare-eval-")
	if err != nil {
		return "", mt, err
	}
	defer os.RemoveAll(tmp)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", mt, err
	}
	defer db.Close()
	// One connection: the temporary tables are the connection's.
	db.SetMaxOpenConns(1)
	links, err := load.QuoteLiteral(filepath.Join(lake, personindex.LinkFile(run)))
	if err != nil {
		return "", mt, err
	}
	truth, err := load.QuoteLiteral(truthPath)
	if err != nil {
		return "", mt, err
	}
	tmpLit, err := load.QuoteLiteral(tmp)
	if err != nil {
		return "", mt, err
	}
	limit, _ := load.QuoteLiteral(duckdbMemoryLimit)
	for _, q := range []string{
		"SET memory_limit = " + limit,
		"SET temp_directory = " + tmpLit,
		"SET preserve_insertion_order = false",
		// A record is its source and record key (the index's record_key,
		// the truth's record_id); c is its person in the index, p in the
		// truth.
		`CREATE TEMP TABLE idx AS SELECT source, entity, record_key AS rk, CAST(person_id AS VARCHAR) AS c
		FROM read_parquet(` + links + `)`,
		`CREATE TEMP TABLE tr AS SELECT coalesce(source, '') AS source, coalesce(record_id, '') AS rk, coalesce(person_id, '') AS p
		FROM read_csv(` + truth + `, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return "", mt, fmt.Errorf("evaluating the person index of run %s against %s: %w", run, truthPath, err)
		}
	}
	// A record held twice would be counted twice: say so instead.
	var held [2]int64
	for i, d := range []struct{ table, what string }{{"idx", "the person index of run " + run}, {"tr", truthPath}} {
		var twice int64
		if err := db.QueryRowContext(ctx, "SELECT count(*), count(*) - count(DISTINCT (source, rk)) FROM "+d.table).Scan(&held[i], &twice); err != nil {
			return "", mt, err
		}
		if twice > 0 {
			return "", mt, fmt.Errorf("%s holds %d source and record keys more than once; the evaluation needs each once", d.what, twice)
		}
	}
	for _, q := range []string{
		"CREATE TEMP TABLE j AS SELECT source, rk, entity, c, p FROM idx JOIN tr USING (source, rk)",
		"DROP TABLE idx",
		"DROP TABLE tr",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return "", mt, err
		}
	}
	// A person is exact when its records are one cluster's, all of them:
	// that cluster then holds no other person, so the person is not merged.
	var records, persons, clusters, predicted, truePairs, correct, impure, merged, split, exact sql.NullInt64
	err = db.QueryRowContext(ctx, `
		WITH cs AS (SELECT c, count(*) AS n, count(DISTINCT p) AS np FROM j GROUP BY c),
		ps AS (SELECT p, count(*) AS n, count(DISTINCT c) AS nc, any_value(c) AS c FROM j GROUP BY p),
		cells AS (SELECT count(*) AS n FROM j GROUP BY c, p)
		SELECT
			(SELECT count(*) FROM j),
			(SELECT count(*) FROM ps),
			(SELECT count(*) FROM cs),
			(SELECT CAST(sum(n * (n - 1) // 2) AS BIGINT) FROM cs),
			(SELECT CAST(sum(n * (n - 1) // 2) AS BIGINT) FROM ps),
			(SELECT CAST(sum(n * (n - 1) // 2) AS BIGINT) FROM cells),
			(SELECT count(*) FROM cs WHERE np > 1),
			(SELECT count(DISTINCT p) FROM j SEMI JOIN (SELECT c FROM cs WHERE np > 1) USING (c)),
			(SELECT count(*) FROM ps WHERE nc > 1),
			(SELECT count(*) FROM ps JOIN cs USING (c) WHERE ps.nc = 1 AND ps.n = cs.n)`).
		Scan(&records, &persons, &clusters, &predicted, &truePairs, &correct, &impure, &merged, &split, &exact)
	if err != nil {
		return "", mt, fmt.Errorf("evaluating the person index of run %s: %w", run, err)
	}
	mt.Records = int(records.Int64)
	mt.Unlabelled = int(held[0] + held[1] - 2*records.Int64) // each joined record is once in both
	mt.Persons, mt.Clusters = int(persons.Int64), int(clusters.Int64)
	mt.PredictedPairs, mt.TruePairs, mt.CorrectPairs = predicted.Int64, truePairs.Int64, correct.Int64
	mt.ImpureClusters, mt.MergedPersons, mt.SplitPersons = int(impure.Int64), int(merged.Int64), int(split.Int64)
	mt.SetRates()
	if mt.Persons > 0 {
		mt.ExactClusters = float64(exact.Int64) / float64(mt.Persons)
	}
	// Examples: each impure cluster (split person) gives at least one
	// pair, so the first MaxListed of them, in order, give every pair
	// listed.
	if mt.FalseMerges, err = examplePairs(ctx, db, "c", "p", "count(DISTINCT p) > 1"); err != nil {
		return "", mt, err
	}
	if mt.MissedLinks, err = examplePairs(ctx, db, "p", "c", "count(DISTINCT c) > 1"); err != nil {
		return "", mt, err
	}
	return run, mt, nil
}

// examplePairs lists up to match.MaxListed pairs of records of one group
// (by column group) that differ in column other: groups in order, and
// within one the records' keys in order, as match.Evaluate does.
func examplePairs(ctx context.Context, db *sql.DB, group, other, having string) ([][2]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`
		WITH g AS (SELECT %[1]s FROM j GROUP BY %[1]s HAVING %[3]s ORDER BY %[1]s LIMIT %[4]d)
		SELECT %[1]s, source || '/' || entity || '/' || rk, %[2]s FROM j SEMI JOIN g USING (%[1]s)
		ORDER BY %[1]s, source || '/' || rk`, group, other, having, match.MaxListed))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type rec struct{ id, other string }
	var pairs [][2]string
	var cur string
	var recs []rec
	flush := func() {
		for i := 0; i < len(recs) && len(pairs) < match.MaxListed; i++ {
			for k := i + 1; k < len(recs) && len(pairs) < match.MaxListed; k++ {
				if recs[i].other != recs[k].other {
					pairs = append(pairs, [2]string{recs[i].id, recs[k].id})
				}
			}
		}
		recs = recs[:0]
	}
	for rows.Next() {
		var g string
		var r rec
		if err := rows.Scan(&g, &r.id, &r.other); err != nil {
			return nil, err
		}
		if g != cur {
			flush()
			cur = g
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	return slices.Clip(pairs), nil
}

// checkTruthHeader says which column a ground truth CSV lacks.
func checkTruthHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	header, err := csv.NewReader(f).Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, need := range []string{"source", "record_id", "person_id"} {
		if !slices.Contains(header, need) {
			return fmt.Errorf("%s: no %s column", path, need)
		}
	}
	return nil
}
