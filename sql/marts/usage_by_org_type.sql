-- Grain: one row per calendar month (region time zone) × organisation type,
-- for every month from the first to the last month with any record view and
-- every organisation type, zeros included. Views by organisations the
-- reference feed does not list fall under type 'unknown'.
CREATE TABLE marts.usage_by_org_type AS
WITH months AS (
    SELECT CAST(m AS DATE) AS month
    FROM range(
        (SELECT CAST(min(access_month) AS TIMESTAMP) FROM core.record_access),
        (SELECT CAST(max(access_month) AS TIMESTAMP) FROM core.record_access) + INTERVAL 1 MONTH,
        INTERVAL 1 MONTH) AS t(m)
),
views AS (
    SELECT a.access_month AS month, coalesce(o.org_type, 'unknown') AS org_type,
           count(*)                     AS records_viewed,
           count(DISTINCT a.user_id)    AS active_users,
           count(DISTINCT a.nhs_number) AS patients_viewed
    FROM core.record_access a
    LEFT JOIN core.organisation o USING (org_code)
    GROUP BY ALL
),
types AS (
    SELECT DISTINCT coalesce(org_type, 'unknown') AS org_type FROM core.organisation
    UNION SELECT org_type FROM views
)
SELECT
    m.month,
    t.org_type,
    coalesce(v.records_viewed, 0)  AS records_viewed,
    coalesce(v.active_users, 0)    AS active_users,
    coalesce(v.patients_viewed, 0) AS patients_viewed
FROM months m
CROSS JOIN types t
LEFT JOIN views v ON v.month = m.month AND v.org_type = t.org_type
ORDER BY m.month, t.org_type;

COMMENT ON TABLE marts.usage_by_org_type IS 'Portal usage by organisation type and month: the stacked trend chart of the board report.';
COMMENT ON COLUMN marts.usage_by_org_type.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_org_type.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_org_type.records_viewed IS 'Record-view events in the month.';
COMMENT ON COLUMN marts.usage_by_org_type.active_users IS 'Distinct users with at least one view in the month.';
COMMENT ON COLUMN marts.usage_by_org_type.patients_viewed IS 'Distinct patients (NHS numbers) viewed by organisations of the type in the month.';
