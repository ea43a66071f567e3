-- Prevalence of active conditions by five-year age band: people with each
-- active SNOMED-coded condition per 1,000 people in the band.
-- Database: analytics
-- Grain: one row per age band × SNOMED code.
WITH band AS (
    SELECT age_band, count(*) AS people FROM core.person WHERE age_band IS NOT NULL GROUP BY age_band
)
SELECT
    p.age_band,
    c.snomed_code,
    any_value(c.description ORDER BY c.description)                         AS description,
    count(DISTINCT c.pseudo_id)                                              AS people_with_condition,
    round(1000.0 * count(DISTINCT c.pseudo_id) / any_value(b.people), 1)    AS per_1000
FROM core.condition c
JOIN core.person p USING (pseudo_id)
JOIN band b USING (age_band)
WHERE c.status = 'active' AND c.snomed_code IS NOT NULL
GROUP BY p.age_band, c.snomed_code
ORDER BY p.age_band, people_with_condition DESC, c.snomed_code;
