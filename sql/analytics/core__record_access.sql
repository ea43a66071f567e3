-- Grain: one row per record-view event in the portal, pseudonymised: the
-- patient as a pseudonym, the time as its month; event id, timestamps and
-- NHS number dropped. A person's pseudonym comes from person_pseudonym
-- (temp__person_pseudonym.sql).
--
-- The table is ordered by month first (and within a month by organisation,
-- user and patient, so that it keeps no trace of the order of events). A
-- full build makes every month. When the warehouse was updated in place
-- from the one this database was built from (the variable
-- analytics_in_place; see load.BuildAnalytics), the build starts from a
-- copy of this database and keeps the table: every month from the
-- earliest the night changed (meta.record_access_changed_from: in a normal
-- night the current one) is taken out and made again at the end, where a
-- full build puts it, and nothing changes when the night changed no view.
SET VARIABLE access_changed_from = (
    SELECT CASE WHEN NOT getvariable('analytics_in_place') THEN DATE '0001-01-01'
                ELSE (SELECT min(access_month) FROM wh.meta.record_access_changed_from) END);
CREATE TABLE IF NOT EXISTS core.record_access (
    pseudo_id       VARCHAR,
    in_person_index BOOLEAN,
    access_month    DATE,
    user_id         VARCHAR,
    org_code        VARCHAR,
    role            VARCHAR,
    sections        VARCHAR[],
    reason          VARCHAR
);
DELETE FROM core.record_access WHERE access_month >= getvariable('access_changed_from');

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

COMMENT ON TABLE core.record_access IS 'Every view of a shared care record in the portal, by month, pseudonymised: the patient viewed as a pseudonym; no NHS number, event id or exact time.';
COMMENT ON COLUMN core.record_access.pseudo_id IS 'Patient viewed: core.person.pseudo_id when the NHS number is in the person index, else a keyed pseudonym of the logged NHS number ("nhs:" domain) so distinct patients can still be counted; NULL when none was logged.';
COMMENT ON COLUMN core.record_access.in_person_index IS 'True when the patient viewed is in the person index (pseudo_id then joins core.person).';
