-- board_trend: region-wide monthly figures for the trend charts of the
-- monthly programme board report (the report month and the 12 before it).
-- Grain: one calendar month for the whole region.
-- Parameters: $1 first month of the window, $2 report month (both first days).
SELECT
    month,
    authorised_users,
    active_users,
    records_viewed,
    patients_viewed,
    organisations_live
FROM marts.usage_monthly_region
WHERE month BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
ORDER BY month;
