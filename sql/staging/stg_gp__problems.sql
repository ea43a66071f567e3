-- Grain: one row per GP problem (coded condition) record as landed
-- (practice code × practice patient id × problem id), renamed and cast only.
CREATE VIEW staging.stg_gp__problems AS
SELECT
    'gp'                                AS system,
    problem_id,
    practice_code || '/' || patient_id  AS record_key,
    snomed_code,
    description,
    onset_date,
    lower(trim(status))                 AS status,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.gp__problems;
