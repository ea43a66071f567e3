package load

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	sqlfiles "github.com/sharedcare/sharedcare/sql"
)

// TestEncounterRollupMerge checks that a chain of nights updating
// core.encounter in place (each rolling up only its own messages and
// merging them with meta.encounter_rollup) gives, night after night, the
// table and state a full roll-up of every message gives. The messages are
// random: a night's message may be older than what the table holds (by
// event time, or by file name when the times tie), carry no class,
// location or service, cancel a discharge, or be about an encounter first
// seen nights before; mental health resources are sent again whole.
func TestEncounterRollupMerge(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { testEncounterRollupMerge(t, seed) })
	}
}

func testEncounterRollupMerge(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	const runs = 5
	acute, mh := rollupMessages(rng, runs)

	inPlace := openRollupDB(t, acute, mh)
	for run := 1; run <= runs; run++ {
		full := openRollupDB(t, acute, mh)
		landedUpTo(t, full, run)
		buildEncounters(t, full, "")
		// The full build gives what the roll-up's definition gives.
		if _, err := full.Exec("CREATE TABLE core.encounter_by_definition AS SELECT * EXCLUDE (first_run) FROM (" +
			encounterRollupByDefinition + ") ORDER BY first_run, source, encounter_id"); err != nil {
			t.Fatal(err)
		}
		want, got := rollupRows(t, full, "core.encounter_by_definition"), rollupRows(t, full, "core.encounter")
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("run %d: the full build's encounters are not the roll-up's definition's:\n%s\nwant\n%s", run, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		landedUpTo(t, inPlace, run)
		if run == 1 {
			buildEncounters(t, inPlace, "")
		} else {
			buildEncounters(t, inPlace, runID(run))
		}
		for _, table := range []string{"core.encounter", "meta.encounter_rollup"} {
			want, got := rollupRows(t, full, table), rollupRows(t, inPlace, table)
			if len(want) == 0 {
				t.Fatalf("run %d: the full build made no %s", run, table)
			}
			if len(got) != len(want) {
				t.Fatalf("run %d: %s has %d rows in place, %d in full", run, table, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("run %d: %s row %d differs:\nin place %s\nin full  %s", run, table, i, got[i], want[i])
				}
			}
		}
		if run > 1 {
			var changed int
			if err := inPlace.QueryRowContext(ctx, "SELECT count(*) FROM meta.encounter_changed_rows").Scan(&changed); err != nil {
				t.Fatal(err)
			}
			if changed == 0 {
				t.Fatalf("run %d changed no row in place", run)
			}
		}
		full.Close()
	}
}

func runID(run int) string { return fmt.Sprintf("R%d", run) }

type rollupMsg struct {
	source, visit, recordKey, classCode, location, service, event string
	admit, discharge, eventAt                                     *time.Time
	file                                                          string
	pos                                                           int64
	run                                                           int
}

// rollupMessages draws acute HL7 messages and mental health Encounter
// copies over runs 1..runs, several per encounter and run.
func rollupMessages(rng *rand.Rand, runs int) (acute, mh []rollupMsg) {
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func(nullChance float64) *time.Time {
		if rng.Float64() < nullChance {
			return nil
		}
		// Few distinct times, so that times tie and files decide.
		t := base.Add(time.Duration(rng.IntN(12)) * time.Hour)
		return &t
	}
	maybe := func(chance float64, vals ...string) string {
		if rng.Float64() < chance {
			return ""
		}
		return vals[rng.IntN(len(vals))]
	}
	for run := 1; run <= runs; run++ {
		for f := range 2 {
			// File names do not sort in run order: a later run's file
			// may sort first.
			file := fmt.Sprintf("adt-%c-%d.hl7", 'a'+rng.IntN(26), run*10+f)
			for pos := range int64(25) {
				acute = append(acute, rollupMsg{
					source:    []string{"acute", "pg"}[rng.IntN(2)],
					visit:     maybe(0.05, "V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8"),
					recordKey: maybe(0.1, "M1", "M2", "M3"),
					classCode: maybe(0.4, "I", "O", "E", "X"),
					location:  maybe(0.4, "W1^^^RA7", "W2^^^RVJ", "^^^", "W3"),
					service:   maybe(0.5, "MED", "SUR"),
					event:     maybe(0.05, "A01", "A03", "A04", "A08", "A11", "A13"),
					admit:     at(0.3), discharge: at(0.6), eventAt: at(0.3),
					file: file, pos: pos, run: run,
				})
			}
			mfile := fmt.Sprintf("Encounter.%c%d.ndjson", 'a'+rng.IntN(26), run)
			for pos := range int64(8) {
				mh = append(mh, rollupMsg{
					source: "mh", visit: maybe(0, "E1", "E2", "E3", "E4", "E5"),
					recordKey: maybe(0.1, "P1", "P2"), classCode: maybe(0.3, "IMP", "AMB", "HH"),
					service: maybe(0.3, "Assessment", "Review"), location: maybe(0.3, "Organization/RX1", "Organization?identifier=x|RX2"),
					event: maybe(0, "finished", "in-progress"), admit: at(0.2), discharge: at(0.5),
					file: mfile, pos: pos, run: run,
				})
			}
		}
	}
	return acute, mh
}

// openRollupDB opens a database holding every message (in landing) and
// the other tables the encounter SQL reads.
func openRollupDB(t *testing.T, acute, mh []rollupMsg) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: temp tables and variables are its own
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		"ATTACH ':memory:' AS " + workDatabase,
		"CREATE SCHEMA staging", "CREATE SCHEMA landing", "CREATE SCHEMA core", "CREATE SCHEMA meta",
		"SET TimeZone = 'UTC'",
		`CREATE TABLE landing.acute (system VARCHAR, record_key VARCHAR, visit_number VARCHAR,
			class_code VARCHAR, assigned_location VARCHAR, hospital_service VARCHAR, admit_time TIMESTAMPTZ,
			discharge_time TIMESTAMPTZ, trigger_event VARCHAR, event_time TIMESTAMPTZ, source VARCHAR,
			source_file VARCHAR, source_position BIGINT, landed_run VARCHAR)`,
		`CREATE TABLE landing.mh (system VARCHAR, encounter_id VARCHAR, record_key VARCHAR,
			status VARCHAR, class_code VARCHAR, type_display VARCHAR, period_start TIMESTAMPTZ, period_end TIMESTAMPTZ,
			service_provider VARCHAR, source VARCHAR, source_file VARCHAR, source_position BIGINT, landed_run VARCHAR)`,
		"CREATE TABLE landing.person_moved (source VARCHAR, record_key VARCHAR)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	meta, err := fs.ReadFile(sqlfiles.FS, "meta/build.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(meta)); err != nil {
		t.Fatal(err)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	tm := func(p *time.Time) any {
		if p == nil {
			return nil
		}
		return *p
	}
	// One statement per table: a statement a row took most of the test's time.
	var rows []string
	var args []any
	for _, m := range acute {
		visit := null(m.visit)
		if m.visit == "" && m.pos%2 == 0 {
			visit = "" // an empty PV1-19, not an encounter, as a missing one
		}
		rows = append(rows, "('acute', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, null(m.recordKey), visit, null(m.classCode), null(m.location), null(m.service), tm(m.admit), tm(m.discharge),
			null(m.event), tm(m.eventAt), m.source, m.file, m.pos, runID(m.run))
	}
	if _, err := db.Exec("INSERT INTO landing.acute VALUES "+strings.Join(rows, ", "), args...); err != nil {
		t.Fatal(err)
	}
	rows, args = rows[:0], args[:0]
	for _, m := range mh {
		rows = append(rows, "('mentalhealth', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, m.visit, null(m.recordKey), null(m.event), null(m.classCode), null(m.service), tm(m.admit), tm(m.discharge),
			null(m.location), m.source, m.file, m.pos, runID(m.run))
	}
	if _, err := db.Exec("INSERT INTO landing.mh VALUES "+strings.Join(rows, ", "), args...); err != nil {
		t.Fatal(err)
	}
	return db
}

