-- board_data_quality: records read, landed and rejected, NHS number
-- completeness and validity, match rate and freshness for the run that
-- built the warehouse.
-- Grain: one source x one landed entity.
SELECT
    run_id, source, system, entity, records_read, records_landed, records_rejected,
    person_records, nhs_number_present, nhs_number_valid, matched_records,
    extract_finished_at
FROM marts.data_quality
ORDER BY source, entity;
