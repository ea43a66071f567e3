-- Grain: one row per encounter that tonight's run landed a message about.
-- Run in place of intermediate/int_encounter_rollup.sql on a night that
-- updates the warehouse in place. intermediate.int_encounter_partial rolls
-- up only tonight's messages; an encounter the previous night's warehouse
-- holds is merged with its row of core.encounter and the order keys of
-- meta.encounter_rollup, field by field: the admit time is the earlier, the
-- discharge time the later, the messages add up, and every other field is
-- taken from the side whose message is the later (for the class, location
-- and service, the later that carried one). The result is what a roll-up
-- of every message about the encounter gives (TestEncounterRollupMerge),
-- at the cost of tonight's messages and a probe of the two tables with
-- tonight's encounters, not a read of every message ever landed.
CREATE TABLE intermediate.int_encounter_rollup AS
WITH before AS (
    SELECT s.source, s.encounter_id, s.latest, s.class_at, s.location_at, s.service_at,
           s.discharge_time, s.first_run,
           e.record_key, e.last_event, e.class_code, e.location, e.organisation_code, e.service,
           e.start_at, e.end_at, e.status, e.messages
    FROM meta.encounter_rollup s
    JOIN core.encounter e ON e.source = s.source AND e.encounter_id = s.encounter_id
    WHERE EXISTS (SELECT 1 FROM intermediate.int_encounter_partial n
                  WHERE n.source = s.source AND n.encounter_id = s.encounter_id)
)
SELECT
    n.source,
    n.encounter_id,
    n.system,
    greatest(n.latest, b.latest)                                            AS latest,
    CASE WHEN b.latest IS NULL OR n.latest > b.latest THEN n.record_key ELSE b.record_key END AS record_key,
    CASE WHEN b.latest IS NULL OR n.latest > b.latest THEN n.last_event ELSE b.last_event END AS last_event,
    greatest(n.class_at, b.class_at)                                        AS class_at,
    CASE WHEN b.class_at IS NULL OR n.class_at > b.class_at THEN n.class_code ELSE b.class_code END AS class_code,
    greatest(n.location_at, b.location_at)                                  AS location_at,
    CASE WHEN b.location_at IS NULL OR n.location_at > b.location_at THEN n.location ELSE b.location END AS location,
    CASE WHEN b.location_at IS NULL OR n.location_at > b.location_at THEN n.organisation_code ELSE b.organisation_code END AS organisation_code,
    greatest(n.service_at, b.service_at)                                    AS service_at,
    CASE WHEN b.service_at IS NULL OR n.service_at > b.service_at THEN n.service ELSE b.service END AS service,
    -- A mental health Encounter's copy is whole: its start is the latest
    -- copy's, as its other fields are.
    CASE WHEN n.system = 'mentalhealth' THEN
             CASE WHEN b.latest IS NULL OR n.latest > b.latest THEN n.start_at ELSE b.start_at END
         ELSE least(n.start_at, b.start_at) END                             AS start_at,
    greatest(n.discharge_time, b.discharge_time)                            AS discharge_time,
    CASE WHEN b.latest IS NULL OR n.latest > b.latest THEN n.end_at ELSE b.end_at END AS end_at,
    CASE WHEN b.latest IS NULL OR n.latest > b.latest THEN n.status ELSE b.status END AS status,
    CASE WHEN n.system = 'mentalhealth' THEN n.messages ELSE n.messages + coalesce(b.messages, 0) END AS messages,
    least(n.first_run, b.first_run)                                         AS first_run
FROM intermediate.int_encounter_partial n
LEFT JOIN before b ON b.source = n.source AND b.encounter_id = n.encounter_id;
