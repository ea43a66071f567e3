-- Grain: one row per PID segment landed from the acute hospital's HL7 v2 ADT
-- feed (one message's view of one hospital patient), renamed and cast only.
-- Only the columns the warehouse uses beyond the person index are kept.
CREATE VIEW staging.stg_acute__patients AS
SELECT
    'acute'              AS system,
    record_key,
    trigger_event,
    message_time,
    _source              AS source,
    _source_file         AS source_file,
    _position            AS source_position
FROM landing.acute__patients;
