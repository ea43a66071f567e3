-- Grain: one row per medication record in a source (GP medication, mental
-- health MedicationRequest/Statement), pseudonymised; dosage text dropped.
CREATE TABLE core.medication AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, record_type, snomed_code, description, start_date, end_date, status
FROM wh.core.medication
ORDER BY source, pseudo_id, start_date, snomed_code, description, end_date, status, record_type;

COMMENT ON TABLE core.medication IS 'Medications from the GP record and the mental health EPR, pseudonymised: record ids and free-text dosage are dropped.';
COMMENT ON COLUMN core.medication.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
