-- Grain: one row per wellbeing assessment (assessment id): one score on one
-- tool at one timepoint of one social prescribing referral.
CREATE TABLE core.wellbeing_score AS
SELECT assessment_id, referral_id, assessment_date, tool, timepoint, score, source
FROM staging.stg_socialprescribing__wellbeing
QUALIFY row_number() OVER (PARTITION BY assessment_id ORDER BY source_file, source_position) = 1
ORDER BY assessment_id;

COMMENT ON TABLE core.wellbeing_score IS 'Wellbeing scores recorded by the social prescribing service at baseline and follow-up.';
COMMENT ON COLUMN core.wellbeing_score.assessment_id IS 'Assessment id in the social prescribing system.';
COMMENT ON COLUMN core.wellbeing_score.referral_id IS 'Referral the assessment belongs to (core.referral.referral_id).';
COMMENT ON COLUMN core.wellbeing_score.assessment_date IS 'Date of the assessment.';
COMMENT ON COLUMN core.wellbeing_score.tool IS 'WEMWBS (Warwick-Edinburgh, 14 items, 14-70) or SWEMWBS (short, 7 items, 7-35 raw score).';
COMMENT ON COLUMN core.wellbeing_score.timepoint IS 'baseline or follow_up.';
COMMENT ON COLUMN core.wellbeing_score.score IS 'Total score on the tool; higher is better.';
COMMENT ON COLUMN core.wellbeing_score.source IS 'Source (feed) name from the configuration.';
