-- Grain: one row per record-view event (audit event id) in the portal,
-- linked to the person index by NHS number.
--
-- Rows are in the order of the run that landed the event, then event id,
-- and the first landed copy of an id is kept. A full build adds every
-- event to an empty table. A night that updates the warehouse in place
-- keeps the previous night's table, and
-- intermediate.int_access_events_deduplicated holds only the events
-- tonight's run landed: those with an id the table does not hold yet are
-- added at the end, which is where a full build puts them (their run is
-- the latest); an id the table holds was landed first by an earlier run.
-- Either way every event whose NHS number now belongs to another person,
-- or to no one, gets its new person_id. The table is then row for row
-- what a full build makes from the same lake (TestIncrementalWarehouse),
-- at the cost of the night's events and a probe of the table, not a read
-- of every event ever landed. (A portal file landed again makes the night
-- build this table in full: see load.rebuiltInFull.)
CREATE TABLE IF NOT EXISTS core.record_access (
    event_id     VARCHAR,
    accessed_at  TIMESTAMP WITH TIME ZONE,
    access_date  DATE,
    access_month DATE,
    user_id      VARCHAR,
    org_code     VARCHAR,
    role         VARCHAR,
    nhs_number   VARCHAR,
    person_id    BIGINT,
    sections     VARCHAR[],
    reason       VARCHAR
);

CREATE TEMP TABLE access_new AS
SELECT e.*
FROM intermediate.int_access_events_deduplicated e
WHERE NOT EXISTS (SELECT 1 FROM core.record_access r WHERE r.event_id = e.event_id);

-- An event's person is the smallest person_id of the records carrying its
-- NHS number. It changes only if one of those records is new, gone, or
-- moved to another person: the records landing.person_moved lists (see
-- incremental/core__encounter.sql; a full build starts from an empty
-- table). So the events to look at again are those whose NHS number a
-- listed record carries now, and those whose person a listed record had
-- before (a gone record's NHS number is not in the index any more, but
-- its person was).
CREATE TEMP TABLE access_nhs_moved AS
SELECT DISTINCT l.nhs_number
FROM landing.person_link l
JOIN landing.person_moved m ON m.source = l.source AND m.entity = l.entity AND m.record_key = l.record_key
WHERE l.nhs_number IS NOT NULL;

CREATE TEMP TABLE access_person AS
WITH numbers AS (
    SELECT nhs_number FROM access_new WHERE nhs_number IS NOT NULL
    UNION
    SELECT r.nhs_number
    FROM core.record_access r
    WHERE r.nhs_number IN (SELECT nhs_number FROM access_nhs_moved)
       OR r.person_id IN (SELECT previous_person_id FROM landing.person_moved WHERE previous_person_id IS NOT NULL)
)
SELECT n.nhs_number, min(l.person_id) AS person_id
FROM numbers n
LEFT JOIN landing.person_link l ON l.nhs_number = n.nhs_number
GROUP BY n.nhs_number;

CREATE TEMP TABLE access_repointed AS
SELECT r.rowid AS access_row, r.access_month, p.person_id
FROM core.record_access r
JOIN access_person p ON p.nhs_number = r.nhs_number
WHERE r.person_id IS DISTINCT FROM p.person_id;

UPDATE core.record_access AS r
SET person_id = p.person_id
FROM access_repointed p
WHERE r.rowid = p.access_row;

-- The build reorders freely elsewhere; these rows go in in this order.
SET preserve_insertion_order = true;
INSERT INTO core.record_access
SELECT
    e.event_id,
    e.accessed_at,
    CAST(timezone(getvariable('region_timezone'), e.accessed_at) AS DATE)                      AS access_date,
    CAST(date_trunc('month', timezone(getvariable('region_timezone'), e.accessed_at)) AS DATE) AS access_month,
    e.user_id,
    e.org_code,
    e.role,
    e.nhs_number,
    p.person_id,
    e.sections,
    e.reason
FROM access_new e
LEFT JOIN access_person p USING (nhs_number)
ORDER BY e.landed_run, e.event_id;
SET preserve_insertion_order = false;

-- The earliest month the build changed (the first, in a full build), for
-- the usage marts and the analytics database: every month from it on is
-- made again there.
INSERT INTO meta.record_access_changed_from
SELECT min(access_month)
FROM (
    SELECT CAST(date_trunc('month', timezone(getvariable('region_timezone'), accessed_at)) AS DATE) AS access_month FROM access_new
    UNION ALL
    SELECT access_month FROM access_repointed
)
HAVING count(*) > 0;

DROP TABLE access_new;
DROP TABLE access_nhs_moved;
DROP TABLE access_person;
DROP TABLE access_repointed;

COMMENT ON TABLE core.record_access IS 'Every view of a shared care record in the portal, from its audit log, linked to the person index by NHS number.';
COMMENT ON COLUMN core.record_access.event_id IS 'Audit event id (unique).';
COMMENT ON COLUMN core.record_access.accessed_at IS 'When the record was viewed (timestamp with time zone).';
COMMENT ON COLUMN core.record_access.access_date IS 'Local calendar date of the view in the region''s time zone.';
COMMENT ON COLUMN core.record_access.access_month IS 'First day of the local calendar month of the view; the month used in every usage figure.';
COMMENT ON COLUMN core.record_access.user_id IS 'Portal user who viewed the record.';
COMMENT ON COLUMN core.record_access.org_code IS 'ODS code of the viewing user''s organisation.';
COMMENT ON COLUMN core.record_access.role IS 'Role of the viewing user at the time of the view.';
COMMENT ON COLUMN core.record_access.nhs_number IS 'NHS number of the patient viewed, as logged (spaces and dashes removed). Identifiable.';
COMMENT ON COLUMN core.record_access.person_id IS 'Person viewed (core.person), when the NHS number is valid and in the person index.';
COMMENT ON COLUMN core.record_access.sections IS 'Sections of the record viewed, e.g. medications, allergies.';
COMMENT ON COLUMN core.record_access.reason IS 'Reason for access given by the user.';
