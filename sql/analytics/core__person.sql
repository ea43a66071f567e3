-- Grain: one row per person in the person index, pseudonymised: no NHS
-- number, name, date of birth or postcode; a keyed pseudonym, birth year,
-- five-year age band and postcode district instead. The pseudonym comes
-- from person_pseudonym (temp__person_pseudonym.sql); sorting on its
-- pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.person AS
WITH ref AS (
    SELECT max(year(timezone('UTC', extract_finished_at))) AS ref_year FROM wh.meta.runs
),
p AS (
    SELECT p.*, pp.pseudo_id, pp.pseudo_rank, year(p.date_of_birth) AS birth_year, ref.ref_year - year(p.date_of_birth) AS age
    FROM wh.core.person p
    JOIN person_pseudonym pp ON pp.person_id = p.person_id
    CROSS JOIN ref
)
SELECT
    pseudo_id,
    birth_year,
    CASE WHEN age IS NULL OR age < 0 THEN NULL
         WHEN age >= 90 THEN '90+'
         ELSE lpad(CAST(age // 5 * 5 AS VARCHAR), 2, '0') || '-' || lpad(CAST(age // 5 * 5 + 4 AS VARCHAR), 2, '0')
    END AS age_band,
    sex,
    postcode_district,
    source_records,
    source_systems
FROM p
ORDER BY pseudo_rank;

COMMENT ON TABLE core.person IS 'The person index, pseudonymised: one row per person with a keyed pseudonym in place of the person id and NHS number, birth year and age band in place of the date of birth, and postcode district in place of the postcode. Names are dropped.';
COMMENT ON COLUMN core.person.pseudo_id IS 'Keyed pseudonym of the person: hex HMAC-SHA-256 of "person:<person_id>" under the operator''s pseudonymisation key. Stable while the key and the person id are; joins every analytics table.';
COMMENT ON COLUMN core.person.birth_year IS 'Year of birth.';
COMMENT ON COLUMN core.person.age_band IS 'Five-year age band (00-04, 05-09, …, 85-89, 90+) of the age reached in the calendar year (UTC) of the extract run.';
