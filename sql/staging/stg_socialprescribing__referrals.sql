-- Grain: one row per social prescribing referral record as landed
-- (referral id; a re-sent extract can land the same id twice), renamed and
-- cast only.
CREATE VIEW staging.stg_socialprescribing__referrals AS
SELECT
    referral_id,
    client_id,
    CAST(received_date AS DATE)           AS received_date,
    lower(trim(referral_source))          AS referral_source,
    nullif(trim(referrer_org_code), '')   AS referrer_org_code,
    nullif(trim(referrer_org_name), '')   AS referrer_org_name,
    nullif(trim(referrer_team), '')       AS referrer_team,
    nullif(trim(referrer_name), '')       AS referrer_clinician,
    nullif(trim(source_reference), '')    AS source_reference,
    reason,
    lower(trim(status))                   AS status,
    CAST(closed_date AS DATE)             AS closed_date,
    nullif(lower(trim(closure_reason)), '') AS closure_reason,
    _source                               AS source,
    _source_file                          AS source_file,
    _position                             AS source_position
FROM landing.socialprescribing__referrals;
