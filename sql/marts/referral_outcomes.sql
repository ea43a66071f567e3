-- Grain: one row per social prescribing referral with both a baseline and a
-- follow-up wellbeing score on the same tool. The earliest baseline and the
-- latest follow-up are used. The mart keeps the raw change; whether it is
-- meaningful (WEMWBS 3 points, SWEMWBS 2 by default) is for the report.
CREATE TABLE marts.referral_outcomes AS
WITH scores AS (
    SELECT referral_id, tool,
           arg_min(score, (assessment_date, assessment_id)) FILTER (WHERE timepoint = 'baseline')  AS baseline_score,
           min(assessment_date) FILTER (WHERE timepoint = 'baseline')                             AS baseline_date,
           arg_max(score, (assessment_date, assessment_id)) FILTER (WHERE timepoint = 'follow_up') AS follow_up_score,
           max(assessment_date) FILTER (WHERE timepoint = 'follow_up')                            AS follow_up_date
    FROM core.wellbeing_score
    GROUP BY referral_id, tool
)
SELECT
    s.referral_id,
    r.received_month,
    r.referral_source,
    r.referrer_org_code,
    r.referrer_org_name,
    r.referrer_team,
    s.tool,
    s.baseline_date,
    s.baseline_score,
    s.follow_up_date,
    CAST(date_trunc('month', s.follow_up_date) AS DATE) AS follow_up_month,
    s.follow_up_score,
    s.follow_up_score - s.baseline_score                AS score_change
FROM scores s
JOIN core.referral r USING (referral_id)
WHERE s.baseline_score IS NOT NULL AND s.follow_up_score IS NOT NULL
ORDER BY s.referral_id, s.tool;

COMMENT ON TABLE marts.referral_outcomes IS 'Wellbeing change for each social prescribing referral with a baseline and a follow-up score on the same tool.';
COMMENT ON COLUMN marts.referral_outcomes.referral_id IS 'Referral (core.referral.referral_id).';
COMMENT ON COLUMN marts.referral_outcomes.received_month IS 'First day of the month the referral was received.';
COMMENT ON COLUMN marts.referral_outcomes.referral_source IS 'mental_health, gp, self, …';
COMMENT ON COLUMN marts.referral_outcomes.referrer_org_code IS 'ODS code of the referring organisation; NULL for self-referrals.';
COMMENT ON COLUMN marts.referral_outcomes.referrer_org_name IS 'Name of the referring organisation as sent.';
COMMENT ON COLUMN marts.referral_outcomes.referrer_team IS 'Requesting team; NULL when none was sent.';
COMMENT ON COLUMN marts.referral_outcomes.tool IS 'WEMWBS or SWEMWBS.';
COMMENT ON COLUMN marts.referral_outcomes.baseline_date IS 'Date of the earliest baseline assessment.';
COMMENT ON COLUMN marts.referral_outcomes.baseline_score IS 'Score at that baseline.';
COMMENT ON COLUMN marts.referral_outcomes.follow_up_date IS 'Date of the latest follow-up assessment.';
COMMENT ON COLUMN marts.referral_outcomes.follow_up_month IS 'First day of the month of the follow-up; the month an outcome is reported in.';
COMMENT ON COLUMN marts.referral_outcomes.follow_up_score IS 'Score at that follow-up.';
COMMENT ON COLUMN marts.referral_outcomes.score_change IS 'Follow-up score minus baseline score; positive is improvement.';
