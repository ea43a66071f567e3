-- Grain: one row per condition record in a source: a GP problem (source ×
-- problem id) or a mental health FHIR Condition (source × resource id). The
-- last landed copy of an id is kept.
CREATE TABLE core.condition AS
WITH gp AS (
    SELECT
        problem_id                                      AS condition_id,
        source, system, record_key,
        nullif(trim(snomed_code), '')                   AS snomed_code,
        description, onset_date,
        CAST(NULL AS DATE)                              AS abatement_date,
        CAST(NULL AS DATE)                              AS recorded_date,
        status,
        CAST(NULL AS VARCHAR)                           AS verification_status
    FROM staging.stg_gp__problems
    QUALIFY row_number() OVER (PARTITION BY source, problem_id ORDER BY source_file DESC, source_position DESC) = 1
),
mh AS (
    SELECT
        condition_id, source, system, record_key,
        CASE WHEN code_system = 'http://snomed.info/sct' THEN code END AS snomed_code,
        code_display                                    AS description,
        onset_date, abatement_date, recorded_date,
        lower(clinical_status)                          AS status,
        lower(verification_status)                      AS verification_status
    FROM staging.stg_mentalhealth__conditions
    QUALIFY row_number() OVER (PARTITION BY source, condition_id ORDER BY source_file DESC, source_position DESC) = 1
),
unioned AS (
    SELECT * FROM gp UNION ALL BY NAME SELECT * FROM mh
)
SELECT
    u.condition_id, u.source, u.system, u.record_key, k.person_id,
    u.snomed_code, u.description, u.onset_date, u.abatement_date, u.recorded_date,
    u.status, u.verification_status
FROM unioned u
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key
ORDER BY u.source, u.condition_id;

COMMENT ON TABLE core.condition IS 'Conditions and diagnoses: GP problems and mental health FHIR Conditions, one row per source record, keyed to the person index.';
COMMENT ON COLUMN core.condition.condition_id IS 'Condition record id in its source (GP problem id, FHIR resource id). Unique with source.';
COMMENT ON COLUMN core.condition.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.condition.system IS 'Kind of system the source is: gp or mentalhealth.';
COMMENT ON COLUMN core.condition.record_key IS 'The person-level record the condition belongs to: practice code/practice patient id for GP, FHIR Patient id for mental health. Identifiable.';
COMMENT ON COLUMN core.condition.person_id IS 'Person (core.person.person_id); NULL when the source record is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.condition.snomed_code IS 'SNOMED CT concept id of the condition; NULL when the source coded it otherwise.';
COMMENT ON COLUMN core.condition.description IS 'Description as the source gives it (the code''s display term).';
COMMENT ON COLUMN core.condition.onset_date IS 'Date of onset; NULL when unknown or given only partially.';
COMMENT ON COLUMN core.condition.abatement_date IS 'Date the condition resolved (FHIR abatement); NULL for GP and while active.';
COMMENT ON COLUMN core.condition.recorded_date IS 'Date the condition was recorded (FHIR recordedDate); NULL for GP.';
COMMENT ON COLUMN core.condition.status IS 'Clinical status: active, resolved, inactive, remission, …';
COMMENT ON COLUMN core.condition.verification_status IS 'FHIR verificationStatus (confirmed, provisional, …); NULL for GP.';
