package truthcheck_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/sharedcare/sharedcare/reports/truthcheck"
)

func TestReferrals(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA marts;
		CREATE TABLE marts.referral_funnel AS SELECT * FROM (VALUES
		  (DATE '2025-11-01', 'gp', 'H1', NULL, 4, 3),
		  (DATE '2025-11-01', 'mental_health', 'RLC', 'CMHT North', 2, 1),
		  (DATE '2025-12-01', 'self', NULL, NULL, 1, 0)) t(month, referral_source, referrer_org_code, referrer_team, referrals, referring_clinicians)`); err != nil {
		t.Fatal(err)
	}
	truth := `month,source,referrer_org,referrer_team,referrals,referring_clinicians
2025-11,mentalhealth,RLC,CMHT North,2,1
2025-11,socialprescribing,H1,,4,3
2025-11,socialprescribing,RLC,CMHT North,2,1
2025-12,socialprescribing,SELF,,1,0
`
	diffs, err := truthcheck.Referrals(ctx, db, strings.NewReader(truth))
	if err != nil || len(diffs) != 0 {
		t.Errorf("Referrals = %q, %v; want agreement", diffs, err)
	}
	diffs, err = truthcheck.Referrals(ctx, db, strings.NewReader(strings.Replace(truth, "H1,,4,3", "H1,,5,3", 1)))
	if err != nil || len(diffs) != 1 || !strings.Contains(diffs[0], "mart 4 referrals by 3 clinicians, truth 5 by 3") {
		t.Errorf("Referrals with a wrong count = %q, %v", diffs, err)
	}
}
