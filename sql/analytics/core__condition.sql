-- Grain: one row per condition record in a source (GP problem, mental health
-- Condition), pseudonymised.
CREATE TABLE core.condition AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, snomed_code, description, onset_date, abatement_date, recorded_date, status, verification_status
FROM wh.core.condition
ORDER BY source, pseudo_id, onset_date, snomed_code, description, status;

COMMENT ON TABLE core.condition IS 'Conditions and diagnoses from the GP record and the mental health EPR, pseudonymised: record ids are dropped.';
COMMENT ON COLUMN core.condition.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
