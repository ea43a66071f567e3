-- Grain: one row per wellbeing assessment, as in the warehouse (no person
-- identifiers).
CREATE TABLE core.wellbeing_score AS
SELECT * FROM wh.core.wellbeing_score ORDER BY ALL;
