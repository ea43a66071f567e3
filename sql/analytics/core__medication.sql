-- Grain: one row per medication record in a source (GP medication, mental
-- health MedicationRequest/Statement), pseudonymised; dosage text dropped.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.medication AS
SELECT
    CASE WHEN m.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    m.source, m.system, m.record_type, m.snomed_code, m.description, m.start_date, m.end_date, m.status
FROM wh.core.medication m
LEFT JOIN person_pseudonym pp ON pp.person_id = m.person_id
ORDER BY m.source, pp.pseudo_rank, m.start_date, m.snomed_code, m.description, m.end_date, m.status, m.record_type;

COMMENT ON TABLE core.medication IS 'Medications from the GP record and the mental health EPR, pseudonymised: record ids and free-text dosage are dropped.';
COMMENT ON COLUMN core.medication.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
