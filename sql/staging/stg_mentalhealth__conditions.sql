-- Grain: one row per FHIR Condition resource landed from the mental health
-- EPR's bulk export, renamed and cast only.
CREATE VIEW staging.stg_mentalhealth__conditions AS
SELECT
    'mentalhealth'                 AS system,
    id                             AS condition_id,
    record_key,
    clinical_status,
    verification_status,
    code_system,
    code,
    code_display,
    CAST(onset AS DATE)            AS onset_date,
    CAST(abatement AS DATE)        AS abatement_date,
    CAST(recorded_date AS DATE)    AS recorded_date,
    _source                        AS source,
    _source_file                   AS source_file,
    _position                      AS source_position
FROM landing.mentalhealth__conditions;
