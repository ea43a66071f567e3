-- People with an open safeguarding referral who have also been admitted to
-- hospital (an inpatient encounter), with the number of admissions since the
-- referral was received.
-- Database: analytics
-- Grain: one row per person with an open safeguarding referral and an
-- inpatient admission.
SELECT
    s.pseudo_id,
    min(s.received_date)                                                  AS referral_received,
    any_value(s.category ORDER BY s.received_date)                        AS category,
    count(DISTINCT e.encounter_pseudo_id)                                 AS admissions,
    count(DISTINCT e.encounter_pseudo_id)
        FILTER (WHERE CAST(e.start_at AS DATE) >= s.received_date)        AS admissions_since_referral
FROM core.safeguarding_referral s
JOIN core.encounter e ON e.pseudo_id = s.pseudo_id AND e.class = 'inpatient'
WHERE s.is_open
GROUP BY s.pseudo_id
ORDER BY admissions_since_referral DESC, s.pseudo_id;
