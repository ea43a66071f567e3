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

-- Whether an organisation's type changed since the warehouse this build
-- started from (meta.usage_org_types holds the types that warehouse was
-- built with; it is empty in a full build, which makes every table in
-- full anyway): a night that updates the usage marts in place makes them
-- again in full when one did, since every month's figures by organisation
-- type may move. Then the types are kept for the next night.
INSERT INTO meta.organisation_types_changed
SELECT EXISTS (
    (SELECT org_code, coalesce(org_type, 'unknown') FROM core.organisation
     EXCEPT SELECT org_code, org_type FROM meta.usage_org_types)
    UNION ALL
    (SELECT org_code, org_type FROM meta.usage_org_types
     EXCEPT SELECT org_code, coalesce(org_type, 'unknown') FROM core.organisation)
);
DELETE FROM meta.usage_org_types;
INSERT INTO meta.usage_org_types
SELECT org_code, coalesce(org_type, 'unknown') FROM core.organisation ORDER BY org_code;
