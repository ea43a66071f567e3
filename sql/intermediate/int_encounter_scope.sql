-- Grain: one row per encounter (source × visit number or Encounter id) that
-- tonight's run landed a message about, when the warehouse is updated in
-- place from the previous night's (the variable incremental_run names the
-- run; see load.Build). Empty when the warehouse is built in full: then
-- every encounter is built. staging.int_rolled_up_encounters reads it.
-- Each lake file holds one run, so the filter on landed_run skips every
-- other run's files by their statistics.
CREATE TABLE intermediate.int_encounter_scope AS
SELECT DISTINCT source, visit_number AS encounter_id
FROM staging.stg_acute__encounters
WHERE landed_run = getvariable('incremental_run')
  AND visit_number IS NOT NULL AND visit_number <> ''
UNION
SELECT DISTINCT source, encounter_id
FROM staging.stg_mentalhealth__encounters
WHERE landed_run = getvariable('incremental_run');
