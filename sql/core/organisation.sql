-- Grain: one row per partner organisation (ODS code).
CREATE TABLE core.organisation AS
SELECT org_code, org_name, org_type, parent_code, postcode, go_live_date
FROM staging.stg_reference__organisations
QUALIFY row_number() OVER (PARTITION BY org_code ORDER BY org_name) = 1
ORDER BY org_code;

COMMENT ON TABLE core.organisation IS 'Partner organisations of the shared care record, one row per ODS code, from the reference feed.';
COMMENT ON COLUMN core.organisation.org_code IS 'ODS code of the organisation.';
COMMENT ON COLUMN core.organisation.org_name IS 'Organisation name.';
COMMENT ON COLUMN core.organisation.org_type IS 'Organisation type, e.g. GP practice, Acute trust, Local authority.';
COMMENT ON COLUMN core.organisation.parent_code IS 'ODS code of the parent organisation (ICB or trust), if any.';
COMMENT ON COLUMN core.organisation.postcode IS 'Postcode of the organisation''s main site.';
COMMENT ON COLUMN core.organisation.go_live_date IS 'Date the organisation went live on the shared care record portal; NULL if it has not.';
