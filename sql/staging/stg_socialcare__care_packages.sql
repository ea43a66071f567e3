-- Grain: one row per social care package (package id), the latest landed
-- version of each row, renamed and cast only.
CREATE VIEW staging.stg_socialcare__care_packages AS
SELECT
    'socialcare'                        AS system,
    CAST(package_id AS VARCHAR)         AS package_id,
    CAST(person_id AS VARCHAR)          AS record_key,
    service_type,
    provider_name,
    provider_phone,
    provider_email,
    lower(trim(status))                 AS status,
    start_date,
    end_date,
    updated_at,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.socialcare__care_packages;
