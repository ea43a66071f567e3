-- Grain: one row per source × entity × reject reason of the run ('' for the
-- totals row of an entity).
CREATE TABLE meta.source_counts (
    run_id   VARCHAR NOT NULL,
    source   VARCHAR NOT NULL,
    system   VARCHAR NOT NULL,
    entity   VARCHAR NOT NULL,
    records_read     BIGINT NOT NULL,
    records_landed   BIGINT NOT NULL,
    records_rejected BIGINT NOT NULL,
    input_files      INTEGER NOT NULL,
    input_bytes      BIGINT NOT NULL
);

COMMENT ON TABLE meta.source_counts IS 'Records read, landed and rejected per source and entity in the run; read = landed + rejected.';
COMMENT ON COLUMN meta.source_counts.run_id IS 'Extract run id.';
COMMENT ON COLUMN meta.source_counts.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN meta.source_counts.system IS 'Kind of system the source carries (gp, portal, reference, …).';
COMMENT ON COLUMN meta.source_counts.entity IS 'Landed entity.';
COMMENT ON COLUMN meta.source_counts.records_read IS 'Records read.';
COMMENT ON COLUMN meta.source_counts.records_landed IS 'Records landed in the lake.';
COMMENT ON COLUMN meta.source_counts.records_rejected IS 'Records rejected with a reason.';
COMMENT ON COLUMN meta.source_counts.input_files IS 'Input files the source read in the run (all entities).';
COMMENT ON COLUMN meta.source_counts.input_bytes IS 'Bytes of input the source read in the run (all entities).';
