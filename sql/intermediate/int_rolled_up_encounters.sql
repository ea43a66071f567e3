-- Grain: one row per encounter, as core.encounter holds it, plus first_run,
-- the run that first landed a message about it; a view in the staging
-- schema (dropped before publishing) because core/encounter.sql and, on a
-- night that updates the warehouse in place, incremental/core__encounter.sql
-- both read it. On such a night it holds only the encounters of
-- intermediate.int_encounter_scope, each built from all of its messages,
-- which are read from the files that hold one of them (the variable
-- encounter_scope_files, set with the scope) and no others.
--
-- An acute hospital visit (source × visit number, PV1-19) or a mental
-- health FHIR Encounter (source × Encounter id). An HL7 feed sends several
-- messages about one visit (A01 admit, A08 updates, A03 discharge): they
-- collapse to one row with the admit time of the earliest, the discharge
-- time of the latest that carries one, and the state after the latest
-- message (by event time, then file and position). PV1 segments without a
-- visit number (A08/A31 demographic updates carry an empty PV1) are not
-- encounters and are left out.
CREATE VIEW staging.int_rolled_up_encounters AS
WITH acute_msgs AS (
    SELECT *,
           row_number() OVER (PARTITION BY source, visit_number
                              ORDER BY coalesce(event_time, admit_time) DESC NULLS LAST,
                                       source_file DESC, source_position DESC) AS recency
    FROM staging.stg_acute__encounters m
    WHERE visit_number IS NOT NULL AND visit_number <> ''
      AND (getvariable('encounter_scope_files') IS NULL
           OR list_contains(getvariable('encounter_scope_files'), m.source_file))
      AND (getvariable('incremental_run') IS NULL
           OR EXISTS (SELECT 1 FROM intermediate.int_encounter_scope s
                      WHERE s.source = m.source AND s.encounter_id = m.visit_number))
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
    WHERE (getvariable('encounter_scope_files') IS NULL
           OR list_contains(getvariable('encounter_scope_files'), m.source_file))
      AND (getvariable('incremental_run') IS NULL
           OR EXISTS (SELECT 1 FROM intermediate.int_encounter_scope s
                      WHERE s.source = m.source AND s.encounter_id = m.encounter_id))
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
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key;
