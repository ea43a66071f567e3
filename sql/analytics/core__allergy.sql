-- Grain: one row per allergy or intolerance record in a source, pseudonymised.
CREATE TABLE core.allergy AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, snomed_code, description, recorded_date, status, verification_status, criticality
FROM wh.core.allergy
ORDER BY source, pseudo_id, recorded_date, snomed_code, description, status;

COMMENT ON TABLE core.allergy IS 'Allergies and intolerances from the GP record and the mental health EPR, pseudonymised: record ids are dropped.';
COMMENT ON COLUMN core.allergy.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
