-- Grain: one row per encounter (acute visit or mental health Encounter), as
-- in the warehouse, pseudonymised: visit numbers and record keys dropped.
-- The person's pseudonym comes from person_pseudonym
-- (temp__person_pseudonym.sql). Rows are in the warehouse's order (the run
-- that first landed a message about the encounter, then source and visit
-- number: nothing start_at does not already tell), so that a night that
-- updated the warehouse in place can update this table in place too
-- (incremental/analytics__core__encounter.sql) and still match a full
-- build row for row.
CREATE TABLE core.encounter AS
SELECT
    pseudonym('encounter:' || e.source || '/' || e.encounter_id) AS encounter_pseudo_id,
    CASE WHEN e.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    e.source, e.system, e.class_code, e.class, e.location, e.service, e.organisation_code,
    e.start_at, e.end_at, e.status, e.last_event, e.messages
FROM wh.core.encounter e
LEFT JOIN person_pseudonym pp ON pp.person_id = e.person_id
ORDER BY e.rowid;

COMMENT ON TABLE core.encounter IS 'Encounters from acute (HL7 visits, one row per visit) and mental health (FHIR Encounter), pseudonymised.';
COMMENT ON COLUMN core.encounter.encounter_pseudo_id IS 'Keyed pseudonym of the encounter (HMAC of source and visit number or Encounter id).';
COMMENT ON COLUMN core.encounter.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
