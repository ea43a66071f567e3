-- Grain: one row per distinct audit event id. A portal that re-sends a log
-- file must not double-count views, so the first landed copy of each event
-- id is kept (by landing run, then source file and line).
--
-- On a night that updates core.record_access in place (the variable
-- record_access_run names the run; see load.Build) it holds only the
-- events tonight's run landed, each id once: core/record_access.sql adds
-- those core.record_access does not hold yet, since an id it holds was
-- landed first by an earlier run. Each lake file holds one run, so the
-- filter on landed_run skips every other run's files by their statistics.
CREATE TABLE intermediate.int_access_events_deduplicated AS
SELECT *
FROM staging.stg_portal__access_events
WHERE getvariable('record_access_run') IS NULL
   OR landed_run = getvariable('record_access_run')
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY landed_run, source_file, source_position) = 1;
