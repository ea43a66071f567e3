-- Grain: one row per partner organisation (ODS code); the site postcode is
-- coarsened to its district.
CREATE TABLE core.organisation AS
SELECT
    org_code, org_name, org_type, parent_code,
    nullif(split_part(upper(trim(postcode)), ' ', 1), '') AS postcode_district,
    go_live_date
FROM wh.core.organisation
ORDER BY org_code;

COMMENT ON COLUMN core.organisation.postcode_district IS 'Postcode district (outward code) of the organisation''s main site.';
