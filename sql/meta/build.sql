-- Grain: one row: how this warehouse was built (the build writes it).
CREATE TABLE meta.build (
    sql_version      VARCHAR NOT NULL,
    updated_in_place BOOLEAN NOT NULL,
    reason           VARCHAR NOT NULL,
    from_run         VARCHAR
);

-- Grain: one row per encounter the night's in-place update rolled up
-- again (changed or added), as core.encounter holds it after the update,
-- plus first_run (its place: rows are in first_run, source, encounter_id
-- order); and one row per encounter whose person the update changed
-- because its record now belongs to another person, or no one.
-- incremental/core__encounter.sql fills both; they are empty when the
-- warehouse was built in full. The analytics database updates its own
-- copy of the table from them, without reading the whole table.
CREATE TABLE meta.encounter_changed_rows (
    encounter_id      VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    system            VARCHAR,
    record_key        VARCHAR,
    person_id         BIGINT,
    class_code        VARCHAR,
    class             VARCHAR,
    location          VARCHAR,
    service           VARCHAR,
    organisation_code VARCHAR,
    start_at          TIMESTAMPTZ,
    end_at            TIMESTAMPTZ,
    status            VARCHAR,
    last_event        VARCHAR,
    messages          BIGINT,
    first_run         VARCHAR NOT NULL
);
CREATE TABLE meta.encounter_moved_rows (
    encounter_id VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    person_id    BIGINT
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
COMMENT ON TABLE meta.encounter_changed_rows IS 'The rows of core.encounter the night''s in-place update rolled up again (changed or added), as they are after it, for the analytics database''s own in-place update; empty when the warehouse was built in full. Filled by name: a column of core.encounter missing here fails the night.';
COMMENT ON COLUMN meta.encounter_changed_rows.encounter_id IS 'core.encounter.encounter_id after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.source IS 'core.encounter.source after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.system IS 'core.encounter.system after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.record_key IS 'core.encounter.record_key after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.person_id IS 'core.encounter.person_id after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.class_code IS 'core.encounter.class_code after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.class IS 'core.encounter.class after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.location IS 'core.encounter.location after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.service IS 'core.encounter.service after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.organisation_code IS 'core.encounter.organisation_code after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.start_at IS 'core.encounter.start_at after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.end_at IS 'core.encounter.end_at after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.status IS 'core.encounter.status after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.last_event IS 'core.encounter.last_event after the update.';
COMMENT ON COLUMN meta.encounter_changed_rows.messages IS 'core.encounter.messages after the update.';
COMMENT ON COLUMN meta.encounter_moved_rows.encounter_id IS 'core.encounter.encounter_id.';
COMMENT ON COLUMN meta.encounter_moved_rows.source IS 'core.encounter.source.';
COMMENT ON COLUMN meta.encounter_changed_rows.first_run IS 'The run that first landed a message about the encounter: rows of core.encounter are in first_run, source, encounter_id order, and new ones go at the end.';
COMMENT ON TABLE meta.encounter_moved_rows IS 'The encounters of core.encounter whose person_id the night''s in-place update changed because their record now belongs to another person, or to no one; empty when the warehouse was built in full.';
COMMENT ON COLUMN meta.encounter_moved_rows.person_id IS 'The new person (core.person.person_id); NULL when the record is in no person now.';
COMMENT ON TABLE meta.record_access_changed_from IS 'The earliest access month whose rows of core.record_access the build added or changed (the first month when the table was built in full); empty when a night''s in-place update changed none.';
COMMENT ON COLUMN meta.record_access_changed_from.access_month IS 'First day of the month (core.record_access.access_month).';
COMMENT ON TABLE meta.usage_org_types IS 'The type of every organisation as the usage marts were last made with: a night that updates them in place makes them in full when one changed.';
COMMENT ON COLUMN meta.usage_org_types.org_code IS 'ODS code (core.organisation.org_code).';
COMMENT ON COLUMN meta.usage_org_types.org_type IS 'Organisation type (core.organisation.org_type), ''unknown'' when it has none.';
COMMENT ON TABLE meta.organisation_types_changed IS 'Whether any organisation''s type changed since the warehouse this build started from; in a full build, compared with none.';
COMMENT ON COLUMN meta.organisation_types_changed.changed IS 'True when an organisation was added, removed or given another type.';
