-- Grain: one row per source × landed entity of the run that built the
-- warehouse. A view, not a table: the build records the run's counts in
-- meta after the SQL layers have run.
--
-- Match rate: the share of a source's person-level records (those in the
-- person index, core.person_link) that are matched, where a record is
-- matched when it carries a valid NHS number or is linked to a person with
-- at least two source records. A record that is neither is a person of its
-- own that nothing else can be joined to.
CREATE VIEW marts.data_quality AS
WITH links AS (
    SELECT l.source, l.entity,
           count(*)                                                            AS person_records,
           count(*) FILTER (WHERE l.nhs_number_status <> 'missing')            AS nhs_number_present,
           count(*) FILTER (WHERE l.nhs_number_status = 'valid')               AS nhs_number_valid,
           count(*) FILTER (WHERE l.nhs_number_status = 'valid' OR p.source_records >= 2) AS matched_records
    FROM core.person_link l
    LEFT JOIN core.person p USING (person_id)
    GROUP BY l.source, l.entity
)
SELECT
    s.run_id,
    s.source,
    s.system,
    s.entity,
    s.records_read,
    s.records_landed,
    s.records_rejected,
    coalesce(k.person_records, 0)     AS person_records,
    coalesce(k.nhs_number_present, 0) AS nhs_number_present,
    coalesce(k.nhs_number_valid, 0)   AS nhs_number_valid,
    coalesce(k.matched_records, 0)    AS matched_records,
    r.extract_started_at,
    r.extract_finished_at
FROM meta.source_counts s
JOIN meta.runs r USING (run_id)
LEFT JOIN links k ON k.source = s.source AND k.entity = s.entity
ORDER BY s.source, s.entity;

COMMENT ON VIEW marts.data_quality IS 'Data quality by source and entity for the run that built the warehouse: records read, landed and rejected; NHS number completeness and validity and match rate for person-level records; freshness.';
COMMENT ON COLUMN marts.data_quality.run_id IS 'Extract run id.';
COMMENT ON COLUMN marts.data_quality.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN marts.data_quality.system IS 'Kind of system the source carries.';
COMMENT ON COLUMN marts.data_quality.entity IS 'Landed entity.';
COMMENT ON COLUMN marts.data_quality.records_read IS 'Records read from the source.';
COMMENT ON COLUMN marts.data_quality.records_landed IS 'Records landed in the lake.';
COMMENT ON COLUMN marts.data_quality.records_rejected IS 'Records rejected with a reason (by reason in meta.reject_counts).';
COMMENT ON COLUMN marts.data_quality.person_records IS 'Person-level records of the entity in the person index; 0 for entities that are not about a person.';
COMMENT ON COLUMN marts.data_quality.nhs_number_present IS 'Person-level records with an NHS number (valid or not).';
COMMENT ON COLUMN marts.data_quality.nhs_number_valid IS 'Person-level records with a valid NHS number (ten digits, Modulus 11, not a dummy).';
COMMENT ON COLUMN marts.data_quality.matched_records IS 'Person-level records matched: with a valid NHS number, or linked to a person with two or more source records.';
COMMENT ON COLUMN marts.data_quality.extract_started_at IS 'When the extract run started.';
COMMENT ON COLUMN marts.data_quality.extract_finished_at IS 'When the extract run finished: the freshness of every figure in the warehouse.';
