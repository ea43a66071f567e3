-- Grain: one row per calendar month (region time zone) × organisation type
-- × section of the record, for every combination viewed at least once. A
-- view that opens several sections counts once under each.
--
-- Made from every record view in a full build. A night that updates the
-- warehouse in place (the variable incremental_run names its run; see
-- load.Build) keeps the previous night's table, whose rows are ordered by
-- month first, and makes again only the months from the earliest one the
-- night changed in core.record_access (meta.record_access_changed_from: in
-- a normal night the current one), at the end, where a full build puts
-- them; every month when an organisation's type changed
-- (meta.organisation_types_changed). The table is then row for row the
-- full build's (TestIncrementalWarehouse), at the cost of the months made
-- again, not of every view ever logged.
SET VARIABLE usage_from = (
    SELECT CASE WHEN getvariable('incremental_run') IS NULL
                  OR (SELECT bool_or(changed) FROM meta.organisation_types_changed) THEN DATE '0001-01-01'
                ELSE (SELECT min(access_month) FROM meta.record_access_changed_from) END);
CREATE TABLE IF NOT EXISTS marts.usage_by_section (
    month           DATE,
    org_type        VARCHAR,
    section         VARCHAR,
    records_viewed  BIGINT,
    active_users    BIGINT,
    patients_viewed BIGINT
);
DELETE FROM marts.usage_by_section WHERE month >= getvariable('usage_from');

-- The build reorders freely elsewhere; these rows go in in this order.
SET preserve_insertion_order = true;
INSERT INTO marts.usage_by_section
WITH sections AS (
    SELECT a.access_month, a.org_code, a.user_id, a.nhs_number, unnest(a.sections) AS section
    FROM core.record_access a
    WHERE a.access_month >= getvariable('usage_from')
)
SELECT
    s.access_month                                        AS month,
    coalesce(o.org_type, 'unknown')                       AS org_type,
    coalesce(nullif(trim(s.section), ''), 'not recorded') AS section,
    count(*)                                              AS records_viewed,
    count(DISTINCT s.user_id)                             AS active_users,
    count(DISTINCT s.nhs_number)                          AS patients_viewed
FROM sections s
LEFT JOIN core.organisation o USING (org_code)
GROUP BY ALL
ORDER BY month, org_type, section;
SET preserve_insertion_order = false;

COMMENT ON TABLE marts.usage_by_section IS 'Record views by month, organisation type and section of the record viewed (medications, allergies, …).';
COMMENT ON COLUMN marts.usage_by_section.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_section.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_section.section IS 'Section of the record viewed.';
COMMENT ON COLUMN marts.usage_by_section.records_viewed IS 'Record views that opened the section (a view opening several sections counts under each, so rows add up to more than the views).';
COMMENT ON COLUMN marts.usage_by_section.active_users IS 'Distinct users who opened the section in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_section.patients_viewed IS 'Distinct patients (NHS numbers) whose section was opened (not additive across rows).';
