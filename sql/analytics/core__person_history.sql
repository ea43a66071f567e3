-- Grain: one row per version of a person's golden record (person × valid
-- from), as in the warehouse's core.person_history, pseudonymised. Only
-- non-identifying attributes are kept, so versions that differed only in a
-- name, NHS number, date of birth or postcode look alike here.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.person_history AS
SELECT
    coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) AS pseudo_id,
    h.version, h.valid_from, h.valid_to, h.is_current,
    year(h.date_of_birth) AS birth_year,
    h.sex, h.postcode_district, h.source_records, h.source_systems, h.arrived_systems
FROM wh.core.person_history h
LEFT JOIN person_pseudonym pp ON pp.person_id = h.person_id
ORDER BY pp.pseudo_rank, h.version;

COMMENT ON TABLE core.person_history IS 'History of each person''s golden record (SCD type 2) as source records arrived, pseudonymised; see core.person_history in the warehouse for exactly what it captures.';
COMMENT ON COLUMN core.person_history.pseudo_id IS 'Person (core.person.pseudo_id).';
COMMENT ON COLUMN core.person_history.birth_year IS 'Year of birth in the version.';
