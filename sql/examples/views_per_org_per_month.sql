-- Record views per partner organisation per month, with uptake.
-- Database: analytics (also runs on the warehouse)
-- Grain: one row per organisation × month. Use it to see which
-- organisations use the shared care record and how that changes.
SELECT
    month,
    org_code,
    org_name,
    authorised_users,
    active_users,
    records_viewed,
    uptake_rate,
    views_per_active_user,
    months_since_go_live
FROM marts.uptake_by_organisation
WHERE records_viewed > 0 OR authorised_users > 0
ORDER BY org_code, month;
