-- Grain: one row per version of a person's golden record (person × valid
-- from), as in the warehouse's core.person_history, pseudonymised. Only
-- non-identifying attributes are kept, so versions that differed only in a
-- name, NHS number, date of birth or postcode look alike here.
CREATE TABLE core.person_history AS
SELECT
    pseudonym('person:' || person_id) AS pseudo_id,
    version, valid_from, valid_to, is_current,
    year(date_of_birth) AS birth_year,
    sex, postcode_district, source_records, source_systems, arrived_systems
FROM wh.core.person_history
ORDER BY pseudo_id, version;

COMMENT ON TABLE core.person_history IS 'History of each person''s golden record (SCD type 2) as source records arrived, pseudonymised; see core.person_history in the warehouse for exactly what it captures.';
COMMENT ON COLUMN core.person_history.pseudo_id IS 'Person (core.person.pseudo_id).';
COMMENT ON COLUMN core.person_history.birth_year IS 'Year of birth in the version.';
