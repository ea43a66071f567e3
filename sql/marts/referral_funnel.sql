-- Grain: one row per month received × referral source × referring
-- organisation × referring team, for every combination with a referral.
-- Stages count the month's referrals that had reached them by the time the
-- warehouse was built.
CREATE TABLE marts.referral_funnel AS
SELECT
    received_month                                                     AS month,
    referral_source,
    referrer_org_code,
    any_value(referrer_org_name)                                       AS referrer_org_name,
    referrer_team,
    count(*)                                                           AS referrals,
    count(DISTINCT referrer_clinician)                                 AS referring_clinicians,
    count(*) FILTER (WHERE first_contact_attempt_date IS NOT NULL)     AS first_contact_offered,
    count(*) FILTER (WHERE first_contact_dnas > 0)                     AS first_contact_dna,
    count(*) FILTER (WHERE first_contact_date IS NOT NULL)             AS first_contact,
    count(*) FILTER (WHERE sessions_attended > 0)                      AS attended,
    count(*) FILTER (WHERE sessions_dna > 0)                           AS session_dna,
    count(*) FILTER (WHERE closure_reason = 'completed')               AS completed,
    count(*) FILTER (WHERE closure_reason = 'declined')                AS declined,
    count(*) FILTER (WHERE closure_reason = 'disengaged')              AS disengaged,
    count(*) FILTER (WHERE closed_date IS NULL)                        AS still_open,
    coalesce(sum(days_to_first_contact), 0)                            AS days_to_first_contact_total
FROM core.referral
GROUP BY received_month, referral_source, referrer_org_code, referrer_team
ORDER BY month, referral_source, referrer_org_code NULLS FIRST, referrer_team NULLS FIRST;

COMMENT ON TABLE marts.referral_funnel IS 'Social prescribing referrals by month received and referrer, with how many reached each stage of the journey: first contact, attended session, completion (and declined, did not attend, disengaged). Stages are as at the build.';
COMMENT ON COLUMN marts.referral_funnel.month IS 'First day of the calendar month the referrals were received.';
COMMENT ON COLUMN marts.referral_funnel.referral_source IS 'mental_health (through interoperability from the mental health EPR), gp, self, …';
COMMENT ON COLUMN marts.referral_funnel.referrer_org_code IS 'ODS code of the referring organisation; NULL for self-referrals.';
COMMENT ON COLUMN marts.referral_funnel.referrer_org_name IS 'Name of the referring organisation as sent.';
COMMENT ON COLUMN marts.referral_funnel.referrer_team IS 'Requesting team; NULL when none was sent.';
COMMENT ON COLUMN marts.referral_funnel.referrals IS 'Referrals received.';
COMMENT ON COLUMN marts.referral_funnel.referring_clinicians IS 'Distinct requesting clinicians in the row (not additive across rows).';
COMMENT ON COLUMN marts.referral_funnel.first_contact_offered IS 'Referrals with at least one first-contact appointment, attended or not.';
COMMENT ON COLUMN marts.referral_funnel.first_contact_dna IS 'Referrals where the client did not attend at least one first-contact appointment.';
COMMENT ON COLUMN marts.referral_funnel.first_contact IS 'Referrals where first contact was made (an attended first contact).';
COMMENT ON COLUMN marts.referral_funnel.attended IS 'Referrals with at least one attended session after first contact.';
COMMENT ON COLUMN marts.referral_funnel.session_dna IS 'Referrals with at least one session not attended.';
COMMENT ON COLUMN marts.referral_funnel.completed IS 'Referrals closed as completed.';
COMMENT ON COLUMN marts.referral_funnel.declined IS 'Referrals closed because the client declined the service.';
COMMENT ON COLUMN marts.referral_funnel.disengaged IS 'Referrals closed because the client disengaged or could not be reached.';
COMMENT ON COLUMN marts.referral_funnel.still_open IS 'Referrals still open.';
COMMENT ON COLUMN marts.referral_funnel.days_to_first_contact_total IS 'Sum of days from receipt to first contact over the referrals with first contact (divide by first_contact for the mean).';
