-- Grain: one row per person in the person index (golden record).
-- Survivorship, the same rule for every field: the value from the most
-- trusted system that has one — GP (the registered list, kept up to date with
-- the national demographics service), then the acute hospital, mental health,
-- social care, social prescribing — and within a system the most recently
-- updated record (GP last_updated), then the record key for a stable tie-break.
-- The records come in that order (rank) from
-- intermediate.int_person_records_ranked, shared with core.person_history.
CREATE TABLE core.person AS
SELECT
    person_id,
    arg_min(nhs_number, rank) FILTER (WHERE nhs_number IS NOT NULL)               AS nhs_number,
    arg_min(given_name, rank) FILTER (WHERE given_name IS NOT NULL)               AS given_name,
    arg_min(family_name, rank) FILTER (WHERE family_name IS NOT NULL)             AS family_name,
    arg_min(date_of_birth, rank) FILTER (WHERE date_of_birth IS NOT NULL)         AS date_of_birth,
    coalesce(arg_min(sex, rank) FILTER (WHERE sex <> 'U'), 'U')                AS sex,
    arg_min(postcode, rank) FILTER (WHERE postcode IS NOT NULL)                   AS postcode,
    arg_min(postcode_district, rank) FILTER (WHERE postcode_district IS NOT NULL) AS postcode_district,
    count(*)                                                          AS source_records,
    CAST(bit_count(bit_or(system_bit)) AS BIGINT)                     AS source_systems
FROM intermediate.int_person_records_ranked
GROUP BY person_id
ORDER BY person_id;

COMMENT ON TABLE core.person IS 'The person index: one row per person, with a golden record taken field by field from the most trusted system that has a value (GP, acute, mental health, social care, social prescribing), most recent first.';
COMMENT ON COLUMN core.person.person_id IS 'Persistent person id; kept from run to run for the same person.';
COMMENT ON COLUMN core.person.nhs_number IS 'Valid NHS number (Modulus 11), ten digits; NULL when no linked record has one. Identifiable.';
COMMENT ON COLUMN core.person.given_name IS 'Standardised given name(s): upper case, no accents, punctuation or titles. Identifiable.';
COMMENT ON COLUMN core.person.family_name IS 'Standardised family name. Identifiable.';
COMMENT ON COLUMN core.person.date_of_birth IS 'Date of birth. Identifiable.';
COMMENT ON COLUMN core.person.sex IS 'Sex: M, F, I (indeterminate or other) or U (not known), mapped from each source''s coding.';
COMMENT ON COLUMN core.person.postcode IS 'Standardised UK postcode (e.g. BS1 4DJ). Identifiable.';
COMMENT ON COLUMN core.person.postcode_district IS 'Postcode district (outward code, e.g. BS1).';
COMMENT ON COLUMN core.person.source_records IS 'Number of source records linked to this person.';
COMMENT ON COLUMN core.person.source_systems IS 'Number of different systems (GP, acute, …) holding a record of this person.';
