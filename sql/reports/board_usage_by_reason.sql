-- board_usage_by_reason: record views by reason, region-wide, in the report month
-- and the month before, for "How the record is used".
-- Grain: one reason. Shares use the month's record views as their base.
-- Parameters: $1 report month (first day).
SELECT
    reason AS category,
    CAST(coalesce(sum(records_viewed) FILTER (WHERE month = CAST($1 AS DATE)), 0) AS BIGINT) AS records_viewed,
    CAST(coalesce(sum(records_viewed) FILTER (WHERE month = CAST($1 AS DATE) - INTERVAL 1 MONTH), 0) AS BIGINT) AS previous_records_viewed
FROM marts.usage_by_reason
WHERE month BETWEEN CAST($1 AS DATE) - INTERVAL 1 MONTH AND CAST($1 AS DATE)
GROUP BY reason
ORDER BY records_viewed DESC, category;
