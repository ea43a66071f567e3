-- board_org_usage: usage by partner organisation for the uptake table of the
-- monthly programme board report, over the report month and the 5 before it
-- (the decline rule compares the last 3 months with the 3 before them).
-- Grain: one organisation x one calendar month.
-- Parameters: $1 first month of the window, $2 report month (both first days).
SELECT
    month,
    org_code,
    org_name,
    org_type,
    go_live_date,
    authorised_users,
    active_users,
    records_viewed,
    patients_viewed
FROM marts.usage_monthly
WHERE month BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
ORDER BY org_code, month;
