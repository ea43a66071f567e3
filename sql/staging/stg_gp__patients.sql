-- Grain: one row per GP patient registration record as landed
-- (practice code × practice patient id), renamed and cast only.
CREATE VIEW staging.stg_gp__patients AS
SELECT
    practice_code,
    patient_id,
    practice_code || '/' || patient_id AS record_key,
    nhs_number                          AS nhs_number_raw,
    given_name,
    family_name,
    date_of_birth,
    sex,
    postcode,
    registration_date,
    last_updated,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.gp__patients;
