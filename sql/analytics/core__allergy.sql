-- Grain: one row per allergy or intolerance record in a source, pseudonymised.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.allergy AS
SELECT
    CASE WHEN a.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    a.source, a.system, a.snomed_code, a.description, a.recorded_date, a.status, a.verification_status, a.criticality
FROM wh.core.allergy a
LEFT JOIN person_pseudonym pp ON pp.person_id = a.person_id
ORDER BY a.source, pp.pseudo_rank, a.recorded_date, a.snomed_code, a.description, a.status;

COMMENT ON TABLE core.allergy IS 'Allergies and intolerances from the GP record and the mental health EPR, pseudonymised: record ids are dropped.';
COMMENT ON COLUMN core.allergy.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
