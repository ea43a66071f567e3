-- Grain: one row per calendar month (region time zone) × organisation type
-- × section of the record, for every combination viewed at least once. A
-- view that opens several sections counts once under each.
CREATE TABLE marts.usage_by_section AS
WITH sections AS (
    SELECT a.access_month, a.org_code, a.user_id, a.nhs_number, unnest(a.sections) AS section
    FROM core.record_access a
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

COMMENT ON TABLE marts.usage_by_section IS 'Record views by month, organisation type and section of the record viewed (medications, allergies, …).';
COMMENT ON COLUMN marts.usage_by_section.month IS 'First day of the calendar month (region time zone).';
COMMENT ON COLUMN marts.usage_by_section.org_type IS 'Organisation type of the viewing organisation; unknown when the reference feed does not list it.';
COMMENT ON COLUMN marts.usage_by_section.section IS 'Section of the record viewed.';
COMMENT ON COLUMN marts.usage_by_section.records_viewed IS 'Record views that opened the section (a view opening several sections counts under each, so rows add up to more than the views).';
COMMENT ON COLUMN marts.usage_by_section.active_users IS 'Distinct users who opened the section in the month (not additive across rows).';
COMMENT ON COLUMN marts.usage_by_section.patients_viewed IS 'Distinct patients (NHS numbers) whose section was opened (not additive across rows).';
