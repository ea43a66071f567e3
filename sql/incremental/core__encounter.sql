-- Grain: as core.encounter. Run in place of core/encounter.sql on a night
-- that updates the warehouse in place: the build starts from a copy of the
-- previous night's warehouse, whose core.encounter it keeps, and
-- staging.int_rolled_up_encounters holds only the encounters tonight's run
-- landed a message about (intermediate.int_encounter_scope), each rolled up
-- from all of its messages. Those the table has are changed where they
-- are; new ones are added at the end, in the order a full build gives them
-- (they were first landed by tonight's run, the latest); and every
-- encounter whose record is now another person's, or no one's, gets its
-- new person_id. The table is then row for row what core/encounter.sql
-- would make from the same lake (TestIncrementalWarehouse), at the cost of
-- the night's encounters and a probe of the table with the keys of the
-- records that changed person, not a roll-up of every message ever landed.
CREATE TEMP TABLE encounter_tonight AS
SELECT * FROM staging.int_rolled_up_encounters;

UPDATE core.encounter AS e
SET record_key = t.record_key, person_id = t.person_id, system = t.system,
    class_code = t.class_code, class = t.class, location = t.location, service = t.service,
    organisation_code = t.organisation_code, start_at = t.start_at, end_at = t.end_at,
    status = t.status, last_event = t.last_event, messages = t.messages
FROM encounter_tonight t
WHERE e.source = t.source AND e.encounter_id = t.encounter_id;

-- The build reorders freely elsewhere; these rows go in in this order.
SET preserve_insertion_order = true;
INSERT INTO core.encounter
SELECT t.* EXCLUDE (first_run)
FROM encounter_tonight t
WHERE NOT EXISTS (SELECT 1 FROM core.encounter e WHERE e.source = t.source AND e.encounter_id = t.encounter_id)
ORDER BY t.first_run, t.source, t.encounter_id;
SET preserve_insertion_order = false;

-- Encounters whose record is now another person's, or no one's: only the
-- records the person index says changed person since the index the
-- previous warehouse was built from (landing.person_moved; load.inPlaceBase
-- checks which index that was) can have any, since every other encounter
-- already has its record's person. Their new person is looked up for those
-- records alone, so the table is only probed with a small set of keys.
CREATE TEMP TABLE encounter_moved AS
WITH moved_keys AS (
    SELECT m.source, m.record_key, k.person_id
    FROM (SELECT DISTINCT source, record_key FROM landing.person_moved) m
    LEFT JOIN intermediate.int_person_keys k ON k.source = m.source AND k.record_key = m.record_key
)
SELECT c.source, c.encounter_id, m.person_id
FROM core.encounter c
JOIN moved_keys m ON m.source = c.source AND m.record_key = c.record_key
WHERE m.person_id IS DISTINCT FROM c.person_id;

UPDATE core.encounter AS e
SET person_id = n.person_id
FROM encounter_moved n
WHERE e.source = n.source AND e.encounter_id = n.encounter_id;

-- What changed, for the analytics database, which then need not read the
-- table: the rows rolled up again as they are now (tonight's roll-up
-- already has each record's current person), and the persons moved.
INSERT INTO meta.encounter_changed_rows BY NAME
SELECT * FROM encounter_tonight;

INSERT INTO meta.encounter_moved_rows BY NAME
SELECT source, encounter_id, person_id FROM encounter_moved;

DROP TABLE encounter_tonight;
DROP TABLE encounter_moved;
