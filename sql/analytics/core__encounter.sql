-- Grain: one row per encounter (acute visit or mental health Encounter), as
-- in the warehouse, pseudonymised: visit numbers and record keys dropped.
CREATE TABLE core.encounter AS
SELECT
    pseudonym('encounter:' || source || '/' || encounter_id) AS encounter_pseudo_id,
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, class_code, class, location, service, organisation_code,
    start_at, end_at, status, last_event, messages
FROM wh.core.encounter
ORDER BY encounter_pseudo_id;

COMMENT ON TABLE core.encounter IS 'Encounters from acute (HL7 visits, one row per visit) and mental health (FHIR Encounter), pseudonymised.';
COMMENT ON COLUMN core.encounter.encounter_pseudo_id IS 'Keyed pseudonym of the encounter (HMAC of source and visit number or Encounter id).';
COMMENT ON COLUMN core.encounter.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the source record is not in the person index.';
