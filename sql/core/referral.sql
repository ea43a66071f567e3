-- Grain: one row per social prescribing referral (referral id), the first
-- landed copy of each id, with its requester (clinician, team,
-- organisation) and the milestones of its journey derived from the
-- service's contacts.
CREATE TABLE core.referral AS
WITH referrals AS (
    SELECT *
    FROM staging.stg_socialprescribing__referrals
    QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY source_file, source_position) = 1
),
contacts AS (
    SELECT *
    FROM staging.stg_socialprescribing__contacts
    QUALIFY row_number() OVER (PARTITION BY contact_id ORDER BY source_file, source_position) = 1
),
journey AS (
    SELECT
        referral_id,
        min(contact_date) FILTER (WHERE contact_type = 'first_contact')                           AS first_contact_attempt_date,
        min(contact_date) FILTER (WHERE contact_type = 'first_contact' AND outcome = 'attended')   AS first_contact_date,
        count(*) FILTER (WHERE contact_type = 'first_contact' AND outcome = 'did_not_attend')     AS first_contact_dnas,
        count(*) FILTER (WHERE contact_type = 'session' AND outcome = 'attended')                 AS sessions_attended,
        count(*) FILTER (WHERE contact_type = 'session' AND outcome = 'did_not_attend')           AS sessions_dna,
        min(contact_date) FILTER (WHERE contact_type = 'session' AND outcome = 'attended')         AS first_session_date
    FROM contacts
    GROUP BY referral_id
)
SELECT
    r.referral_id,
    r.client_id,
    r.received_date,
    CAST(date_trunc('month', r.received_date) AS DATE)                   AS received_month,
    r.referral_source,
    r.referrer_org_code,
    r.referrer_org_name,
    r.referrer_team,
    r.referrer_clinician,
    r.source_reference,
    r.reason,
    r.status,
    r.closed_date,
    r.closure_reason,
    j.first_contact_attempt_date,
    j.first_contact_date,
    date_diff('day', r.received_date, j.first_contact_date)              AS days_to_first_contact,
    coalesce(j.first_contact_dnas, 0)                                    AS first_contact_dnas,
    j.first_session_date,
    coalesce(j.sessions_attended, 0)                                     AS sessions_attended,
    coalesce(j.sessions_dna, 0)                                          AS sessions_dna,
    r.source                                                             AS source
FROM referrals r
LEFT JOIN journey j USING (referral_id)
ORDER BY r.referral_id;

COMMENT ON TABLE core.referral IS 'Referrals received by the social prescribing service, one row per referral id, with the referring clinician, team and organisation and the journey''s milestones (first contact, sessions, closure).';
COMMENT ON COLUMN core.referral.referral_id IS 'Referral id in the social prescribing system.';
COMMENT ON COLUMN core.referral.client_id IS 'Client id in the social prescribing system (a person-level record).';
COMMENT ON COLUMN core.referral.received_date IS 'Date the service received the referral.';
COMMENT ON COLUMN core.referral.received_month IS 'First day of the calendar month the referral was received; the month used in referral figures.';
COMMENT ON COLUMN core.referral.referral_source IS 'Where the referral came from: mental_health (sent by the mental health EPR through interoperability), gp, self, …';
COMMENT ON COLUMN core.referral.referrer_org_code IS 'ODS code of the referring organisation; NULL for self-referrals.';
COMMENT ON COLUMN core.referral.referrer_org_name IS 'Name of the referring organisation as sent.';
COMMENT ON COLUMN core.referral.referrer_team IS 'Requesting team (e.g. Community Mental Health Team North); NULL when the referrer sent none.';
COMMENT ON COLUMN core.referral.referrer_clinician IS 'Requesting clinician as sent (display name). Identifies a member of staff, not a patient.';
COMMENT ON COLUMN core.referral.source_reference IS 'Referrer''s own reference; for mental health referrals the FHIR ServiceRequest id.';
COMMENT ON COLUMN core.referral.reason IS 'Reason for referral, e.g. Social isolation.';
COMMENT ON COLUMN core.referral.status IS 'open or closed.';
COMMENT ON COLUMN core.referral.closed_date IS 'Date the referral was closed; NULL while open.';
COMMENT ON COLUMN core.referral.closure_reason IS 'Why the referral closed: completed, declined or disengaged; NULL while open.';
COMMENT ON COLUMN core.referral.first_contact_attempt_date IS 'Date of the first first-contact appointment, attended or not.';
COMMENT ON COLUMN core.referral.first_contact_date IS 'Date of the first attended first contact; NULL if the client was never reached.';
COMMENT ON COLUMN core.referral.days_to_first_contact IS 'Days from receipt to the first attended first contact.';
COMMENT ON COLUMN core.referral.first_contact_dnas IS 'First-contact appointments the client did not attend.';
COMMENT ON COLUMN core.referral.first_session_date IS 'Date of the first attended session after first contact; NULL if none.';
COMMENT ON COLUMN core.referral.sessions_attended IS 'Sessions attended.';
COMMENT ON COLUMN core.referral.sessions_dna IS 'Sessions not attended (did not attend).';
COMMENT ON COLUMN core.referral.source IS 'Source (feed) name from the configuration.';
