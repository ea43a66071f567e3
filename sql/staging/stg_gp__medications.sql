-- Grain: one row per GP medication record as landed (practice code ×
-- practice patient id × medication id), renamed and cast only.
CREATE VIEW staging.stg_gp__medications AS
SELECT
    'gp'                                AS system,
    medication_id,
    practice_code || '/' || patient_id  AS record_key,
    snomed_code,
    description,
    dose,
    start_date,
    end_date,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.gp__medications;
