-- Grain: one row per safeguarding referral (referral id) in the social care
-- system, the latest landed version of each row, renamed and cast only.
CREATE VIEW staging.stg_socialcare__safeguarding_referrals AS
SELECT
    'socialcare'                        AS system,
    CAST(referral_id AS VARCHAR)        AS referral_id,
    CAST(person_id AS VARCHAR)          AS record_key,
    category,
    lower(trim(status))                 AS status,
    received_date,
    closed_date,
    updated_at,
    _source                             AS source,
    _source_file                        AS source_file,
    _position                           AS source_position
FROM landing.socialcare__safeguarding_referrals;
