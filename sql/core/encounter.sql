-- Grain: one row per encounter: an acute hospital visit (source × visit
-- number, PV1-19) or a mental health FHIR Encounter (source × Encounter id),
-- built by staging.int_rolled_up_encounters (intermediate/int_rolled_up_encounters.sql)
-- from every message about it. Rows are in the order of the run that first
-- landed a message about the encounter, then source and encounter id: a
-- night that updates the warehouse in place (incremental/core__encounter.sql)
-- adds the night's new encounters at the end and changes the others where
-- they are, so its table is row for row the one a full build would make.
CREATE TABLE core.encounter AS
SELECT * EXCLUDE (first_run)
FROM staging.int_rolled_up_encounters
ORDER BY first_run, source, encounter_id;

COMMENT ON TABLE core.encounter IS 'Encounters from every source that sends them: acute hospital visits (HL7 v2 ADT PV1, several messages collapsed to one row per visit) and mental health contacts (FHIR Encounter), keyed to the person index.';
COMMENT ON COLUMN core.encounter.encounter_id IS 'Encounter id in its source: the hospital visit number (PV1-19) for acute, the FHIR Encounter id for mental health. Unique with source.';
COMMENT ON COLUMN core.encounter.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.encounter.system IS 'Kind of system the source is: acute or mentalhealth.';
COMMENT ON COLUMN core.encounter.record_key IS 'The person-level record the encounter belongs to: hospital number (MRN) of the latest message for acute, FHIR Patient id for mental health. Identifiable.';
COMMENT ON COLUMN core.encounter.person_id IS 'Person (core.person.person_id); NULL when the source record is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.encounter.class_code IS 'Class as coded by the source: HL7 PV1-2 (I, O, E, …) or FHIR v3 ActCode (IMP, AMB, HH, …).';
COMMENT ON COLUMN core.encounter.class IS 'Class mapped across sources: inpatient, outpatient, emergency, home, virtual, preadmit, recurring, obstetrics.';
COMMENT ON COLUMN core.encounter.location IS 'Point of care (first component of PV1-3, e.g. a ward) for acute; NULL for mental health.';
COMMENT ON COLUMN core.encounter.service IS 'Hospital service or specialty code (PV1-10) for acute; the encounter type for mental health.';
COMMENT ON COLUMN core.encounter.organisation_code IS 'Facility (PV1-3.4) for acute; ODS code of the service provider for mental health.';
COMMENT ON COLUMN core.encounter.start_at IS 'Admission or start time: the earliest PV1-44 of the visit for acute, Encounter.period.start for mental health.';
COMMENT ON COLUMN core.encounter.end_at IS 'Discharge or end time: PV1-45 from the discharge message for acute (NULL if the latest message cancels it), Encounter.period.end for mental health.';
COMMENT ON COLUMN core.encounter.status IS 'State after the latest message, FHIR Encounter.status values: finished, in-progress, arrived (registered, A04), cancelled.';
COMMENT ON COLUMN core.encounter.last_event IS 'HL7 trigger event of the latest message about the visit (A01, A03, A04, A08, …); NULL for mental health.';
COMMENT ON COLUMN core.encounter.messages IS 'Number of landed messages (PV1 segments) collapsed into the row; 1 for mental health.';
