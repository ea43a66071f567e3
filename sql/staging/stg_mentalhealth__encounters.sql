-- Grain: one row per FHIR Encounter resource landed from the mental health
-- EPR's bulk export, renamed and cast only.
CREATE VIEW staging.stg_mentalhealth__encounters AS
SELECT
    'mentalhealth'       AS system,
    id                   AS encounter_id,
    record_key,
    status,
    class_code,
    type_code,
    type_display,
    period_start,
    period_end,
    service_provider,
    _source              AS source,
    _source_file         AS source_file,
    _position            AS source_position,
    _run_id              AS landed_run
FROM landing.mentalhealth__encounters;
