-- Grain: one row per portal user account (a member of staff, no names).
CREATE TABLE core.portal_user AS
SELECT user_id, org_code, role, authorised_date, revoked_date
FROM wh.core.portal_user
ORDER BY user_id;