// landedUpTo makes the staging views hold the messages of runs up to run.
func landedUpTo(t *testing.T, db *sql.DB, run int) {
	t.Helper()
	for _, q := range []string{
		fmt.Sprintf("CREATE OR REPLACE VIEW staging.stg_acute__encounters AS SELECT * FROM landing.acute WHERE landed_run <= 'R%d'", run),
		fmt.Sprintf("CREATE OR REPLACE VIEW staging.stg_mentalhealth__encounters AS SELECT * FROM landing.mh WHERE landed_run <= 'R%d'", run),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// buildEncounters runs the encounter SQL as Build does: in full when
// incremental is "", else in place for that run.
func buildEncounters(t *testing.T, db *sql.DB, incremental string) {
	t.Helper()
	v := "NULL"
	files := []string{"intermediate/int_encounter_partial.sql", "intermediate/int_encounter_rollup.sql",
		"intermediate/int_rolled_up_encounters.sql", "core/encounter.sql"}
	if incremental != "" {
		v = "'" + incremental + "'"
		files[1] = "incremental/intermediate__int_encounter_rollup.sql"
		files[3] = "incremental/core__encounter.sql"
	}
	for _, q := range []string{
		"SET VARIABLE incremental_run = " + v,
		"DROP VIEW IF EXISTS staging.int_rolled_up_encounters",
		// A build's work database is new.
		"DETACH " + workDatabase,
		"ATTACH ':memory:' AS " + workDatabase,
		`CREATE TABLE intermediate.int_person_keys AS
		 SELECT * FROM (VALUES ('acute', 'M1', 1), ('acute', 'M2', 2), ('pg', 'M1', 3), ('mh', 'P1', 4)) k(source, record_key, person_id)`,
		"DELETE FROM meta.encounter_changed_rows",
		"DELETE FROM meta.encounter_moved_rows",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		text, err := fs.ReadFile(sqlfiles.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(text)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// rollupRows are the table's rows as text, in the order stored.
func rollupRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	if _, err := db.Exec("SET threads = 1"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT CAST(r AS VARCHAR) FROM " + table + " r")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(s))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// encounterRollupByDefinition rolls every message up as the warehouse's
// encounter SQL did before it kept order keys: a window numbering each
// visit's messages from the latest, and the first value in that order.
const encounterRollupByDefinition = `
	WITH acute_msgs AS (
	    SELECT *,
	           row_number() OVER (PARTITION BY source, visit_number
	                              ORDER BY coalesce(event_time, admit_time) DESC NULLS LAST,
	                                       source_file DESC, source_position DESC) AS recency
	    FROM staging.stg_acute__encounters m
	    WHERE visit_number IS NOT NULL AND visit_number <> ''
	),
	acute AS (
	    SELECT
	        source,
	        any_value(system)                                                  AS system,
	        visit_number                                                       AS encounter_id,
	        first(record_key ORDER BY recency)                                 AS record_key,
	        first(class_code ORDER BY class_code IS NULL, recency)             AS class_code,
	        first(nullif(split_part(assigned_location, '^', 1), '') ORDER BY assigned_location IS NULL, recency) AS location,
	        first(hospital_service ORDER BY hospital_service IS NULL, recency) AS service,
	        first(nullif(split_part(assigned_location, '^', 4), '') ORDER BY assigned_location IS NULL, recency) AS organisation_code,
	        min(admit_time)                                                    AS start_at,
	        first(trigger_event ORDER BY recency)                              AS last_event,
	        max(discharge_time)                                                AS discharge_time,
	        count(*)                                                           AS messages,
	        min(landed_run)                                                    AS first_run
	    FROM acute_msgs
	    GROUP BY source, visit_number
	),
	acute_final AS (
	    SELECT
	        source, system, encounter_id, record_key, class_code,
	        CASE class_code WHEN 'I' THEN 'inpatient' WHEN 'O' THEN 'outpatient' WHEN 'E' THEN 'emergency'
	                        WHEN 'P' THEN 'preadmit' WHEN 'R' THEN 'recurring' WHEN 'B' THEN 'obstetrics'
	                        ELSE lower(class_code) END                         AS class,
	        location, service, organisation_code, start_at,
	        CASE WHEN last_event IN ('A11', 'A13') THEN NULL ELSE discharge_time END AS end_at,
	        CASE WHEN last_event = 'A11' THEN 'cancelled'
	             WHEN last_event <> 'A13' AND discharge_time IS NOT NULL THEN 'finished'
	             WHEN last_event = 'A04' THEN 'arrived'
	             ELSE 'in-progress' END                                        AS status,
	        last_event, messages, first_run
	    FROM acute
	),
	mh AS (
	    SELECT
	        source, system, encounter_id, record_key, class_code,
	        CASE class_code WHEN 'IMP' THEN 'inpatient' WHEN 'AMB' THEN 'outpatient' WHEN 'EMER' THEN 'emergency'
	                        WHEN 'HH' THEN 'home' WHEN 'VR' THEN 'virtual' WHEN 'ACUTE' THEN 'inpatient'
	                        ELSE lower(class_code) END                         AS class,
	        CAST(NULL AS VARCHAR)                                              AS location,
	        type_display                                                       AS service,
	        CASE WHEN service_provider LIKE 'Organization/%' THEN substr(service_provider, 14)
	             WHEN service_provider LIKE 'Organization?identifier=%|%' THEN split_part(service_provider, '|', 2)
	        END                                                                AS organisation_code,
	        period_start                                                       AS start_at,
	        period_end                                                         AS end_at,
	        status,
	        CAST(NULL AS VARCHAR)                                              AS last_event,
	        CAST(1 AS BIGINT)                                                  AS messages,
	        min(landed_run) OVER (PARTITION BY source, encounter_id)           AS first_run
	    FROM staging.stg_mentalhealth__encounters m
	    QUALIFY row_number() OVER (PARTITION BY source, encounter_id ORDER BY source_file DESC, source_position DESC) = 1
	),
	unioned AS (
	    SELECT * FROM acute_final
	    UNION ALL BY NAME
	    SELECT * FROM mh
	)
	SELECT
	    u.encounter_id,
	    u.source,
	    u.system,
	    u.record_key,
	    k.person_id,
	    u.class_code,
	    u.class,
	    u.location,
	    u.service,
	    u.organisation_code,
	    u.start_at,
	    u.end_at,
	    u.status,
	    u.last_event,
	    u.messages,
	    u.first_run
	FROM unioned u
	LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key`
