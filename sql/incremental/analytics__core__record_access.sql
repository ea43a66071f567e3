-- Grain: as the analytics core.record_access. Run in place of
-- analytics/core__record_access.sql when the warehouse was updated in place
-- from the warehouse this analytics database was built from: the build
-- starts from a copy of this database and keeps its core.record_access.
-- The table is ordered by month first (and within a month by organisation,
-- user and patient, so that it keeps no trace of the order of events), so
-- every month from the earliest the night changed
-- (meta.record_access_changed_from: in a normal night the current one) is
-- taken out and made again from the warehouse, at the end, where a full
-- build puts it. Nothing changes when the night changed no view.
SET VARIABLE access_changed_from = (SELECT min(access_month) FROM wh.meta.record_access_changed_from);

DELETE FROM core.record_access
WHERE access_month >= getvariable('access_changed_from');

SET preserve_insertion_order = true;
INSERT INTO core.record_access
SELECT
    CASE WHEN r.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person'))
         WHEN r.nhs_number IS NOT NULL AND r.nhs_number <> '' THEN pseudonym('nhs:' || r.nhs_number)
    END AS pseudo_id,
    r.person_id IS NOT NULL AS in_person_index,
    r.access_month, r.user_id, r.org_code, r.role, r.sections, r.reason
FROM wh.core.record_access r
LEFT JOIN person_pseudonym pp ON pp.person_id = r.person_id
WHERE r.access_month >= getvariable('access_changed_from')
ORDER BY access_month, org_code, user_id, pseudo_id, role, reason, CAST(sections AS VARCHAR);
SET preserve_insertion_order = false;
