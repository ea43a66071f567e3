-- Grain: one row per record-view event in the portal, pseudonymised: the
-- patient as a pseudonym, the time as its month; event id, timestamps and
-- NHS number dropped.
CREATE TABLE core.record_access AS
SELECT
    CASE WHEN person_id IS NOT NULL THEN pseudonym('person:' || person_id)
         WHEN nhs_number IS NOT NULL AND nhs_number <> '' THEN pseudonym('nhs:' || nhs_number)
    END AS pseudo_id,
    person_id IS NOT NULL AS in_person_index,
    access_month, user_id, org_code, role, sections, reason
FROM wh.core.record_access
ORDER BY access_month, org_code, user_id, pseudo_id, role, reason, CAST(sections AS VARCHAR);

COMMENT ON TABLE core.record_access IS 'Every view of a shared care record in the portal, by month, pseudonymised: the patient viewed as a pseudonym; no NHS number, event id or exact time.';
COMMENT ON COLUMN core.record_access.pseudo_id IS 'Patient viewed: core.person.pseudo_id when the NHS number is in the person index, else a keyed pseudonym of the logged NHS number ("nhs:" domain) so distinct patients can still be counted; NULL when none was logged.';
COMMENT ON COLUMN core.record_access.in_person_index IS 'True when the patient viewed is in the person index (pseudo_id then joins core.person).';
