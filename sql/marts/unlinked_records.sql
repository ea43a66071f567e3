-- Grain: one row per core table × source × person-level entity, for the core
-- tables of clinical and social care records keyed to the person index.
-- It is built with the marts, after every core table exists, but belongs in
-- meta: it describes the build, not the region.
CREATE TABLE meta.unlinked_records AS
WITH rows AS (
    SELECT 'core.encounter' AS core_table, source, system, person_id FROM core.encounter
    UNION ALL SELECT 'core.medication', source, system, person_id FROM core.medication
    UNION ALL SELECT 'core.allergy', source, system, person_id FROM core.allergy
    UNION ALL SELECT 'core.condition', source, system, person_id FROM core.condition
    UNION ALL SELECT 'core.care_package', source, system, person_id FROM core.care_package
    UNION ALL SELECT 'core.safeguarding_referral', source, system, person_id FROM core.safeguarding_referral
)
SELECT
    core_table,
    source,
    system,
    count(*)                                   AS records,
    count(person_id)                           AS linked_records,
    count(*) - count(person_id)                AS unlinked_records,
    round(count(person_id) / count(*), 4)      AS linked_share
FROM rows
GROUP BY core_table, source, system
ORDER BY core_table, source;

COMMENT ON TABLE meta.unlinked_records IS 'Person id coverage of the core clinical and social care tables: for each table and source, how many rows are linked to the person index and how many are not (their source record is not in the index, e.g. a medication for a GP patient record that was rejected).';
COMMENT ON COLUMN meta.unlinked_records.core_table IS 'Core table, e.g. core.medication.';
COMMENT ON COLUMN meta.unlinked_records.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN meta.unlinked_records.system IS 'Kind of system the source is.';
COMMENT ON COLUMN meta.unlinked_records.records IS 'Rows of the table from the source.';
COMMENT ON COLUMN meta.unlinked_records.linked_records IS 'Rows with a person_id.';
COMMENT ON COLUMN meta.unlinked_records.unlinked_records IS 'Rows whose person_id is NULL: their source record is not in the person index.';
COMMENT ON COLUMN meta.unlinked_records.linked_share IS 'linked_records / records, to four decimal places.';
