-- Medication records and people by SNOMED CT code and source system.
-- Database: analytics
-- Grain: one row per SNOMED code × system.
SELECT
    snomed_code,
    any_value(description ORDER BY description) AS description,
    system,
    count(*)                                    AS records,
    count(DISTINCT pseudo_id)                   AS people,
    count(*) FILTER (WHERE status = 'active')   AS active_records
FROM core.medication
GROUP BY snomed_code, system
ORDER BY records DESC, snomed_code, system;
