-- Grain: one row per record-view event in the portal audit log as landed.
CREATE VIEW staging.stg_portal__access_events AS
SELECT
    event_id,
    accessed_at,
    user_id,
    org_code,
    role,
    regexp_replace(nhs_number, '[ -]', '', 'g') AS nhs_number,
    sections,
    reason,
    _source                                     AS source,
    _source_file                                AS source_file,
    _position                                   AS source_position,
    _run_id                                     AS landed_run
FROM landing.portal__access_events;
