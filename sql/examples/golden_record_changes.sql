-- How golden records grew: versions of the golden record by the year they
-- began and the system whose record made them, from the person history.
-- Database: warehouse
-- Grain: one row per year × arriving system.
SELECT
    year(h.valid_from)          AS year,
    s.arrived_system,
    count(*)                    AS versions,
    count(DISTINCT h.person_id) AS people
FROM core.person_history h, unnest(h.arrived_systems) AS s(arrived_system)
WHERE h.version > 1
GROUP BY ALL
ORDER BY year, s.arrived_system;
