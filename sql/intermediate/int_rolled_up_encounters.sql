-- Grain: one row per encounter, as core.encounter holds it, plus first_run,
-- the run that first landed a message about it; a view in the staging
-- schema (dropped before publishing) because core/encounter.sql and, on a
-- night that updates the warehouse in place, incremental/core__encounter.sql
-- both read it. It is made from intermediate.int_encounter_rollup: every
-- encounter in a full build; on such a night, only those the night brought
-- a message about, each rolled up from all of its messages.
--
-- An acute hospital visit (source × visit number, PV1-19) or a mental
-- health FHIR Encounter (source × Encounter id). A visit's state is that
-- after its latest message: cancelled by an A11, finished once a
-- discharge time came (unless an A13 cancelled the discharge), arrived
-- after an A04 registration, in progress otherwise.
CREATE VIEW staging.int_rolled_up_encounters AS
SELECT
    u.encounter_id,
    u.source,
    u.system,
    u.record_key,
    k.person_id,
    u.class_code,
    CASE WHEN u.system = 'mentalhealth' THEN
             CASE u.class_code WHEN 'IMP' THEN 'inpatient' WHEN 'AMB' THEN 'outpatient' WHEN 'EMER' THEN 'emergency'
                               WHEN 'HH' THEN 'home' WHEN 'VR' THEN 'virtual' WHEN 'ACUTE' THEN 'inpatient'
                               ELSE lower(u.class_code) END
         ELSE
             CASE u.class_code WHEN 'I' THEN 'inpatient' WHEN 'O' THEN 'outpatient' WHEN 'E' THEN 'emergency'
                               WHEN 'P' THEN 'preadmit' WHEN 'R' THEN 'recurring' WHEN 'B' THEN 'obstetrics'
                               ELSE lower(u.class_code) END
    END                                                                    AS class,
    u.location,
    u.service,
    u.organisation_code,
    u.start_at,
    CASE WHEN u.system = 'mentalhealth' THEN u.end_at
         WHEN u.last_event IN ('A11', 'A13') THEN NULL
         ELSE u.discharge_time END                                          AS end_at,
    CASE WHEN u.system = 'mentalhealth' THEN u.status
         WHEN u.last_event = 'A11' THEN 'cancelled'
         WHEN u.last_event <> 'A13' AND u.discharge_time IS NOT NULL THEN 'finished'
         WHEN u.last_event = 'A04' THEN 'arrived'
         ELSE 'in-progress' END                                            AS status,
    u.last_event,
    u.messages,
    u.first_run
FROM intermediate.int_encounter_rollup u
LEFT JOIN intermediate.int_person_keys k ON k.source = u.source AND k.record_key = u.record_key;
