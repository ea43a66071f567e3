-- Grain: one row per event in a social prescribing referral's journey:
-- its receipt, each contact (first contact, session, follow-up) with its
-- outcome, and its closure.
CREATE TABLE core.referral_event AS
WITH referrals AS (
    SELECT *
    FROM staging.stg_socialprescribing__referrals
    QUALIFY row_number() OVER (PARTITION BY referral_id ORDER BY source_file, source_position) = 1
),
contacts AS (
    SELECT *
    FROM staging.stg_socialprescribing__contacts
    QUALIFY row_number() OVER (PARTITION BY contact_id ORDER BY source_file, source_position) = 1
)
SELECT referral_id, received_date AS event_date, 'received' AS event, CAST(NULL AS VARCHAR) AS contact_id, CAST(NULL AS VARCHAR) AS contact_mode
FROM referrals
UNION ALL
SELECT referral_id, contact_date,
       contact_type || '_' || CASE outcome WHEN 'attended' THEN 'attended' WHEN 'did_not_attend' THEN 'dna' ELSE coalesce(outcome, 'unknown') END,
       contact_id, contact_mode
FROM contacts
UNION ALL
SELECT referral_id, closed_date, 'closed_' || coalesce(closure_reason, 'unknown'), NULL, NULL
FROM referrals
WHERE closed_date IS NOT NULL
ORDER BY referral_id, event_date, event, contact_id;

COMMENT ON TABLE core.referral_event IS 'The journey of each social prescribing referral as events: received, contacts with their outcome, closure.';
COMMENT ON COLUMN core.referral_event.referral_id IS 'Referral (core.referral.referral_id).';
COMMENT ON COLUMN core.referral_event.event_date IS 'Date of the event.';
COMMENT ON COLUMN core.referral_event.event IS 'received; first_contact_attended, first_contact_dna, session_attended, session_dna, follow_up_attended, follow_up_dna; closed_completed, closed_declined, closed_disengaged.';
COMMENT ON COLUMN core.referral_event.contact_id IS 'Contact id for contact events; NULL otherwise.';
COMMENT ON COLUMN core.referral_event.contact_mode IS 'face_to_face, phone or video for contact events; NULL otherwise.';
