package reports_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	sqlfiles "github.com/sharedcare/sharedcare/sql"
)

// The fixture: five partner organisations over January 2024 to April 2025,
// built so that in April 2025 exactly one has poor uptake (GP1) and exactly
// one is declining (MH1). CS1 has poor uptake too but has been live under 3
// months; SC1 has never gone live.

var (
	fixtureFirst  = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	fixtureMonths = 16 // January 2024 to April 2025
	reportMonth   = time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)
)

type fixtureOrg struct {
	code, name, typ string
	goLive          time.Time // zero: never live
	// figures for month index i (0 = January 2024)
	usage func(i int) (authorised, active, viewed, patients int64)
}

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

var fixtureOrgs = []fixtureOrg{
	{"RA1", "Avon Acute Hospitals NHS Trust", "acute", d(2023, time.January, 1), func(i int) (int64, int64, int64, int64) {
		return 500 + int64(i)*10, 300 + int64(i)*5, 2000 + int64(i)*100, 1500 + int64(i)*60
	}},
	{"GP1", "St Mary's & St John's Surgery", "gp", d(2023, time.June, 15), func(i int) (int64, int64, int64, int64) {
		return 40, 5, 50, 45 // 12.5% uptake: poor
	}},
	{"MH1", "Severn Mental Health <Partnership>", "mental_health", d(2023, time.March, 1), func(i int) (int64, int64, int64, int64) {
		if i >= 13 { // February 2025 onwards: views fall by 40%
			return 200, 120, 600, 400
		}
		return 200, 120, 1000, 700
	}},
	{"CS1", "Community Services CIC", "community", d(2025, time.February, 10), func(i int) (int64, int64, int64, int64) {
		if i < 13 {
			return 0, 0, 0, 0
		}
		return 100, int64(i - 12), int64(i-12) * 3, int64(i - 12) // low uptake, but new
	}},
	{"SC1", "County Council Adult Social Care", "social_care", time.Time{}, func(i int) (int64, int64, int64, int64) {
		return 0, 0, 0, 0
	}},
}

const fixtureSchema = `
CREATE SCHEMA marts;
CREATE TABLE marts.usage_monthly (
    month DATE, org_code VARCHAR, org_name VARCHAR, org_type VARCHAR,
    go_live_date DATE,
    authorised_users BIGINT, active_users BIGINT, records_viewed BIGINT, patients_viewed BIGINT
);
CREATE TABLE marts.usage_monthly_region (
    month DATE, authorised_users BIGINT, active_users BIGINT, records_viewed BIGINT,
    patients_viewed BIGINT, organisations_live BIGINT
);`

// fixtureRegion derives the region rows from the organisation rows; the
// distinct patient count is below the sum, as patients are seen by several.
const fixtureRegion = `
INSERT INTO marts.usage_monthly_region
SELECT month, sum(authorised_users), sum(active_users), sum(records_viewed),
       CAST(sum(patients_viewed) * 9 / 10 AS BIGINT),
       count(*) FILTER (WHERE go_live_date < month + INTERVAL 1 MONTH)
FROM marts.usage_monthly GROUP BY month`

// fixtureUsage splits each organisation's views by type, role, section
// and reason in fixed shares: roles 50/30/20, every view opens medications
// and 40% allergies, reasons 70/30.
const fixtureUsage = `
CREATE TABLE marts.usage_by_org_type AS
SELECT month, org_type, sum(records_viewed) AS records_viewed, sum(active_users) AS active_users,
       sum(patients_viewed) AS patients_viewed
FROM marts.usage_monthly GROUP BY ALL;
CREATE TABLE marts.usage_by_role AS
SELECT month, org_type, r.role, CAST(sum(records_viewed) * r.share AS BIGINT) AS records_viewed,
       CAST(sum(active_users) * r.share AS BIGINT) AS active_users, CAST(sum(patients_viewed) * r.share AS BIGINT) AS patients_viewed
FROM marts.usage_monthly CROSS JOIN (VALUES ('Nurse', 0.5), ('GP', 0.3), ('Consultant', 0.2)) r(role, share)
WHERE records_viewed > 0 GROUP BY month, org_type, 3, r.share;
CREATE TABLE marts.usage_by_section AS
SELECT month, org_type, r.section, CAST(sum(records_viewed) * r.share AS BIGINT) AS records_viewed,
       CAST(sum(active_users) * r.share AS BIGINT) AS active_users, CAST(sum(patients_viewed) * r.share AS BIGINT) AS patients_viewed
FROM marts.usage_monthly CROSS JOIN (VALUES ('medications', 1.0), ('allergies', 0.4)) r(section, share)
WHERE records_viewed > 0 GROUP BY month, org_type, 3, r.share;
CREATE TABLE marts.usage_by_reason AS
SELECT month, org_type, r.reason, CAST(sum(records_viewed) * r.share AS BIGINT) AS records_viewed,
       CAST(sum(active_users) * r.share AS BIGINT) AS active_users, CAST(sum(patients_viewed) * r.share AS BIGINT) AS patients_viewed
FROM marts.usage_monthly CROSS JOIN (VALUES ('Direct care', 0.7), ('Emergency care', 0.3)) r(reason, share)
WHERE records_viewed > 0 GROUP BY month, org_type, 3, r.share;`

