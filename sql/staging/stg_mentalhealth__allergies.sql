-- Grain: one row per FHIR AllergyIntolerance resource landed from the mental
-- health EPR's bulk export, renamed and cast only.
CREATE VIEW staging.stg_mentalhealth__allergies AS
SELECT
    'mentalhealth'                 AS system,
    id                             AS allergy_id,
    record_key,
    clinical_status,
    verification_status,
    criticality,
    code_system,
    code,
    code_display,
    CAST(coalesce(recorded_date, onset) AS DATE) AS recorded_date,
    _source                        AS source,
    _source_file                   AS source_file,
    _position                      AS source_position
FROM landing.mentalhealth__allergies;
