-- Grain: one row per safeguarding referral in the social care system,
-- pseudonymised.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.safeguarding_referral AS
SELECT
    CASE WHEN s.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    s.source, s.system, s.category, s.status, s.is_open, s.received_date, s.closed_date
FROM wh.core.safeguarding_referral s
LEFT JOIN person_pseudonym pp ON pp.person_id = s.person_id
ORDER BY s.source, pp.pseudo_rank, s.received_date, s.category, s.status, s.closed_date;

COMMENT ON TABLE core.safeguarding_referral IS 'Safeguarding referrals (open or closed, category, dates), pseudonymised: referral ids are dropped.';
COMMENT ON COLUMN core.safeguarding_referral.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the social care person is not in the person index.';
