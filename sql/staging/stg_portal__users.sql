-- Grain: one row per portal user account in the user directory.
CREATE VIEW staging.stg_portal__users AS
SELECT
    user_id,
    org_code,
    role,
    authorised_date,
    revoked_date,
    _source AS source
FROM landing.portal__users;
