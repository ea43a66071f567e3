-- Grain: one row per organisation × calendar month (region time zone), for
-- every month from the first to the last month with any record view, zeros
-- included, for every organisation known to the reference feed, the user
-- directory or the audit log.
CREATE TABLE marts.usage_monthly AS
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
           count(*)                    AS records_viewed,
           count(DISTINCT user_id)     AS active_users,
           count(DISTINCT nhs_number)  AS patients_viewed
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
    coalesce(a.authorised_users, 0) AS authorised_users,
    coalesce(v.active_users, 0)     AS active_users,
    coalesce(v.records_viewed, 0)   AS records_viewed,
    coalesce(v.patients_viewed, 0)  AS patients_viewed
FROM months m
CROSS JOIN orgs o
LEFT JOIN core.organisation org USING (org_code)
LEFT JOIN views v ON v.month = m.month AND v.org_code = o.org_code
LEFT JOIN authorised a ON a.month = m.month AND a.org_code = o.org_code
ORDER BY m.month, o.org_code;

COMMENT ON TABLE marts.usage_monthly IS 'Portal usage by partner organisation and month: authorised and active users, records and patients viewed. The basis of the board report''s uptake table.';
COMMENT ON COLUMN marts.usage_monthly.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_monthly.org_code IS 'ODS code of the organisation.';
COMMENT ON COLUMN marts.usage_monthly.org_name IS 'Organisation name (NULL if the reference feed does not list it).';
COMMENT ON COLUMN marts.usage_monthly.org_type IS 'Organisation type.';
COMMENT ON COLUMN marts.usage_monthly.go_live_date IS 'Date the organisation went live; NULL if it has not.';
COMMENT ON COLUMN marts.usage_monthly.authorised_users IS 'Users authorised at the end of the month: authorised on or before its last day and not revoked by then.';
COMMENT ON COLUMN marts.usage_monthly.active_users IS 'Distinct users with at least one record view in the month.';
COMMENT ON COLUMN marts.usage_monthly.records_viewed IS 'Record-view events in the month.';
COMMENT ON COLUMN marts.usage_monthly.patients_viewed IS 'Distinct patients (NHS numbers) whose record the organisation viewed in the month.';
