-- Grain: one row per distinct audit event id. A portal that re-sends a log
-- file must not double-count views, so the first landed copy of each event
-- id is kept (ordered by source file and line).
CREATE TABLE intermediate.int_access_events_deduplicated AS
SELECT *
FROM staging.stg_portal__access_events
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY source_file, source_position) = 1;
