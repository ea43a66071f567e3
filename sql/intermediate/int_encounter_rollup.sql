-- Grain: one row per encounter, each rolled up from every message about it
-- (fields as in intermediate.int_encounter_partial, with the order key of
-- the message each came from). In a full build that is
-- int_encounter_partial itself. On a night that updates the warehouse in
-- place, incremental/intermediate__int_encounter_rollup.sql runs instead
-- and holds only the encounters the night brought a message about, merged
-- with what the previous night's warehouse kept of them.
CREATE VIEW intermediate.int_encounter_rollup AS
SELECT * FROM intermediate.int_encounter_partial;
