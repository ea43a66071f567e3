-- Grain: one row per encounter: an acute hospital visit (source × visit
-- number, PV1-19) or a mental health FHIR Encounter (source × Encounter id).
-- An HL7 feed sends several messages about one visit (A01 admit, A08
-- updates, A03 discharge): they collapse to one row with the admit time of
-- the earliest, the discharge time of the latest that carries one, and the
-- state after the latest message (by event time, then file and position).
-- PV1 segments without a visit number (A08/A31 demographic updates carry an
-- empty PV1) are not encounters and are left out.
CREATE TABLE core.encounter AS
WITH acute_msgs AS (
    SELECT *,
           row_number() OVER (PARTITION BY source, visit_number
                              ORDER BY coalesce(event_time, admit_time) DESC NULLS LAST,
                                       source_file DESC, source_position DESC) AS recency
    FROM staging.stg_acute__encounters
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
        count(*)                                                           AS messages
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
        last_event, messages
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
        CAST(1 AS BIGINT)                                                  AS messages
    FROM staging.stg_mentalhealth__encounters
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
    u.messages
FROM unioned u
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key
ORDER BY u.source, u.encounter_id;

COMMENT ON TABLE core.encounter IS 'Encounters from every source that sends them: acute hospital visits (HL7 v2 ADT PV1, several messages collapsed to one row per visit) and mental health contacts (FHIR Encounter), keyed to the person index.';
COMMENT ON COLUMN core.encounter.encounter_id IS 'Encounter id in its source: the hospital visit number (PV1-19) for acute, the FHIR Encounter id for mental health. Unique with source.';
COMMENT ON COLUMN core.encounter.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.encounter.system IS 'Kind of system the source is: acute or mentalhealth.';
COMMENT ON COLUMN core.encounter.record_key IS 'The person-level record the encounter belongs to: hospital number (MRN) of the latest message for acute, FHIR Patient id for mental health. Identifiable.';
COMMENT ON COLUMN core.encounter.person_id IS 'Person (core.person.person_id); NULL when the source record is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.encounter.class_code IS 'Class as coded by the source: HL7 PV1-2 (I, O, E, …) or FHIR v3 ActCode (IMP, AMB, HH, …).';
COMMENT ON COLUMN core.encounter.class IS 'Class mapped across sources: inpatient, outpatient, emergency, home, virtual, preadmit, recurring, obstetrics.';
COMMENT ON COLUMN core.encounter.location IS 'Point of care (first component of PV1-3, e.g. a ward) for acute; NULL for mental health.';
COMMENT ON COLUMN core.encounter.service IS 'Hospital service or specialty code (PV1-10) for acute; the encounter type for mental health.';
COMMENT ON COLUMN core.encounter.organisation_code IS 'Facility (PV1-3.4) for acute; ODS code of the service provider for mental health.';
COMMENT ON COLUMN core.encounter.start_at IS 'Admission or start time: the earliest PV1-44 of the visit for acute, Encounter.period.start for mental health.';
COMMENT ON COLUMN core.encounter.end_at IS 'Discharge or end time: PV1-45 from the discharge message for acute (NULL if the latest message cancels it), Encounter.period.end for mental health.';
COMMENT ON COLUMN core.encounter.status IS 'State after the latest message, FHIR Encounter.status values: finished, in-progress, arrived (registered, A04), cancelled.';
COMMENT ON COLUMN core.encounter.last_event IS 'HL7 trigger event of the latest message about the visit (A01, A03, A04, A08, …); NULL for mental health.';
COMMENT ON COLUMN core.encounter.messages IS 'Number of landed messages (PV1 segments) collapsed into the row; 1 for mental health.';
