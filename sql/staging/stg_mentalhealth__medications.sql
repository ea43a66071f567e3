-- Grain: one row per FHIR MedicationRequest or MedicationStatement resource
-- landed from the mental health EPR's bulk export, renamed and cast only.
CREATE VIEW staging.stg_mentalhealth__medications AS
SELECT
    'mentalhealth'                 AS system,
    id                             AS medication_id,
    resource_type,
    record_key,
    status,
    medication_system              AS code_system,
    medication_code                AS code,
    medication_display             AS code_display,
    dosage_text,
    CAST(coalesce(effective_start, authored_on) AS DATE) AS start_date,
    CAST(effective_end AS DATE)    AS end_date,
    _source                        AS source,
    _source_file                   AS source_file,
    _position                      AS source_position
FROM landing.mentalhealth__medications;
