-- board_rejects: records rejected by reason for the run that built the
-- warehouse.
-- Grain: one source x one landed entity x one reject reason.
SELECT source, entity, reason, records
FROM meta.reject_counts
ORDER BY source, entity, reason;
