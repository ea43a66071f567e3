-- Grain: one row per organisation in the reference (ODS-style) file.
CREATE VIEW staging.stg_reference__organisations AS
SELECT
    org_code,
    name         AS org_name,
    org_type,
    parent_code,
    postcode,
    go_live_date
FROM landing.reference__organisations;
