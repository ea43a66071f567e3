-- People seen by both the acute hospital and social care: with a hospital
-- encounter and a social care package, by age band and the package's type.
-- Database: analytics
-- Grain: one row per age band × package type.
WITH acute AS (
    SELECT DISTINCT pseudo_id FROM core.encounter WHERE system = 'acute' AND pseudo_id IS NOT NULL
),
social AS (
    SELECT DISTINCT pseudo_id, service_type FROM core.care_package WHERE pseudo_id IS NOT NULL
)
SELECT
    coalesce(p.age_band, 'unknown') AS age_band,
    s.service_type,
    count(DISTINCT s.pseudo_id)     AS people
FROM social s
JOIN acute a USING (pseudo_id)
JOIN core.person p USING (pseudo_id)
GROUP BY ALL
ORDER BY age_band, service_type;
