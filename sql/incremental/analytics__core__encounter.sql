-- Grain: as the analytics core.encounter. Run in place of
-- analytics/core__encounter.sql when the warehouse was updated in place
-- from the warehouse this analytics database was built from: the build
-- starts from a copy of this database, keeps its core.encounter, and
-- pseudonymises only what the warehouse says the night changed, without
-- reading the warehouse's whole table (it scanned it for the changed
-- rows): the encounters rolled up again (meta.encounter_changed_rows),
-- changed where they are (found by encounter pseudonym) or added at the
-- end in the warehouse's order, which is where a full build puts them;
-- and the encounters moved to another person (meta.encounter_moved_rows).
CREATE TEMP TABLE encounter_changed AS
SELECT
    pseudonym('encounter:' || e.source || '/' || e.encounter_id) AS encounter_pseudo_id,
    CASE WHEN e.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    e.source, e.system, e.class_code, e.class, e.location, e.service, e.organisation_code,
    e.start_at, e.end_at, e.status, e.last_event, e.messages,
    e.first_run, e.encounter_id
FROM wh.meta.encounter_changed_rows e
LEFT JOIN person_pseudonym pp ON pp.person_id = e.person_id;

UPDATE core.encounter AS a
SET pseudo_id = c.pseudo_id, source = c.source, system = c.system, class_code = c.class_code,
    class = c.class, location = c.location, service = c.service, organisation_code = c.organisation_code,
    start_at = c.start_at, end_at = c.end_at, status = c.status, last_event = c.last_event, messages = c.messages
FROM encounter_changed c
WHERE a.encounter_pseudo_id = c.encounter_pseudo_id;

SET preserve_insertion_order = true;
INSERT INTO core.encounter
SELECT c.* EXCLUDE (first_run, encounter_id)
FROM encounter_changed c
WHERE NOT EXISTS (SELECT 1 FROM core.encounter a WHERE a.encounter_pseudo_id = c.encounter_pseudo_id)
ORDER BY c.first_run, c.source, c.encounter_id;
SET preserve_insertion_order = false;

UPDATE core.encounter AS a
SET pseudo_id = m.pseudo_id
FROM (
    SELECT pseudonym('encounter:' || e.source || '/' || e.encounter_id) AS encounter_pseudo_id,
           CASE WHEN e.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id
    FROM wh.meta.encounter_moved_rows e
    LEFT JOIN person_pseudonym pp ON pp.person_id = e.person_id
) m
WHERE a.encounter_pseudo_id = m.encounter_pseudo_id;

DROP TABLE encounter_changed;
