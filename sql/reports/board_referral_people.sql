-- board_referral_people: distinct referring clinicians and teams, and the
-- median days from receipt to first contact, by referral source, over the
-- report month, the 12 months to it and all months to it.
-- Grain: one referral source x one period ('month', 'year', 'to_date');
-- referral source '' is all sources together.
-- Parameters: $1 report month, $2 first month of its 12-month window.
WITH periods AS (
    SELECT * FROM (VALUES ('month', CAST($1 AS DATE)), ('year', CAST($2 AS DATE)), ('to_date', DATE '0001-01-01')) AS p(period, start)
)
SELECT
    p.period,
    coalesce(r.referral_source, '') AS referral_source,
    count(DISTINCT r.referrer_clinician)                                          AS clinicians,
    count(DISTINCT r.referrer_org_code || '/' || coalesce(r.referrer_team, '')) AS teams,
    count(DISTINCT r.referrer_org_code)                                           AS organisations,
    median(r.days_to_first_contact)                                               AS median_days,
    count(r.days_to_first_contact)                                                AS with_first_contact
FROM periods p
JOIN core.referral r
  ON r.received_month BETWEEN p.start AND CAST($1 AS DATE)
GROUP BY GROUPING SETS ((p.period, r.referral_source), (p.period))
ORDER BY p.period, referral_source;
