-- Grain: one row per social care package (source × package id), its latest
-- version. What a hospital may see (Nottinghamshire's model): that a package
-- exists, its type, provider and provider contact, status and dates — not
-- the package's service details. People who pay privately or take direct
-- payments are not in the social care system, so absence here is not
-- absence of care.
CREATE TABLE core.care_package AS
SELECT
    c.package_id,
    c.source,
    c.system,
    c.record_key,
    k.person_id,
    c.service_type,
    c.provider_name,
    c.provider_phone,
    c.provider_email,
    c.status,
    c.start_date,
    c.end_date,
    c.updated_at
FROM staging.stg_socialcare__care_packages c
LEFT JOIN intermediate.int_person_keys k ON k.source = c.source AND k.record_key = c.record_key
QUALIFY row_number() OVER (PARTITION BY c.source, c.package_id ORDER BY c.updated_at DESC NULLS LAST, c.source_file DESC, c.source_position DESC) = 1
ORDER BY c.source, c.package_id;

COMMENT ON TABLE core.care_package IS 'Social care packages: that a person has one, its type, the provider and how to contact them, status and dates. Service details are deliberately not kept. Self-funders and people on direct payments are absent from the source.';
COMMENT ON COLUMN core.care_package.package_id IS 'Package id in the social care system. Unique with source.';
COMMENT ON COLUMN core.care_package.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.care_package.system IS 'Kind of system the source is: socialcare.';
COMMENT ON COLUMN core.care_package.record_key IS 'The social care person id the package belongs to. Identifiable.';
COMMENT ON COLUMN core.care_package.person_id IS 'Person (core.person.person_id); NULL when the social care person is not in the person index (counted in meta.unlinked_records).';
COMMENT ON COLUMN core.care_package.service_type IS 'Type of package, e.g. Home care, Residential care, Reablement.';
COMMENT ON COLUMN core.care_package.provider_name IS 'Name of the provider delivering the package.';
COMMENT ON COLUMN core.care_package.provider_phone IS 'Provider''s contact telephone number (an organisation''s, not the person''s). Not carried into analytics.';
COMMENT ON COLUMN core.care_package.provider_email IS 'Provider''s contact email address (an organisation''s). Not carried into analytics.';
COMMENT ON COLUMN core.care_package.status IS 'Package status: planned, active, suspended or ended.';
COMMENT ON COLUMN core.care_package.start_date IS 'Date the package started.';
COMMENT ON COLUMN core.care_package.end_date IS 'Date the package ended; NULL while it continues.';
COMMENT ON COLUMN core.care_package.updated_at IS 'When the social care system last changed the package row (its extract watermark).';
