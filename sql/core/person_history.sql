-- Grain: one row per version of a person's golden record (person × valid
-- from), slowly changing dimension type 2.
--
-- What it captures, precisely. Each build starts from scratch and the lake
-- holds, for each source record, its latest landed values only (file feeds
-- replace a file's rows when the file is landed again; database feeds keep
-- the latest row per key), so earlier values of a record cannot be
-- recovered. What can be dated is when each source record came into being
-- in its system ("known from"): GP registration date; acute the first ADT
-- message (PID) about the hospital number; mental health the first
-- Encounter's start; social care the person row's created_at; social
-- prescribing the client's created date — dates in the region's time zone
-- (known_from in intermediate.int_person_records_ranked, with the rank).
-- The history replays those arrivals: at each date on which a record of the
-- person arrived, the golden record is rebuilt from the records known by
-- then with exactly core.person's survivorship rule (most trusted system
-- first: GP, acute, mental health, social care, social prescribing; then
-- GP last_updated, source, record key), using each record's current
-- (standardised) values and today's person links. A date that changes
-- nothing tracked (the golden fields, source_records, source_systems) makes
-- no version. So the table shows how the unified record grew as systems got
-- to know the person (e.g. first seen in hospital, then registered with a
-- GP, whose details then win) — not a change of address or name within one
-- source record, nor how person links changed from night to night. The
-- current version equals the person's row in core.person. A record with no
-- known-from date counts from the person's earliest known date; when no
-- record of a person has one, the single version has valid_from NULL.
CREATE TABLE core.person_history AS
WITH dated AS (
    -- A record with no known-from date counts from the person's earliest,
    -- so when the earliest and latest are one date (or there is none) all
    -- the person's records arrive together: a single point.
    SELECT *,
           coalesce(known_from, first_known_from, DATE '0001-01-01') AS effective_from,
           first_known_from IS NOT DISTINCT FROM last_known_from    AS single_point
    FROM intermediate.int_person_records_ranked
),
points AS (
    SELECT DISTINCT person_id, effective_from AS point FROM dated
),
snapshot AS (
    -- A record's rank among all the person's records also orders it among
    -- those known at a point: the first with a value is the same.
    SELECT p.point, d.*
    FROM points p
    JOIN dated d ON d.person_id = p.person_id AND d.effective_from <= p.point
),
golden AS (
    SELECT
        person_id,
        point,
        single_point,
        -- arg_min with FILTER, not first(… ORDER BY …): ordered aggregates
        -- sort every group and took minutes at 100,000 persons.
        arg_min(nhs_number, rank) FILTER (WHERE nhs_number IS NOT NULL)               AS nhs_number,
        arg_min(given_name, rank) FILTER (WHERE given_name IS NOT NULL)               AS given_name,
        arg_min(family_name, rank) FILTER (WHERE family_name IS NOT NULL)             AS family_name,
        arg_min(date_of_birth, rank) FILTER (WHERE date_of_birth IS NOT NULL)         AS date_of_birth,
        coalesce(arg_min(sex, rank) FILTER (WHERE sex <> 'U'), 'U')                AS sex,
        arg_min(postcode, rank) FILTER (WHERE postcode IS NOT NULL)                   AS postcode,
        arg_min(postcode_district, rank) FILTER (WHERE postcode_district IS NOT NULL) AS postcode_district,
        count(*)                                                          AS source_records,
        -- Sets of systems as bits (see int_person_records_ranked): DISTINCT
        -- aggregates took half the time of this one.
        CAST(bit_count(bit_or(system_bit)) AS BIGINT)                     AS source_systems,
        bit_or(system_bit) FILTER (WHERE effective_from = point)          AS arrived_bits
    FROM snapshot
    GROUP BY person_id, point, single_point
),
changes AS (
    -- Only persons with records arriving on more than one date can have
    -- more than one version; the others (most) skip these windows.
    SELECT *,
           lag(row(nhs_number, given_name, family_name, date_of_birth, sex, postcode, postcode_district, source_records, source_systems))
               OVER (PARTITION BY person_id ORDER BY point) AS previous,
           row(nhs_number, given_name, family_name, date_of_birth, sex, postcode, postcode_district, source_records, source_systems) AS tracked
    FROM golden
    WHERE NOT single_point
),
versions AS (
    SELECT * EXCLUDE (previous, tracked)
    FROM changes
    WHERE previous IS NULL OR previous IS DISTINCT FROM tracked
),
numbered AS (
    SELECT
        person_id,
        CAST(row_number() OVER (PARTITION BY person_id ORDER BY point) AS INTEGER) AS version,
        point,
        lead(point) OVER (PARTITION BY person_id ORDER BY point)                   AS next_point,
        nhs_number, given_name, family_name, date_of_birth, sex, postcode, postcode_district, source_records, source_systems, arrived_bits
    FROM versions
    UNION ALL
    SELECT person_id, CAST(1 AS INTEGER), point, CAST(NULL AS DATE),
           nhs_number, given_name, family_name, date_of_birth, sex, postcode, postcode_district, source_records, source_systems, arrived_bits
    FROM golden
    WHERE single_point
)
SELECT
    person_id,
    version,
    nullif(point, DATE '0001-01-01')                                           AS valid_from,
    next_point                                                                 AS valid_to,
    next_point IS NULL                                                         AS is_current,
    nhs_number, given_name, family_name, date_of_birth, sex, postcode, postcode_district,
    source_records, source_systems,
    -- The systems whose bits are set, in alphabetical order.
    [s.system FOR s IN systems.systems IF arrived_bits & s.bit <> 0]            AS arrived_systems
