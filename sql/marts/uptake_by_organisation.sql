-- Grain: one row per partner organisation × calendar month (region time
-- zone), for every month from the first to the last month with any record
-- view and every organisation known to the reference feed, the user
-- directory or the audit log (the rows of marts.usage_monthly, whose
-- figures it repeats, computed from core because it builds first).
CREATE TABLE marts.uptake_by_organisation AS
WITH months AS (
    SELECT CAST(m AS DATE) AS month
    FROM range(
        (SELECT CAST(min(access_month) AS TIMESTAMP) FROM core.record_access),
        (SELECT CAST(max(access_month) AS TIMESTAMP) FROM core.record_access) + INTERVAL 1 MONTH,
        INTERVAL 1 MONTH) AS t(m)
),
orgs AS (
    SELECT org_code FROM core.organisation
    UNION SELECT org_code FROM core.portal_user
    UNION SELECT org_code FROM core.record_access
),
views AS (
    SELECT access_month AS month, org_code,
           count(*)                AS records_viewed,
           count(DISTINCT user_id) AS active_users
    FROM core.record_access
    GROUP BY ALL
),
authorised AS (
    SELECT m.month, u.org_code, count(*) AS authorised_users
    FROM months m
    JOIN core.portal_user u
      ON u.authorised_date <= last_day(m.month)
     AND (u.revoked_date IS NULL OR u.revoked_date > last_day(m.month))
    GROUP BY ALL
)
SELECT
    m.month,
    o.org_code,
    org.org_name,
    org.org_type,
    org.go_live_date,
    coalesce(a.authorised_users, 0)                                         AS authorised_users,
    coalesce(v.active_users, 0)                                             AS active_users,
    coalesce(v.records_viewed, 0)                                           AS records_viewed,
    CASE WHEN coalesce(a.authorised_users, 0) > 0
         THEN round(coalesce(v.active_users, 0) / a.authorised_users, 4) END AS uptake_rate,
    CASE WHEN coalesce(v.active_users, 0) > 0
         THEN round(v.records_viewed / v.active_users, 2) END               AS views_per_active_user,
    CASE WHEN org.go_live_date IS NOT NULL AND date_trunc('month', org.go_live_date) <= m.month
         THEN date_diff('month', CAST(date_trunc('month', org.go_live_date) AS DATE), m.month) END AS months_since_go_live
FROM months m
CROSS JOIN orgs o
LEFT JOIN core.organisation org USING (org_code)
LEFT JOIN views v ON v.month = m.month AND v.org_code = o.org_code
LEFT JOIN authorised a ON a.month = m.month AND a.org_code = o.org_code
ORDER BY m.month, o.org_code;

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
