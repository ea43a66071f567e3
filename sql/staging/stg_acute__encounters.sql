-- Grain: one row per PV1 segment landed from the acute hospital's HL7 v2 ADT
-- feed (one ADT message about one visit), renamed and cast only. A visit
-- appears once per message about it (A01 admit, A03 discharge, A08 update, …).
CREATE VIEW staging.stg_acute__encounters AS
SELECT
    'acute'              AS system,
    record_key,
    visit_number,
    patient_class        AS class_code,
    assigned_location,
    hospital_service,
    admit_time,
    discharge_time,
    trigger_event,
    message_control_id,
    event_time,
    _source              AS source,
    _source_file         AS source_file,
    _position            AS source_position,
    _run_id              AS landed_run
FROM landing.acute__encounters;
