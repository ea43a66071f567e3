-- board_org_type: records viewed by organisation type for the stacked trend
-- chart of the monthly programme board report.
-- Grain: one calendar month x one organisation type.
-- Parameters: $1 first month of the window, $2 report month (both first days).
SELECT month, org_type, records_viewed
FROM marts.usage_by_org_type
WHERE month BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
ORDER BY month, org_type;
