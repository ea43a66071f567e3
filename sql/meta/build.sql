-- Grain: one row: how this warehouse was built (the build writes it).
CREATE TABLE meta.build (
    sql_version      VARCHAR NOT NULL,
    updated_in_place BOOLEAN NOT NULL,
    reason           VARCHAR NOT NULL,
    from_run         VARCHAR
);

-- Grain: one row per row of core.encounter that the night's in-place
-- update changed or added (incremental/core__encounter.sql fills it); none
-- when the warehouse was built in full. The analytics database updates its
-- own copy of the table from it.
CREATE TABLE meta.encounter_changed_rows (
    encounter_row BIGINT NOT NULL
);

-- Grain: one row when the build added or changed a row of
-- core.record_access: the earliest access month it touched (the first
-- month when the table was built in full). None when a night's in-place
-- update changed nothing. The analytics database and the usage marts make
-- every month from it on again.
CREATE TABLE meta.record_access_changed_from (
    access_month DATE NOT NULL
);

-- Grain: one row per organisation of core.organisation, with its type
-- ('unknown' when it has none), as the usage marts were last made with.
-- Created only when missing: a night that updates the warehouse in place
-- keeps the previous night's rows, and core/organisation.sql compares
-- them with tonight's (meta.organisation_types_changed) and then replaces
-- them.
CREATE TABLE IF NOT EXISTS meta.usage_org_types (
    org_code VARCHAR NOT NULL,
    org_type VARCHAR NOT NULL
);

-- Grain: one row: whether any organisation's type changed since the
-- warehouse this build started from (in a full build, compared with none).
CREATE TABLE meta.organisation_types_changed (
    changed BOOLEAN NOT NULL
);

COMMENT ON TABLE meta.build IS 'How this warehouse was built: in full from the lake, or by updating the previous night''s warehouse in place (core.encounter, core.record_access and the usage marts by reason, role and section; every other table is built in full either way).';
COMMENT ON COLUMN meta.build.sql_version IS 'SHA-256 of every SQL model the build ran: a warehouse is updated in place only by a build of the same version.';
COMMENT ON COLUMN meta.build.updated_in_place IS 'True when core.encounter, core.record_access and the usage marts by reason, role and section were carried over from the previous night''s warehouse and changed only for the encounters, record views and months the night brought, and for the rows whose person changed; false when they were built from everything in the lake. reason says when core.record_access was built in full all the same.';
COMMENT ON COLUMN meta.build.reason IS 'Why the build was in full (a full run, no previous warehouse, a source file landed again, …), or what the in-place update started from.';
COMMENT ON COLUMN meta.build.from_run IS 'The run whose warehouse this one was updated from; NULL when it was built in full.';
COMMENT ON TABLE meta.encounter_changed_rows IS 'The rows of core.encounter the night''s in-place update changed or added, for the analytics database''s own in-place update; empty when the warehouse was built in full.';
COMMENT ON COLUMN meta.encounter_changed_rows.encounter_row IS 'The row''s rowid in core.encounter (its position: rows are never deleted, and new ones are added at the end).';
COMMENT ON TABLE meta.record_access_changed_from IS 'The earliest access month whose rows of core.record_access the build added or changed (the first month when the table was built in full); empty when a night''s in-place update changed none.';
COMMENT ON COLUMN meta.record_access_changed_from.access_month IS 'First day of the month (core.record_access.access_month).';
COMMENT ON TABLE meta.usage_org_types IS 'The type of every organisation as the usage marts were last made with: a night that updates them in place makes them in full when one changed.';
COMMENT ON COLUMN meta.usage_org_types.org_code IS 'ODS code (core.organisation.org_code).';
COMMENT ON COLUMN meta.usage_org_types.org_type IS 'Organisation type (core.organisation.org_type), ''unknown'' when it has none.';
COMMENT ON TABLE meta.organisation_types_changed IS 'Whether any organisation''s type changed since the warehouse this build started from; in a full build, compared with none.';
COMMENT ON COLUMN meta.organisation_types_changed.changed IS 'True when an organisation was added, removed or given another type.';
