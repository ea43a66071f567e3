// Package truthcheck compares the warehouse's referral figures before
// disclosure control with the synthetic region's ground truth
// (truth/referrals_monthly.csv written by extract/synth), for end-to-end
// tests: the lead's cmd/sharedcare test builds a region and a warehouse and
// calls [Referrals].
package truthcheck

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Referrals compares marts.referral_funnel with the socialprescribing rows
// of truth/referrals_monthly.csv (month, source, referrer_org,
// referrer_team, referrals, referring_clinicians; referrer_org SELF for
// self-referrals). It returns one line per difference, none when the
// figures agree, and an error when either side cannot be read.
func Referrals(ctx context.Context, db *sql.DB, truth io.Reader) ([]string, error) {
	type key struct{ month, org, team string }
	type fig struct{ referrals, clinicians int64 }
	want := map[key]fig{}
	r := csv.NewReader(truth)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading truth header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"month", "source", "referrer_org", "referrer_team", "referrals", "referring_clinicians"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("truth has no %s column", c)
		}
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading truth line %d: %w", line, err)
		}
		if rec[col["source"]] != "socialprescribing" {
			continue
		}
		n, err1 := strconv.ParseInt(rec[col["referrals"]], 10, 64)
		c, err2 := strconv.ParseInt(rec[col["referring_clinicians"]], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("truth line %d: bad counts %q, %q", line, rec[col["referrals"]], rec[col["referring_clinicians"]])
		}
		want[key{rec[col["month"]], rec[col["referrer_org"]], rec[col["referrer_team"]]}] = fig{n, c}
	}
	rows, err := db.QueryContext(ctx, `
		SELECT strftime(month, '%Y-%m'), coalesce(referrer_org_code, 'SELF'), coalesce(referrer_team, ''),
		       CAST(sum(referrals) AS BIGINT), CAST(sum(referring_clinicians) AS BIGINT)
		FROM marts.referral_funnel GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("reading marts.referral_funnel: %w", err)
	}
	defer rows.Close()
	got := map[key]fig{}
	for rows.Next() {
		var k key
		var f fig
		if err := rows.Scan(&k.month, &k.org, &k.team, &f.referrals, &f.clinicians); err != nil {
			return nil, fmt.Errorf("reading marts.referral_funnel: %w", err)
		}
		got[k] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading marts.referral_funnel: %w", err)
	}
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s %q: missing from the mart, truth %d referrals", k.month, k.org, k.team, w.referrals))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s %s %q: mart %d referrals by %d clinicians, truth %d by %d",
				k.month, k.org, k.team, g.referrals, g.clinicians, w.referrals, w.clinicians))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s %q: %d referrals in the mart, none in the truth", k.month, k.org, k.team, g.referrals))
		}
	}
	slices.Sort(diffs)
	return diffs, nil
}
