-- How well each source's records join to the person index: linked and
-- unlinked rows by core table and source, with the share of person-level
-- records carrying a valid NHS number.
-- Database: warehouse (also runs on analytics)
-- Grain: one row per core table × source.
SELECT
    u.core_table,
    u.source,
    u.records,
    u.linked_records,
    u.unlinked_records,
    u.linked_share,
    round(avg(CASE WHEN l.nhs_number_status = 'valid' THEN 1 ELSE 0 END), 4) AS source_valid_nhs_share
FROM meta.unlinked_records u
LEFT JOIN core.person_link l ON l.source = u.source
GROUP BY ALL
ORDER BY u.core_table, u.source;
