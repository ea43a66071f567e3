-- Grain: one row per calendar month (region time zone) × organisation type
-- × reason for access given, for every combination with at least one record view.
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
CREATE TABLE IF NOT EXISTS marts.usage_by_reason (
    month           DATE,
    org_type        VARCHAR,
    reason          VARCHAR,
    records_viewed  BIGINT,
    active_users    BIGINT,
    patients_viewed BIGINT
);
DELETE FROM marts.usage_by_reason WHERE month >= getvariable('usage_from');

-- The build reorders freely elsewhere; these rows go in in this order.
SET preserve_insertion_order = true;
INSERT INTO marts.usage_by_reason
SELECT
    a.access_month                    AS month,
    coalesce(o.org_type, 'unknown')   AS org_type,
    coalesce(nullif(trim(a.reason), ''), 'not recorded') AS reason,
    count(*)                          AS records_viewed,
    count(DISTINCT a.user_id)         AS active_users,
    count(DISTINCT a.nhs_number)      AS patients_viewed
FROM core.record_access a
LEFT JOIN core.organisation o USING (org_code)
WHERE a.access_month >= getvariable('usage_from')
GROUP BY ALL
ORDER BY month, org_type, reason;
SET preserve_insertion_order = false;

COMMENT ON TABLE marts.usage_by_reason IS 'Record views by month, organisation type and reason for access given: how the record is used.';
COMMENT ON COLUMN marts.usage_by_reason.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_reason.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_reason.reason IS 'Reason for access given by the user; not recorded when none was given.';
COMMENT ON COLUMN marts.usage_by_reason.records_viewed IS 'Record-view events in the month (additive across rows).';
COMMENT ON COLUMN marts.usage_by_reason.active_users IS 'Distinct users with such a view in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_reason.patients_viewed IS 'Distinct patients (NHS numbers) viewed (not additive across rows).';
