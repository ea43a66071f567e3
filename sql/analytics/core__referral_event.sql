-- Grain: one row per event in a social prescribing referral's journey, as in
-- the warehouse (no person identifiers).
CREATE TABLE core.referral_event AS
SELECT * FROM wh.core.referral_event ORDER BY ALL;
