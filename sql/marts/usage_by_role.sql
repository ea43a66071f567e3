-- Grain: one row per calendar month (region time zone) × organisation type
-- × role of the viewing user, for every combination with at least one record view.
CREATE TABLE marts.usage_by_role AS
SELECT
    a.access_month                    AS month,
    coalesce(o.org_type, 'unknown')   AS org_type,
    coalesce(nullif(trim(a.role), ''), 'not recorded') AS role,
    count(*)                          AS records_viewed,
    count(DISTINCT a.user_id)         AS active_users,
    count(DISTINCT a.nhs_number)      AS patients_viewed
FROM core.record_access a
LEFT JOIN core.organisation o USING (org_code)
GROUP BY ALL
ORDER BY month, org_type, role;

COMMENT ON TABLE marts.usage_by_role IS 'Record views by month, organisation type and role of the viewing user: how the record is used.';
COMMENT ON COLUMN marts.usage_by_role.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_role.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_role.role IS 'Role of the viewing user at the time of the view; not recorded when the log gives none.';
COMMENT ON COLUMN marts.usage_by_role.records_viewed IS 'Record-view events in the month (additive across rows).';
COMMENT ON COLUMN marts.usage_by_role.active_users IS 'Distinct users with such a view in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_role.patients_viewed IS 'Distinct patients (NHS numbers) viewed (not additive across rows).';
