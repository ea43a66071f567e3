-- Grain: one row per record-view event (audit event id) in the portal.
-- Rows are in the order of the run that landed the event, then event id: a
-- night that updates the warehouse in place (incremental/core__record_access.sql)
-- adds the night's new events at the end and moves only the events whose
-- person changed, so its table is row for row the one a full build makes.
CREATE TABLE core.record_access AS
WITH valid_nhs AS (
    SELECT nhs_number, min(person_id) AS person_id
    FROM landing.person_link
    WHERE nhs_number IS NOT NULL
    GROUP BY nhs_number
)
SELECT
    e.event_id,
    e.accessed_at,
    CAST(timezone(getvariable('region_timezone'), e.accessed_at) AS DATE)                      AS access_date,
    CAST(date_trunc('month', timezone(getvariable('region_timezone'), e.accessed_at)) AS DATE) AS access_month,
    e.user_id,
    e.org_code,
    e.role,
    e.nhs_number,
    v.person_id,
    e.sections,
    e.reason
FROM intermediate.int_access_events_deduplicated e
LEFT JOIN valid_nhs v USING (nhs_number)
ORDER BY e.landed_run, e.event_id;

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

-- Every month is new to whatever is made from this table (the usage marts,
-- the analytics database): a night that updates the rest of the warehouse
-- in place builds this table in full when a portal file was landed again.
INSERT INTO meta.record_access_changed_from
SELECT min(access_month) FROM core.record_access HAVING count(*) > 0;
