-- Grain: one row per person-level source record in the person index, with
-- the person's pseudonym; the source record key (hospital number, GP patient
-- id, …) is dropped.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.person_link AS
SELECT
    coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) AS pseudo_id,
    l.source, l.system, l.entity, l.match_rule, l.nhs_number_status
FROM wh.core.person_link l
LEFT JOIN person_pseudonym pp ON pp.person_id = l.person_id
ORDER BY pp.pseudo_rank, l.source, l.entity, l.match_rule, l.nhs_number_status;

COMMENT ON TABLE core.person_link IS 'Which sources hold a record of each person and how the record was linked, pseudonymised: source record keys are dropped.';
COMMENT ON COLUMN core.person_link.pseudo_id IS 'Person the record is linked to (core.person.pseudo_id).';
