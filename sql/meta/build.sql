-- Grain: one row: how this warehouse was built (the build writes it).
CREATE TABLE meta.build (
    sql_version      VARCHAR NOT NULL,
    updated_in_place BOOLEAN NOT NULL,
    reason           VARCHAR NOT NULL
);

COMMENT ON TABLE meta.build IS 'How this warehouse was built: in full from the lake, or by updating the previous night''s warehouse in place (core.encounter only; every other table is built in full either way).';
COMMENT ON COLUMN meta.build.sql_version IS 'SHA-256 of every SQL model the build ran: a warehouse is updated in place only by a build of the same version.';
COMMENT ON COLUMN meta.build.updated_in_place IS 'True when core.encounter was carried over from the previous night''s warehouse and changed only for the encounters the night brought (sql/incremental/core__encounter.sql); false when it was built from every message in the lake.';
COMMENT ON COLUMN meta.build.reason IS 'Why the build was in full (a full run, no previous warehouse, a source file landed again, …), or what the in-place update started from.';
