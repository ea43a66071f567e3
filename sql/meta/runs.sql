-- Grain: one row per pipeline run that built this warehouse (the build
-- writes its own run; history across warehouses lives in the lake manifests).
CREATE TABLE meta.runs (
    run_id        VARCHAR PRIMARY KEY,
    extract_started_at  TIMESTAMPTZ NOT NULL,
    extract_finished_at TIMESTAMPTZ NOT NULL,
    index_run_id  VARCHAR NOT NULL,
    sources       INTEGER NOT NULL,
    records_read  BIGINT NOT NULL,
    records_landed BIGINT NOT NULL,
    records_rejected BIGINT NOT NULL
);

COMMENT ON TABLE meta.runs IS 'The extract run this warehouse was built from, with its reconciled record counts.';
COMMENT ON COLUMN meta.runs.run_id IS 'Extract run id (UTC start time), as in the lake''s runs/RUN.json manifest.';
COMMENT ON COLUMN meta.runs.extract_started_at IS 'When extraction started.';
COMMENT ON COLUMN meta.runs.extract_finished_at IS 'When extraction finished and the run was committed.';
COMMENT ON COLUMN meta.runs.index_run_id IS 'Run id of the person index used.';
COMMENT ON COLUMN meta.runs.sources IS 'Number of sources extracted.';
COMMENT ON COLUMN meta.runs.records_read IS 'Records read from all sources.';
COMMENT ON COLUMN meta.runs.records_landed IS 'Records landed in the lake.';
COMMENT ON COLUMN meta.runs.records_rejected IS 'Records rejected with a reason (records_read = records_landed + records_rejected).';
