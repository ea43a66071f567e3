-- Grain: one row per person in the person index (golden record).
-- Survivorship: every field comes from the person's most recently updated
-- GP record (latest last_updated, then record key for a stable tie-break).
CREATE TABLE core.person AS
WITH recs AS (
    SELECT l.*, g.last_updated
    FROM landing.person_link l
    LEFT JOIN staging.stg_gp__patients g
      ON l.source = g.source AND l.entity = 'patients' AND l.record_key = g.record_key
)
SELECT
    person_id,
    arg_max(nhs_number, (nhs_number IS NOT NULL, last_updated, record_key)) AS nhs_number,
    arg_max(given_name, (last_updated, record_key))        AS given_name,
    arg_max(family_name, (last_updated, record_key))       AS family_name,
    arg_max(date_of_birth, (last_updated, record_key))     AS date_of_birth,
    arg_max(sex, (last_updated, record_key))               AS sex,
    arg_max(postcode, (last_updated, record_key))          AS postcode,
    arg_max(postcode_district, (last_updated, record_key)) AS postcode_district,
    count(*)                                               AS source_records
FROM recs
GROUP BY person_id
ORDER BY person_id;

COMMENT ON TABLE core.person IS 'The person index: one row per person, with the golden record taken from the most recently updated source record.';
COMMENT ON COLUMN core.person.person_id IS 'Persistent person id; kept from run to run for the same person.';
COMMENT ON COLUMN core.person.nhs_number IS 'Valid NHS number (Modulus 11), ten digits; NULL when no linked record has one. Identifiable.';
COMMENT ON COLUMN core.person.given_name IS 'Standardised given name(s): upper case, no accents, punctuation or titles. Identifiable.';
COMMENT ON COLUMN core.person.family_name IS 'Standardised family name. Identifiable.';
COMMENT ON COLUMN core.person.date_of_birth IS 'Date of birth. Identifiable.';
COMMENT ON COLUMN core.person.sex IS 'Sex: M, F, I (indeterminate or other) or U (not known), mapped from each source''s coding.';
COMMENT ON COLUMN core.person.postcode IS 'Standardised UK postcode (e.g. BS1 4DJ). Identifiable.';
COMMENT ON COLUMN core.person.postcode_district IS 'Postcode district (outward code, e.g. BS1).';
COMMENT ON COLUMN core.person.source_records IS 'Number of source records linked to this person.';
