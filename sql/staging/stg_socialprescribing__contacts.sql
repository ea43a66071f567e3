-- Grain: one row per social prescribing contact record as landed (a first
-- contact, session or follow-up with a client about one referral), renamed
-- and cast only.
CREATE VIEW staging.stg_socialprescribing__contacts AS
SELECT
    contact_id,
    referral_id,
    CAST(contact_date AS DATE)   AS contact_date,
    lower(trim(contact_type))    AS contact_type,
    lower(trim(mode))            AS contact_mode,
    lower(trim(outcome))         AS outcome,
    _source                      AS source,
    _source_file                 AS source_file,
    _position                    AS source_position
FROM landing.socialprescribing__contacts;
