-- Grain: as marts.usage_by_reason. Run in place of marts/usage_by_reason.sql on a
-- night that updates the warehouse in place: the build starts from a copy
-- of the previous night's warehouse and keeps this mart, whose rows are
-- ordered by month first. Every month from the earliest one the night
-- changed in core.record_access (meta.record_access_changed_from: in a
-- normal night the current one) is taken out and made again at the end,
-- where a full build puts it; every month is made again when an
-- organisation's type changed (meta.organisation_types_changed). The mart
-- is then row for row what the full file makes (TestIncrementalWarehouse),
-- at the cost of the months made again, not of every view ever logged.
SET VARIABLE usage_from = (
    SELECT CASE WHEN (SELECT bool_or(changed) FROM meta.organisation_types_changed) THEN DATE '0001-01-01'
                ELSE (SELECT min(access_month) FROM meta.record_access_changed_from) END);

DELETE FROM marts.usage_by_reason WHERE month >= getvariable('usage_from');

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
