-- Grain: one row per partner organisation × calendar month (region time
-- zone): the rows of marts.usage_monthly with the uptake measures derived
-- from them. (The file name sorts after usage_monthly.sql, which it reads.)
CREATE TABLE marts.uptake_by_organisation AS
SELECT
    month,
    org_code,
    org_name,
    org_type,
    go_live_date,
    authorised_users,
    active_users,
    records_viewed,
    CASE WHEN authorised_users > 0 THEN round(active_users / authorised_users, 4) END   AS uptake_rate,
    CASE WHEN active_users > 0 THEN round(records_viewed / active_users, 2) END        AS views_per_active_user,
    CASE WHEN go_live_date IS NOT NULL AND date_trunc('month', go_live_date) <= month
         THEN date_diff('month', CAST(date_trunc('month', go_live_date) AS DATE), month) END AS months_since_go_live
FROM marts.usage_monthly
ORDER BY month, org_code;

COMMENT ON TABLE marts.uptake_by_organisation IS 'Uptake of the shared care record by partner organisation and month: authorised and active users, uptake rate, views per active user and months since go-live — to find poor uptake and declining use.';
COMMENT ON COLUMN marts.uptake_by_organisation.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.uptake_by_organisation.org_code IS 'ODS code of the organisation.';
COMMENT ON COLUMN marts.uptake_by_organisation.org_name IS 'Organisation name (NULL if the reference feed does not list it).';
COMMENT ON COLUMN marts.uptake_by_organisation.org_type IS 'Organisation type.';
COMMENT ON COLUMN marts.uptake_by_organisation.go_live_date IS 'Date the organisation went live; NULL if it has not.';
COMMENT ON COLUMN marts.uptake_by_organisation.authorised_users IS 'Users authorised at the end of the month: authorised on or before its last day and not revoked by then.';
COMMENT ON COLUMN marts.uptake_by_organisation.active_users IS 'Distinct users with at least one record view in the month.';
COMMENT ON COLUMN marts.uptake_by_organisation.records_viewed IS 'Record-view events in the month.';
COMMENT ON COLUMN marts.uptake_by_organisation.uptake_rate IS 'active_users / authorised_users, to four decimal places; NULL when no user is authorised.';
COMMENT ON COLUMN marts.uptake_by_organisation.views_per_active_user IS 'records_viewed / active_users, to two decimal places; NULL when no user was active.';
COMMENT ON COLUMN marts.uptake_by_organisation.months_since_go_live IS 'Whole calendar months from the go-live month to this month (0 in the go-live month); NULL before go-live or when the organisation has not gone live.';
