-- Grain: one row per encounter (source × visit number or Encounter id) that
-- the messages this build reads are about: every message landed in a full
-- build; on a night that updates the warehouse in place (the variable
-- incremental_run names the run; see load.Build), only the messages that
-- run landed. Each lake file holds one run, so the filter on landed_run
-- skips every other run's files by their statistics, and a night costs
-- its own messages, not every message ever landed.
--
-- Each field is rolled up with the order key of the message it came from
-- (its event time, or admit time, then its file and position: the latest
-- is the greatest), so that intermediate.int_encounter_rollup can merge a
-- night's roll-up with the previous night's and get what a roll-up of
-- every message gives. An HL7 feed sends several messages about one visit
-- (A01 admit, A08 updates, A03 discharge): the admit time is the earliest,
-- the discharge time the latest, and the other fields those of the latest
-- message, or of the latest that carries them. PV1 segments without a
-- visit number (A08/A31 demographic updates carry an empty PV1) are not
-- encounters and are left out. A mental health Encounter resource is sent
-- whole: its latest copy (by file and position) wins, field by field alike.
CREATE TABLE intermediate.int_encounter_partial AS
WITH acute_msgs AS (
    -- recency numbers a visit's messages from the latest: aggregating by
    -- it took half the time of aggregating by the order key itself.
    SELECT *,
           {'at': coalesce(event_time, admit_time, '-infinity'::TIMESTAMPTZ),
            'file': source_file, 'pos': source_position}                  AS k,
           row_number() OVER (PARTITION BY source, visit_number
                              ORDER BY coalesce(event_time, admit_time) DESC NULLS LAST,
                                       source_file DESC, source_position DESC) AS recency
    FROM staging.stg_acute__encounters
    WHERE visit_number IS NOT NULL AND visit_number <> ''
      AND (getvariable('incremental_run') IS NULL OR landed_run = getvariable('incremental_run'))
),
acute AS (
    SELECT
        source,
        visit_number                                                        AS encounter_id,
        any_value(system)                                                   AS system,
        arg_min(k, recency)                                                 AS latest,
        arg_min_null(record_key, recency)                                   AS record_key,
        arg_min_null(trigger_event, recency)                                AS last_event,
        arg_min(k, recency) FILTER (WHERE class_code IS NOT NULL)           AS class_at,
        arg_min(class_code, recency)                                        AS class_code,
        arg_min(k, recency) FILTER (WHERE assigned_location IS NOT NULL)    AS location_at,
        arg_min_null(nullif(split_part(assigned_location, '^', 1), ''), recency) FILTER (WHERE assigned_location IS NOT NULL) AS location,
        arg_min_null(nullif(split_part(assigned_location, '^', 4), ''), recency) FILTER (WHERE assigned_location IS NOT NULL) AS organisation_code,
        arg_min(k, recency) FILTER (WHERE hospital_service IS NOT NULL)     AS service_at,
        arg_min(hospital_service, recency)                                  AS service,
        min(admit_time)                                                     AS start_at,
        max(discharge_time)                                                 AS discharge_time,
        CAST(NULL AS TIMESTAMPTZ)                                           AS end_at,
        CAST(NULL AS VARCHAR)                                               AS status,
        count(*)                                                            AS messages,
        min(landed_run)                                                     AS first_run
    FROM acute_msgs
    GROUP BY source, visit_number
),
mh AS (
    SELECT
        source,
        encounter_id,
        system,
        {'at': '-infinity'::TIMESTAMPTZ, 'file': source_file, 'pos': source_position} AS latest,
        record_key,
        CAST(NULL AS VARCHAR)                                               AS last_event,
        latest                                                              AS class_at,
        class_code,
        latest                                                              AS location_at,
        CAST(NULL AS VARCHAR)                                               AS location,
        CASE WHEN service_provider LIKE 'Organization/%' THEN substr(service_provider, 14)
             WHEN service_provider LIKE 'Organization?identifier=%|%' THEN split_part(service_provider, '|', 2)
        END                                                                 AS organisation_code,
        latest                                                              AS service_at,
        type_display                                                        AS service,
        period_start                                                        AS start_at,
        CAST(NULL AS TIMESTAMPTZ)                                           AS discharge_time,
        period_end                                                          AS end_at,
        status,
        CAST(1 AS BIGINT)                                                   AS messages,
        min(landed_run) OVER (PARTITION BY source, encounter_id)            AS first_run
    FROM staging.stg_mentalhealth__encounters
    WHERE getvariable('incremental_run') IS NULL OR landed_run = getvariable('incremental_run')
    QUALIFY row_number() OVER (PARTITION BY source, encounter_id ORDER BY source_file DESC, source_position DESC) = 1
)
SELECT * FROM acute
UNION ALL BY NAME
SELECT * FROM mh;