FROM numbered,
    (SELECT list({'system': system, 'bit': system_bit} ORDER BY system) AS systems
     FROM (SELECT DISTINCT system, system_bit FROM intermediate.int_person_records_ranked)) AS systems
ORDER BY person_id, version;

COMMENT ON TABLE core.person_history IS 'History of each person''s golden record (SCD type 2) as the person''s source records arrived in their systems, replaying core.person''s survivorship rule on each arrival date with current values and today''s links. It does not show changes within a source record or changes of person links between runs; see the header of sql/core/person_history.sql.';
COMMENT ON COLUMN core.person_history.person_id IS 'Person (core.person.person_id).';
COMMENT ON COLUMN core.person_history.version IS 'Version number of the person''s golden record, 1 for the first.';
COMMENT ON COLUMN core.person_history.valid_from IS 'First date (region time zone) the version held: the date a source record of the person arrived and changed the golden record. NULL when no record of the person has a known date.';
COMMENT ON COLUMN core.person_history.valid_to IS 'Date the next version took over (exclusive); NULL for the current version.';
COMMENT ON COLUMN core.person_history.is_current IS 'True for the current version, which equals the person''s row in core.person.';
COMMENT ON COLUMN core.person_history.nhs_number IS 'Golden NHS number in the version. Identifiable.';
COMMENT ON COLUMN core.person_history.given_name IS 'Golden given name(s) in the version, standardised. Identifiable.';
COMMENT ON COLUMN core.person_history.family_name IS 'Golden family name in the version, standardised. Identifiable.';
COMMENT ON COLUMN core.person_history.date_of_birth IS 'Golden date of birth in the version. Identifiable.';
COMMENT ON COLUMN core.person_history.sex IS 'Golden sex in the version: M, F, I or U.';
COMMENT ON COLUMN core.person_history.postcode IS 'Golden postcode in the version. Identifiable.';
COMMENT ON COLUMN core.person_history.postcode_district IS 'Golden postcode district in the version.';
COMMENT ON COLUMN core.person_history.source_records IS 'Source records of the person known by valid_from.';
COMMENT ON COLUMN core.person_history.source_systems IS 'Different systems holding a record of the person by valid_from.';
COMMENT ON COLUMN core.person_history.arrived_systems IS 'Systems whose records of the person arrived on valid_from and made this version.';
