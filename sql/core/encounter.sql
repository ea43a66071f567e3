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

-- What a night updating the warehouse in place needs, besides the row of
-- core.encounter, to merge an encounter's roll-up with tonight's messages
-- (incremental/intermediate__int_encounter_rollup.sql): the order keys of
-- the messages its fields came from, the latest discharge time (which a
-- cancelling message hides from end_at) and the run that first landed it.
CREATE TABLE meta.encounter_rollup AS
SELECT source, encounter_id, latest, class_at, location_at, service_at, discharge_time, first_run
FROM intermediate.int_encounter_rollup
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

COMMENT ON TABLE meta.encounter_rollup IS 'Build state, one row per row of core.encounter: what a night needs to merge an encounter with the messages it brought without reading every message ever landed. Not for analysis.';
COMMENT ON COLUMN meta.encounter_rollup.source IS 'core.encounter.source.';
COMMENT ON COLUMN meta.encounter_rollup.encounter_id IS 'core.encounter.encounter_id.';
COMMENT ON COLUMN meta.encounter_rollup.latest IS 'Order key (event or admit time, landed file, position in it) of the latest message about the encounter: record_key, last_event and, for mental health, every field come from it.';
COMMENT ON COLUMN meta.encounter_rollup.class_at IS 'Order key of the latest message that carried a class (class_code).';
COMMENT ON COLUMN meta.encounter_rollup.location_at IS 'Order key of the latest message that carried a location (location, organisation_code).';
COMMENT ON COLUMN meta.encounter_rollup.service_at IS 'Order key of the latest message that carried a service.';
COMMENT ON COLUMN meta.encounter_rollup.discharge_time IS 'The latest discharge time of any message (end_at is NULL when the latest message cancels it).';
COMMENT ON COLUMN meta.encounter_rollup.first_run IS 'The run that first landed a message about the encounter (rows of core.encounter are in this order).';