// openFixture opens an in-memory DuckDB holding the fixture marts.
func openFixture(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one in-memory database, not one per connection
	if _, err := db.ExecContext(ctx, fixtureSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating fixture schema: %w", err)
	}
	for i := range fixtureMonths {
		m := fixtureFirst.AddDate(0, i, 0)
		for _, o := range fixtureOrgs {
			a, act, v, p := o.usage(i)
			var goLive any
			if !o.goLive.IsZero() {
				goLive = o.goLive.Format(time.DateOnly)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO marts.usage_monthly VALUES (CAST(? AS DATE), ?, ?, ?, CAST(? AS DATE), ?, ?, ?, ?)`,
				m.Format(time.DateOnly), o.code, o.name, o.typ, goLive, a, act, v, p); err != nil {
				db.Close()
				return nil, fmt.Errorf("loading fixture row: %w", err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, fixtureRegion); err != nil {
		db.Close()
		return nil, fmt.Errorf("loading fixture region rows: %w", err)
	}
	if _, err := db.ExecContext(ctx, fixtureUsage); err != nil {
		db.Close()
		return nil, fmt.Errorf("loading fixture usage breakdowns: %w", err)
	}
	if err := loadReferralFixture(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if err := loadQualityFixture(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// The referral fixture: social prescribing referrals, contacts and
// wellbeing scores landed in staging, from which the real core and mart SQL
// builds core.referral and marts.referral_*. Dates are in 2025.
type fixtureReferral struct {
	id, source, org, orgName, team, clinician string
	received                                  string // YYYY-MM-DD
	closed, closure                           string
	contacts                                  [][3]string // date, type, outcome
	scores                                    [][4]any    // date, tool, timepoint, score
}

var fixtureReferrals = []fixtureReferral{
	{"R1", "mental_health", "MH1", "Severn Mental Health <Partnership>", "CMHT North", "Dr A", "2025-04-02", "", "",
		[][3]string{{"2025-04-09", "first_contact", "attended"}, {"2025-04-20", "session", "attended"}},
		[][4]any{{"2025-04-09", "WEMWBS", "baseline", 40}}},
	{"R2", "mental_health", "MH1", "Severn Mental Health <Partnership>", "CMHT North", "Dr B", "2025-04-10", "2025-04-12", "declined",
		[][3]string{{"2025-04-12", "first_contact", "attended"}}, nil},
	{"R3", "mental_health", "MH1", "Severn Mental Health <Partnership>", "Crisis Team", "Dr C", "2025-01-05", "2025-03-30", "completed",
		[][3]string{{"2025-01-08", "first_contact", "did_not_attend"}, {"2025-01-15", "first_contact", "attended"},
			{"2025-02-01", "session", "attended"}, {"2025-03-01", "follow_up", "attended"}},
		[][4]any{{"2025-01-15", "WEMWBS", "baseline", 38}, {"2025-03-01", "WEMWBS", "follow_up", 45}}},
	{"R4", "gp", "GP1", "St Mary's & St John's Surgery", "", "Dr D", "2025-02-11", "2025-04-20", "completed",
		[][3]string{{"2025-02-15", "first_contact", "attended"}, {"2025-03-01", "session", "did_not_attend"},
			{"2025-03-10", "session", "attended"}, {"2025-04-20", "follow_up", "attended"}},
		[][4]any{{"2025-02-15", "SWEMWBS", "baseline", 20}, {"2025-04-20", "SWEMWBS", "follow_up", 21}}},
	{"R5", "self", "", "", "", "", "2025-04-25", "", "", nil, nil},
	{"R6", "gp", "GP1", "St Mary's & St John's Surgery", "", "Dr D", "2024-11-20", "2025-01-10", "disengaged",
		[][3]string{{"2024-11-25", "first_contact", "did_not_attend"}}, nil},
}

// loadReferralFixture lands the referral fixture and runs the real SQL.
func loadReferralFixture(ctx context.Context, db *sql.DB) error {
	const ddl = `
CREATE SCHEMA staging; CREATE SCHEMA core;
CREATE TABLE staging.stg_socialprescribing__referrals (referral_id VARCHAR, client_id VARCHAR, received_date DATE,
    referral_source VARCHAR, referrer_org_code VARCHAR, referrer_org_name VARCHAR, referrer_team VARCHAR,
    referrer_clinician VARCHAR, source_reference VARCHAR, reason VARCHAR, status VARCHAR, closed_date DATE,
    closure_reason VARCHAR, source VARCHAR, source_file VARCHAR, source_position BIGINT);
CREATE TABLE staging.stg_socialprescribing__contacts (contact_id VARCHAR, referral_id VARCHAR, contact_date DATE,
    contact_type VARCHAR, contact_mode VARCHAR, outcome VARCHAR, source VARCHAR, source_file VARCHAR, source_position BIGINT);
CREATE TABLE staging.stg_socialprescribing__wellbeing (assessment_id VARCHAR, referral_id VARCHAR, assessment_date DATE,
    tool VARCHAR, timepoint VARCHAR, score INTEGER, source VARCHAR, source_file VARCHAR, source_position BIGINT);`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("creating referral fixture schema: %w", err)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	nc, nw := 0, 0
	for i, r := range fixtureReferrals {
		status := "open"
		if r.closed != "" {
			status = "closed"
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO staging.stg_socialprescribing__referrals VALUES
			(?, ?, CAST(? AS DATE), ?, ?, ?, ?, ?, NULL, 'Low mood', ?, CAST(? AS DATE), ?, 'sp', 'referrals.csv', ?)`,
			r.id, "C"+r.id, r.received, r.source, null(r.org), null(r.orgName), null(r.team), null(r.clinician),
			status, null(r.closed), null(r.closure), i+2); err != nil {
			return fmt.Errorf("loading fixture referral %s: %w", r.id, err)
		}
		for _, c := range r.contacts {
			nc++
			if _, err := db.ExecContext(ctx, `INSERT INTO staging.stg_socialprescribing__contacts VALUES
				(?, ?, CAST(? AS DATE), ?, 'phone', ?, 'sp', 'contacts.csv', ?)`,
				fmt.Sprintf("CON%d", nc), r.id, c[0], c[1], c[2], nc+1); err != nil {
				return fmt.Errorf("loading fixture contact: %w", err)
			}
		}
		for _, s := range r.scores {
			nw++
			if _, err := db.ExecContext(ctx, `INSERT INTO staging.stg_socialprescribing__wellbeing VALUES
				(?, ?, CAST(? AS DATE), ?, ?, ?, 'sp', 'wellbeing.csv', ?)`,
				fmt.Sprintf("WB%d", nw), r.id, s[0], s[1], s[2], s[3], nw+1); err != nil {
				return fmt.Errorf("loading fixture score: %w", err)
			}
		}
	}
	return runSQL(ctx, db, "core/referral.sql", "core/referral_event.sql", "core/wellbeing_score.sql",
		"marts/referral_funnel.sql", "marts/referral_outcomes.sql")
}

// loadQualityFixture records a run with counts and a person index, and
// builds marts.data_quality with the real SQL.
func loadQualityFixture(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA meta`); err != nil {
		return err
	}
	if err := runSQL(ctx, db, "meta/runs.sql", "meta/source_counts.sql", "meta/reject_counts.sql"); err != nil {
		return err
	}
	const data = `
INSERT INTO meta.runs VALUES ('R20250502', TIMESTAMPTZ '2025-05-02 01:30:00+00', TIMESTAMPTZ '2025-05-02 01:42:00+00', 'R20250502', 2, 1110, 1100, 10);
INSERT INTO meta.source_counts VALUES
    ('R20250502', 'gp', 'gp', 'patients', 100, 100, 0, 2, 5000),
    ('R20250502', 'portal_audit', 'portal', 'access_events', 1010, 1000, 10, 3, 90000);
INSERT INTO meta.reject_counts VALUES
    ('R20250502', 'portal_audit', 'access_events', 'missing_field', 7),
    ('R20250502', 'portal_audit', 'access_events', 'parse_error', 3);
CREATE TABLE core.person AS SELECT 'P' || i AS person_id, CASE WHEN i <= 10 THEN 2 ELSE 1 END AS source_records FROM range(1, 91) t(i);
CREATE TABLE core.person_link AS
SELECT 'gp' AS source, 'patients' AS entity, 'K' || i AS record_key,
       'P' || CASE WHEN i <= 20 THEN (i + 1) // 2 ELSE i - 10 END AS person_id,
       'x' AS match_rule,
       CASE WHEN i <= 5 THEN 'invalid_check_digit' WHEN i <= 90 THEN 'valid' ELSE 'missing' END AS nhs_number_status
FROM range(1, 101) t(i);`
	if _, err := db.ExecContext(ctx, data); err != nil {
		return fmt.Errorf("loading data quality fixture: %w", err)
	}
	return runSQL(ctx, db, "marts/data_quality.sql")
}

// runSQL runs warehouse SQL files from the embedded sql/ tree.
func runSQL(ctx context.Context, db *sql.DB, names ...string) error {
	for _, n := range names {
		text, err := sqlfiles.FS.ReadFile(n)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, string(text)); err != nil {
			return fmt.Errorf("running sql/%s: %w", n, err)
		}
	}
	return nil
}
