-- Grain: one row per calendar month (region time zone) × organisation type
-- × reason for access given, for every combination with at least one record view.
CREATE TABLE marts.usage_by_reason AS
SELECT
    a.access_month                    AS month,
    coalesce(o.org_type, 'unknown')   AS org_type,
    coalesce(nullif(trim(a.reason), ''), 'not recorded') AS reason,
    count(*)                          AS records_viewed,
    count(DISTINCT a.user_id)         AS active_users,
    count(DISTINCT a.nhs_number)      AS patients_viewed
FROM core.record_access a
LEFT JOIN core.organisation o USING (org_code)
GROUP BY ALL
ORDER BY month, org_type, reason;

COMMENT ON TABLE marts.usage_by_reason IS 'Record views by month, organisation type and reason for access given: how the record is used.';
COMMENT ON COLUMN marts.usage_by_reason.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_reason.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_reason.reason IS 'Reason for access given by the user; not recorded when none was given.';
COMMENT ON COLUMN marts.usage_by_reason.records_viewed IS 'Record-view events in the month (additive across rows).';
COMMENT ON COLUMN marts.usage_by_reason.active_users IS 'Distinct users with such a view in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_reason.patients_viewed IS 'Distinct patients (NHS numbers) viewed (not additive across rows).';
