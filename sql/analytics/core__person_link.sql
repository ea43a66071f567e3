-- Grain: one row per person-level source record in the person index, with
-- the person's pseudonym; the source record key (hospital number, GP patient
-- id, …) is dropped.
CREATE TABLE core.person_link AS
SELECT
    pseudonym('person:' || person_id) AS pseudo_id,
    source, system, entity, match_rule, nhs_number_status
FROM wh.core.person_link
ORDER BY pseudo_id, source, entity, match_rule, nhs_number_status;

COMMENT ON TABLE core.person_link IS 'Which sources hold a record of each person and how the record was linked, pseudonymised: source record keys are dropped.';
COMMENT ON COLUMN core.person_link.pseudo_id IS 'Person the record is linked to (core.person.pseudo_id).';
