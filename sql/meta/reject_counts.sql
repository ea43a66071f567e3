-- Grain: one row per source × entity × reject reason of the run.
CREATE TABLE meta.reject_counts (
    run_id  VARCHAR NOT NULL,
    source  VARCHAR NOT NULL,
    entity  VARCHAR NOT NULL,
    reason  VARCHAR NOT NULL,
    records BIGINT NOT NULL
);

COMMENT ON TABLE meta.reject_counts IS 'Rejected records by reason; the rejected records themselves are in the lake under rejects/.';
COMMENT ON COLUMN meta.reject_counts.run_id IS 'Extract run id.';
COMMENT ON COLUMN meta.reject_counts.source IS 'Source name.';
COMMENT ON COLUMN meta.reject_counts.entity IS 'Landed entity.';
COMMENT ON COLUMN meta.reject_counts.reason IS 'Reason code, e.g. parse_error, missing_field, bad_value, field_count.';
COMMENT ON COLUMN meta.reject_counts.records IS 'Number of records rejected for that reason.';
