-- Grain: one row per portal user account.
CREATE TABLE core.portal_user AS
SELECT user_id, org_code, role, authorised_date, revoked_date
FROM staging.stg_portal__users
QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY authorised_date) = 1
ORDER BY user_id;

COMMENT ON TABLE core.portal_user IS 'Professionals authorised to use the shared care record portal, from its user directory. Names are not kept.';
COMMENT ON COLUMN core.portal_user.user_id IS 'Portal user id.';
COMMENT ON COLUMN core.portal_user.org_code IS 'ODS code of the user''s organisation.';
COMMENT ON COLUMN core.portal_user.role IS 'User''s role, e.g. GP, Nurse, Social worker.';
COMMENT ON COLUMN core.portal_user.authorised_date IS 'Date the account was authorised.';
COMMENT ON COLUMN core.portal_user.revoked_date IS 'Date the account was revoked; NULL while still authorised.';
