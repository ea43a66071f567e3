-- Grain: one row per safeguarding referral in the social care system,
-- pseudonymised.
CREATE TABLE core.safeguarding_referral AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, category, status, is_open, received_date, closed_date
FROM wh.core.safeguarding_referral
ORDER BY source, pseudo_id, received_date, category, status, closed_date;

COMMENT ON TABLE core.safeguarding_referral IS 'Safeguarding referrals (open or closed, category, dates), pseudonymised: referral ids are dropped.';
COMMENT ON COLUMN core.safeguarding_referral.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the social care person is not in the person index.';
