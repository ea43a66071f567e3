-- board_referrals: social prescribing referrals by month received and
-- referrer, with the stages they reached, for "Referrals via
-- interoperability".
-- Grain: one month received x referral source x referring organisation x team.
-- Parameters: $1 report month (first day); every month up to it is returned.
SELECT
    month, referral_source,
    coalesce(referrer_org_code, ''), coalesce(referrer_org_name, ''), coalesce(referrer_team, ''),
    referrals, first_contact_offered, first_contact_dna, first_contact, attended,
    session_dna, completed, declined, disengaged, still_open
FROM marts.referral_funnel
WHERE month <= CAST($1 AS DATE)
ORDER BY month, referral_source, referrer_org_code NULLS FIRST, referrer_team NULLS FIRST;
