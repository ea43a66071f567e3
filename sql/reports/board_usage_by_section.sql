-- board_usage_by_section: record views by section, region-wide, in the report month
-- and the month before, for "How the record is used".
-- Grain: one section. Shares use the month's record views as their base.
-- Parameters: $1 report month (first day).
SELECT
    section AS category,
    CAST(coalesce(sum(records_viewed) FILTER (WHERE month = CAST($1 AS DATE)), 0) AS BIGINT) AS records_viewed,
    CAST(coalesce(sum(records_viewed) FILTER (WHERE month = CAST($1 AS DATE) - INTERVAL 1 MONTH), 0) AS BIGINT) AS previous_records_viewed
FROM marts.usage_by_section
WHERE month BETWEEN CAST($1 AS DATE) - INTERVAL 1 MONTH AND CAST($1 AS DATE)
GROUP BY section
ORDER BY records_viewed DESC, category;
