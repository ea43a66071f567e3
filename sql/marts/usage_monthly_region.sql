-- Grain: one row per calendar month for the whole region.
CREATE TABLE marts.usage_monthly_region AS
WITH per_month AS (
    SELECT month,
           sum(authorised_users) AS authorised_users,
           sum(active_users)     AS active_users,
           sum(records_viewed)   AS records_viewed
    FROM marts.usage_monthly
    GROUP BY month
),
patients AS (
    SELECT access_month AS month, count(DISTINCT nhs_number) AS patients_viewed
    FROM core.record_access
    GROUP BY ALL
)
SELECT
    p.month,
    CAST(p.authorised_users AS BIGINT) AS authorised_users,
    CAST(p.active_users AS BIGINT)     AS active_users,
    CAST(p.records_viewed AS BIGINT)   AS records_viewed,
    coalesce(pt.patients_viewed, 0)    AS patients_viewed,
    (SELECT count(*) FROM core.organisation o WHERE o.go_live_date <= last_day(p.month)) AS organisations_live
FROM per_month p
LEFT JOIN patients pt USING (month)
ORDER BY p.month;

COMMENT ON TABLE marts.usage_monthly_region IS 'Portal usage for the whole region by month: the board report''s headline figures and trends.';
COMMENT ON COLUMN marts.usage_monthly_region.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_monthly_region.authorised_users IS 'Users authorised at the end of the month, all organisations.';
COMMENT ON COLUMN marts.usage_monthly_region.active_users IS 'Distinct users with at least one view in the month (each user belongs to one organisation).';
COMMENT ON COLUMN marts.usage_monthly_region.records_viewed IS 'Record-view events in the month.';
COMMENT ON COLUMN marts.usage_monthly_region.patients_viewed IS 'Distinct patients viewed in the month across all organisations (not the sum of organisations).';
COMMENT ON COLUMN marts.usage_monthly_region.organisations_live IS 'Organisations whose go-live date is on or before the month''s last day.';
