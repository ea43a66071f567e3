-- What each role looks at: record views by role and section of the record
-- in the last twelve months of data, with distinct patients.
-- Database: analytics
-- Grain: one row per role × section.
WITH recent AS (
    SELECT * FROM core.record_access
    WHERE access_month > (SELECT max(access_month) FROM core.record_access) - INTERVAL 12 MONTH
)
SELECT
    role,
    section,
    count(*)                  AS views,
    count(DISTINCT pseudo_id) AS patients
FROM recent, unnest(sections) AS s(section)
GROUP BY role, section
ORDER BY role, views DESC, section;
