-- board_referral_outcomes: wellbeing change of referrals whose follow-up
-- fell in the 12 months to the report month, for the outcomes table.
-- Grain: one referral x one tool (marts.referral_outcomes).
-- Parameters: $1 first month of the window, $2 report month (both first days).
SELECT
    referral_source,
    coalesce(referrer_org_code, ''), coalesce(referrer_org_name, ''), coalesce(referrer_team, ''),
    tool, score_change
FROM marts.referral_outcomes
WHERE follow_up_month BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)
ORDER BY referral_id, tool;
