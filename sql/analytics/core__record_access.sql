-- Grain: one row per record-view event in the portal, pseudonymised: the
-- patient as a pseudonym, the time as its month; event id, timestamps and
-- NHS number dropped. A person's pseudonym comes from person_pseudonym
-- (temp__person_pseudonym.sql).
CREATE TABLE core.record_access AS
SELECT
    CASE WHEN r.person_id IS NOT NULL THEN coalesce(pp.pseudo_id, error('a person_id of the warehouse is not in core.person'))
         WHEN r.nhs_number IS NOT NULL AND r.nhs_number <> '' THEN pseudonym('nhs:' || r.nhs_number)
    END AS pseudo_id,
    r.person_id IS NOT NULL AS in_person_index,
    r.access_month, r.user_id, r.org_code, r.role, r.sections, r.reason
FROM wh.core.record_access r
LEFT JOIN person_pseudonym pp ON pp.person_id = r.person_id
ORDER BY access_month, org_code, user_id, pseudo_id, role, reason, CAST(sections AS VARCHAR);

COMMENT ON TABLE core.record_access IS 'Every view of a shared care record in the portal, by month, pseudonymised: the patient viewed as a pseudonym; no NHS number, event id or exact time.';
COMMENT ON COLUMN core.record_access.pseudo_id IS 'Patient viewed: core.person.pseudo_id when the NHS number is in the person index, else a keyed pseudonym of the logged NHS number ("nhs:" domain) so distinct patients can still be counted; NULL when none was logged.';
COMMENT ON COLUMN core.record_access.in_person_index IS 'True when the patient viewed is in the person index (pseudo_id then joins core.person).';
