-- Grain: one row per calendar month (region time zone) × organisation type
-- × role of the viewing user, for every combination with at least one record view.
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
CREATE TABLE IF NOT EXISTS marts.usage_by_role (
    month           DATE,
    org_type        VARCHAR,
    role            VARCHAR,
    records_viewed  BIGINT,
    active_users    BIGINT,
    patients_viewed BIGINT
);
DELETE FROM marts.usage_by_role WHERE month >= getvariable('usage_from');

-- The build reorders freely elsewhere; these rows go in in this order.
SET preserve_insertion_order = true;
INSERT INTO marts.usage_by_role
SELECT
    a.access_month                    AS month,
    coalesce(o.org_type, 'unknown')   AS org_type,
    coalesce(nullif(trim(a.role), ''), 'not recorded') AS role,
    count(*)                          AS records_viewed,
    count(DISTINCT a.user_id)         AS active_users,
    count(DISTINCT a.nhs_number)      AS patients_viewed
FROM core.record_access a
LEFT JOIN core.organisation o USING (org_code)
WHERE a.access_month >= getvariable('usage_from')
GROUP BY ALL
ORDER BY month, org_type, role;
SET preserve_insertion_order = false;

COMMENT ON TABLE marts.usage_by_role IS 'Record views by month, organisation type and role of the viewing user: how the record is used.';
COMMENT ON COLUMN marts.usage_by_role.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_role.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_role.role IS 'Role of the viewing user at the time of the view; not recorded when the log gives none.';
COMMENT ON COLUMN marts.usage_by_role.records_viewed IS 'Record-view events in the month (additive across rows).';
COMMENT ON COLUMN marts.usage_by_role.active_users IS 'Distinct users with such a view in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_role.patients_viewed IS 'Distinct patients (NHS numbers) viewed (not additive across rows).';
