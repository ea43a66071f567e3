-- Grain: one row per social care package, pseudonymised; the provider's
-- contact details are dropped.
-- The pseudonym comes from person_pseudonym (temp__person_pseudonym.sql);
-- sorting on its pseudo_rank orders the rows by pseudo_id.
CREATE TABLE core.care_package AS
SELECT
    CASE WHEN c.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person')) END AS pseudo_id,
    c.source, c.system, c.service_type, c.provider_name, c.status, c.start_date, c.end_date
FROM wh.core.care_package c
LEFT JOIN person_pseudonym pp ON pp.person_id = c.person_id
ORDER BY c.source, pp.pseudo_rank, c.start_date, c.service_type, c.provider_name, c.status, c.end_date;

COMMENT ON TABLE core.care_package IS 'Social care packages (type, provider, status, dates), pseudonymised: package ids and provider contact details are dropped.';
COMMENT ON COLUMN core.care_package.pseudo_id IS 'Person (core.person.pseudo_id); NULL when the social care person is not in the person index.';
