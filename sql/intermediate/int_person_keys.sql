-- Grain: one row per person-level source record (source × record key) in the
-- person index, with its person. Clinical and social care records join to
-- their person through it: GP records by practice code/practice patient id,
-- acute by hospital number (MRN), mental health by FHIR Patient id, social
-- care by its person id.
CREATE TABLE intermediate.int_person_keys AS
SELECT source, record_key, min(person_id) AS person_id
FROM landing.person_link
GROUP BY source, record_key;
