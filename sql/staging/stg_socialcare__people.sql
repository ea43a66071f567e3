-- Grain: one row per person record in the social care system (person id),
-- the latest landed version, renamed and cast only. Only the columns the
-- warehouse uses beyond the person index are kept.
CREATE VIEW staging.stg_socialcare__people AS
SELECT
    'socialcare'                        AS system,
    CAST(person_id AS VARCHAR)          AS record_key,
    created_at,
    updated_at,
    _source                             AS source
FROM landing.socialcare__people;
