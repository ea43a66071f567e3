-- Grain: one row per wellbeing assessment record as landed (one score on one
-- tool at one timepoint of one referral), renamed and cast only.
CREATE VIEW staging.stg_socialprescribing__wellbeing AS
SELECT
    assessment_id,
    referral_id,
    CAST(assessment_date AS DATE) AS assessment_date,
    upper(trim(tool))             AS tool,
    lower(trim(timepoint))        AS timepoint,
    CAST(score AS INTEGER)        AS score,
    _source                       AS source,
    _source_file                  AS source_file,
    _position                     AS source_position
FROM landing.socialprescribing__wellbeing;
