-- Grain: one row per person-level source record in the person index
-- (landing.person_link), with its place in its person's survivorship order.
-- core.person and core.person_history both take each golden field from the
-- first record in this order that has a value, so the order is computed
-- once, here. The order: most trusted system first — GP (the registered
-- list, kept up to date with the national demographics service), then the
-- acute hospital, mental health, social care, social prescribing — then
-- the most recently updated record (GP last_updated), then source and
-- record key for a stable tie-break. rank is 1 for the person's first
-- record. system_bit is the record's system as one bit (systems in
-- alphabetical order), so that sets of systems can be counted and listed
-- with bit_or rather than DISTINCT aggregates, which are slow. known_from
-- is the date the record came into being in its system, first_known_from
-- and last_known_from the earliest and latest of the person's records:
-- core.person_history
-- replays the records' arrivals by these dates (its header says which date
-- each system gives).
CREATE TABLE intermediate.int_person_records_ranked AS
WITH starts AS (
    -- A record's earliest local date is the local date of its earliest
    -- time: in the region's zone the date only moves forward, as long as
    -- clocks never go back across midnight (in Europe/London they change
    -- at 01:00 and 02:00). Converting once per record rather than once per
    -- row halves the cost of the hospital's part, which reads every message
    -- ever landed (0.41 s against 0.20 s for 1.4 million messages).
    SELECT source, record_key, min(registration_date) AS known_from
    FROM staging.stg_gp__patients GROUP BY ALL
    UNION ALL
    SELECT source, record_key, CAST(timezone(getvariable('region_timezone'), min(message_time)) AS DATE)
    FROM staging.stg_acute__patients GROUP BY ALL
    UNION ALL
    SELECT source, record_key, CAST(timezone(getvariable('region_timezone'), min(period_start)) AS DATE)
    FROM staging.stg_mentalhealth__encounters GROUP BY ALL
    UNION ALL
    SELECT source, record_key, CAST(timezone(getvariable('region_timezone'), min(created_at)) AS DATE)
    FROM staging.stg_socialcare__people GROUP BY ALL
    UNION ALL
    -- The social prescribing staging models belong to the referrals work;
    -- the client's created date is read straight from its landing view.
    SELECT _source, client_id, min(CAST(created_date AS DATE))
    FROM landing.socialprescribing__clients GROUP BY ALL
),
known AS (
    SELECT source, record_key, min(known_from) AS known_from FROM starts GROUP BY ALL
),
gp_updated AS (
    SELECT source, record_key, max(last_updated) AS last_updated
    FROM staging.stg_gp__patients
    GROUP BY ALL
),
systems AS (
    -- A 65th system would overflow the shift and fail the build.
    SELECT system, CAST(1 AS UBIGINT) << CAST(row_number() OVER (ORDER BY system) - 1 AS UBIGINT) AS system_bit
    FROM (SELECT DISTINCT system FROM landing.person_link)
),
recs AS (
    SELECT
        -- The columns the golden record needs: the window below carries
        -- every one of them through its sort.
        l.person_id, l.source, l.system, l.record_key,
        l.nhs_number, l.given_name, l.family_name, l.date_of_birth, l.sex, l.postcode, l.postcode_district,
        g.last_updated,
        CASE l.system
            WHEN 'gp' THEN 5 WHEN 'acute' THEN 4 WHEN 'mentalhealth' THEN 3
            WHEN 'socialcare' THEN 2 WHEN 'socialprescribing' THEN 1 ELSE 0
        END AS trust,
        s.system_bit,
        k.known_from
    FROM landing.person_link l
    JOIN systems s ON s.system = l.system
    LEFT JOIN known k ON l.source = k.source AND l.record_key = k.record_key
    -- No left-only condition (such as l.system = 'gp') in this ON: DuckDB then
    -- plans a nested loop, minutes at 100,000 persons. Source and record key
    -- already match GP records only.
    LEFT JOIN gp_updated g ON l.source = g.source AND l.record_key = g.record_key
)
SELECT *,
       row_number() OVER person_order AS rank,
       min(known_from) OVER (person_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_known_from,
       max(known_from) OVER (person_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_known_from
FROM recs
WINDOW person_order AS (
    PARTITION BY person_id
    ORDER BY trust DESC, last_updated DESC NULLS LAST, source, record_key);
