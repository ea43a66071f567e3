-- Grain: one row per allergy or intolerance record in a source: a GP allergy
-- (source × allergy id) or a mental health FHIR AllergyIntolerance (source ×
-- resource id). The last landed copy of an id is kept.
CREATE TABLE core.allergy AS
WITH gp AS (
    SELECT
        allergy_id, source, system, record_key,
        nullif(trim(snomed_code), '')                   AS snomed_code,
        description, recorded_date,
        'active'                                        AS status,
        CAST(NULL AS VARCHAR)                           AS verification_status,
        CAST(NULL AS VARCHAR)                           AS criticality
    FROM staging.stg_gp__allergies
    QUALIFY row_number() OVER (PARTITION BY source, allergy_id ORDER BY source_file DESC, source_position DESC) = 1
),
mh AS (
    SELECT
        allergy_id, source, system, record_key,
        CASE WHEN code_system = 'http://snomed.info/sct' THEN code END AS snomed_code,
        code_display                                    AS description,
        recorded_date,
        lower(clinical_status)                          AS status,
        lower(verification_status)                      AS verification_status,
        lower(criticality)                              AS criticality
    FROM staging.stg_mentalhealth__allergies
    QUALIFY row_number() OVER (PARTITION BY source, allergy_id ORDER BY source_file DESC, source_position DESC) = 1
),
unioned AS (
    SELECT * FROM gp UNION ALL BY NAME SELECT * FROM mh
)
SELECT
    u.allergy_id, u.source, u.system, u.record_key, k.person_id,
    u.snomed_code, u.description, u.recorded_date, u.status, u.verification_status, u.criticality
FROM unioned u
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key
ORDER BY u.source, u.allergy_id;

COMMENT ON TABLE core.allergy IS 'Allergies and intolerances from the GP record and the mental health EPR, one row per source record, keyed to the person index.';
COMMENT ON COLUMN core.allergy.allergy_id IS 'Allergy record id in its source (GP allergy id, FHIR resource id). Unique with source.';
COMMENT ON COLUMN core.allergy.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.allergy.system IS 'Kind of system the source is: gp or mentalhealth.';
COMMENT ON COLUMN core.allergy.record_key IS 'The person-level record the allergy belongs to: practice code/practice patient id for GP, FHIR Patient id for mental health. Identifiable.';
COMMENT ON COLUMN core.allergy.person_id IS 'Person (core.person.person_id); NULL when the source record is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.allergy.snomed_code IS 'SNOMED CT code of the allergy or the substance; NULL when the source coded it otherwise.';
COMMENT ON COLUMN core.allergy.description IS 'Description as the source gives it (the code''s display term).';
COMMENT ON COLUMN core.allergy.recorded_date IS 'Date the allergy was recorded (FHIR recordedDate, else onset).';
COMMENT ON COLUMN core.allergy.status IS 'Clinical status: active (GP extracts list current allergies only), inactive or resolved (FHIR clinicalStatus).';
COMMENT ON COLUMN core.allergy.verification_status IS 'FHIR verificationStatus (confirmed, unconfirmed, refuted, …); NULL for GP.';
COMMENT ON COLUMN core.allergy.criticality IS 'FHIR criticality (low, high, unable-to-assess); NULL for GP.';
