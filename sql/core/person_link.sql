-- Grain: one row per person-level source record, with the person it is linked to.
CREATE TABLE core.person_link AS
SELECT source, system, entity, record_key, person_id, match_rule, match_weight, nhs_number_status
FROM landing.person_link
ORDER BY source, entity, record_key;

COMMENT ON TABLE core.person_link IS 'Links from each person-level source record to its person in core.person, with the rule that placed it; the pairwise evidence is in core.person_match.';
COMMENT ON COLUMN core.person_link.source IS 'Source (feed) name from the configuration.';
COMMENT ON COLUMN core.person_link.system IS 'Kind of system the source is: gp, acute, mentalhealth, socialcare, socialprescribing.';
COMMENT ON COLUMN core.person_link.entity IS 'Landed entity the record came from, e.g. patients.';
COMMENT ON COLUMN core.person_link.record_key IS 'The record''s key in its source (GP: practice code/practice patient id; acute: hospital number; mental health: FHIR Patient id; social care: person id; social prescribing: client id). Its matcher id is source/entity/record_key.';
COMMENT ON COLUMN core.person_link.person_id IS 'Person the record belongs to (core.person.person_id).';
COMMENT ON COLUMN core.person_link.match_rule IS 'What placed the record with the rest of its person: nhs_number (same valid NHS number, corroborated), probabilistic (Fellegi-Sunter weight above the link threshold), source_link (HL7 A40 merge or FHIR Patient.link), clerical (an accepted review decision), or singleton (linked to no other record).';
COMMENT ON COLUMN core.person_link.match_weight IS 'Match weight (bits) of the strongest link that placed the record; NULL for a singleton.';
COMMENT ON COLUMN core.person_link.nhs_number_status IS 'State of the record''s NHS number: valid, missing, invalid_check_digit, invalid_format or dummy.';
