-- Grain: one row per social care package, pseudonymised; the provider's
-- contact details are dropped.
CREATE TABLE core.care_package AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id) END AS pseudo_id,
    source, system, service_type, provider_name, status, start_date, end_date
FROM wh.core.care_package
ORDER BY source, pseudo_id, start_date, service_type, provider_name, status, end_date;

COMMENT ON TABLE core.care_package IS 'Social care packages (type, provider, status, dates), pseudonymised: package ids and provider contact details are dropped.';
COMMENT ON COLUMN core.care_package.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the social care person is not in the person index.';
