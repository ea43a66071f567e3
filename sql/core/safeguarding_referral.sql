-- Grain: one row per safeguarding referral in the social care system (source
-- × referral id), its latest version.
CREATE TABLE core.safeguarding_referral AS
SELECT
    s.referral_id,
    s.source,
    s.system,
    s.record_key,
    k.person_id,
    s.category,
    s.status,
    s.closed_date IS NULL AND s.status IS DISTINCT FROM 'closed' AS is_open,
    s.received_date,
    s.closed_date,
    s.updated_at
FROM staging.stg_socialcare__safeguarding_referrals s
LEFT JOIN intermediate.int_person_keys k ON k.source = s.source AND k.record_key = s.record_key
QUALIFY row_number() OVER (PARTITION BY s.source, s.referral_id ORDER BY s.updated_at DESC NULLS LAST, s.source_file DESC, s.source_position DESC) = 1
ORDER BY s.source, s.referral_id;

COMMENT ON TABLE core.safeguarding_referral IS 'Safeguarding referrals held by social care: whether one is open, its category and dates, keyed to the person index.';
COMMENT ON COLUMN core.safeguarding_referral.referral_id IS 'Safeguarding referral id in the social care system. Unique with source.';
COMMENT ON COLUMN core.safeguarding_referral.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.safeguarding_referral.system IS 'Kind of system the source is: socialcare.';
COMMENT ON COLUMN core.safeguarding_referral.record_key IS 'The social care person id the referral is about. Identifiable.';
COMMENT ON COLUMN core.safeguarding_referral.person_id IS 'Person (core.person.person_id); NULL when the social care person is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.safeguarding_referral.category IS 'Category of concern, e.g. Neglect, Financial abuse.';
COMMENT ON COLUMN core.safeguarding_referral.status IS 'Status as the social care system gives it: open or closed.';
COMMENT ON COLUMN core.safeguarding_referral.is_open IS 'True while the referral is open: no closed date and status not closed.';
COMMENT ON COLUMN core.safeguarding_referral.received_date IS 'Date the referral was received.';
COMMENT ON COLUMN core.safeguarding_referral.closed_date IS 'Date the referral was closed; NULL while open.';
COMMENT ON COLUMN core.safeguarding_referral.updated_at IS 'When the social care system last changed the referral row (its extract watermark).';
