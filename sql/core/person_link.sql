-- Grain: one row per person-level source record, with the person it is linked to.
CREATE TABLE core.person_link AS
SELECT source, system, entity, record_key, person_id, match_rule, nhs_number_status
FROM landing.person_link
ORDER BY source, entity, record_key;

COMMENT ON TABLE core.person_link IS 'Links from each person-level source record to its person in core.person, with the rule that made the link.';
COMMENT ON COLUMN core.person_link.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.person_link.system IS 'Kind of system the source is: gp, acute, mentalhealth, socialcare, socialprescribing.';
COMMENT ON COLUMN core.person_link.entity IS 'Landed entity the record came from, e.g. patients.';
COMMENT ON COLUMN core.person_link.record_key IS 'The record''s key in its source (GP: practice code/practice patient id; acute: hospital number; mental health: FHIR Patient id; social care: person id; social prescribing: client id).';
COMMENT ON COLUMN core.person_link.person_id IS 'Person the record belongs to (core.person.person_id).';
COMMENT ON COLUMN core.person_link.match_rule IS 'Why the record is in this person: nhs_number (shares a valid NHS number) or singleton (no valid NHS number; a person of its own).';
COMMENT ON COLUMN core.person_link.nhs_number_status IS 'State of the record''s NHS number: valid, missing, invalid_check_digit, invalid_format or dummy.';
