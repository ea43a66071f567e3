-- Grain: one row per medication record in a source: a GP medication (source
-- × medication id) or a mental health FHIR MedicationRequest or
-- MedicationStatement (source × resource id). The last landed copy of an id
-- is kept.
CREATE TABLE core.medication AS
WITH gp AS (
    SELECT
        medication_id, source, system, record_key,
        'gp_medication'                                 AS record_type,
        nullif(trim(snomed_code), '')                   AS snomed_code,
        description, dose, start_date, end_date,
        CASE WHEN end_date IS NULL THEN 'active' ELSE 'ended' END AS status
    FROM staging.stg_gp__medications
    QUALIFY row_number() OVER (PARTITION BY source, medication_id ORDER BY source_file DESC, source_position DESC) = 1
),
mh AS (
    SELECT
        medication_id, source, system, record_key,
        resource_type                                   AS record_type,
        CASE WHEN code_system = 'http://snomed.info/sct' THEN code END AS snomed_code,
        code_display                                    AS description,
        dosage_text                                     AS dose,
        start_date, end_date,
        lower(status)                                   AS status
    FROM staging.stg_mentalhealth__medications
    QUALIFY row_number() OVER (PARTITION BY source, medication_id ORDER BY source_file DESC, source_position DESC) = 1
),
unioned AS (
    SELECT * FROM gp UNION ALL BY NAME SELECT * FROM mh
)
SELECT
    u.medication_id, u.source, u.system, u.record_key, k.person_id, u.record_type,
    u.snomed_code, u.description, u.dose, u.start_date, u.end_date, u.status
FROM unioned u
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key
ORDER BY u.source, u.medication_id;

COMMENT ON TABLE core.medication IS 'Medications from the GP record and the mental health EPR, one row per source medication record, keyed to the person index.';
COMMENT ON COLUMN core.medication.medication_id IS 'Medication record id in its source (GP medication id, FHIR resource id). Unique with source.';
COMMENT ON COLUMN core.medication.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.medication.system IS 'Kind of system the source is: gp or mentalhealth.';
COMMENT ON COLUMN core.medication.record_key IS 'The person-level record the medication belongs to: practice code/practice patient id for GP, FHIR Patient id for mental health. Identifiable.';
COMMENT ON COLUMN core.medication.person_id IS 'Person (core.person.person_id); NULL when the source record is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.medication.record_type IS 'gp_medication, MedicationRequest or MedicationStatement.';
COMMENT ON COLUMN core.medication.snomed_code IS 'SNOMED CT (dm+d) code of the medication; NULL when the source coded it in another system or not at all.';
COMMENT ON COLUMN core.medication.description IS 'Medication description as the source gives it (the code''s display term).';
COMMENT ON COLUMN core.medication.dose IS 'Dosage instructions as free text. Not carried into analytics.';
COMMENT ON COLUMN core.medication.start_date IS 'Date the medication started (GP start date; FHIR effective start, else authored date).';
COMMENT ON COLUMN core.medication.end_date IS 'Date the medication ended; NULL if none is recorded.';
COMMENT ON COLUMN core.medication.status IS 'GP: active (no end date recorded) or ended; mental health: FHIR status (active, completed, stopped, …).';
