-- Grain: one row per social prescribing referral, pseudonymised: the client
-- as the person's pseudonym; client id, requesting clinician's name and the
-- referrer's own reference dropped.
CREATE TABLE core.referral AS
SELECT
    (SELECT pseudonym('person:' || min(l.person_id)) FROM wh.core.person_link l
      WHERE l.system = 'socialprescribing' AND l.source = r.source AND l.record_key = r.client_id) AS pseudo_id,
    r.* EXCLUDE (client_id, referrer_clinician, source_reference)
FROM wh.core.referral r
ORDER BY r.referral_id;

COMMENT ON COLUMN core.referral.pseudo_id IS 'Client (core.person.pseudo_id); NULL when the client record is not in the person index.';
