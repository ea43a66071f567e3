-- Grain: one row per GP allergy record as landed (practice code × practice
-- patient id × allergy id), renamed and cast only.
CREATE VIEW staging.stg_gp__allergies AS
SELECT
    'gp'                                AS system,
    allergy_id,
    practice_code || '/' || patient_id  AS record_key,
    snomed_code,
    description,
    recorded_date,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.gp__allergies;
