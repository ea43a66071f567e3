-- Grain: one row per condition record in a source (GP problem, mental health
-- Condition), pseudonymised.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.condition AS
SELECT
    CASE WHEN c.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    c.source, c.system, c.snomed_code, c.description, c.onset_date, c.abatement_date, c.recorded_date, c.status, c.verification_status
FROM wh.core.condition c
LEFT JOIN person_pseudonym pp ON pp.person_id = c.person_id
ORDER BY c.source, pp.pseudo_rank, c.onset_date, c.snomed_code, c.description, c.status;

COMMENT ON TABLE core.condition IS 'Conditions and diagnoses from the GP record and the mental health EPR, pseudonymised: record ids are dropped.';
COMMENT ON COLUMN core.condition.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
