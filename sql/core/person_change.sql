-- Grain: one row per merge or split of persons made by the run that built
-- this warehouse.
CREATE TABLE core.person_change AS
SELECT kind, person_id, other_person_id
FROM landing.person_change
ORDER BY kind, person_id, other_person_id;

COMMENT ON TABLE core.person_change IS 'Merges and splits of persons made by this run compared with the previous person index: person ids persist, so these are the only changes of identity.';
COMMENT ON COLUMN core.person_change.kind IS 'merge (other_person_id''s records joined person_id and other_person_id is retired) or split (some of person_id''s records now form other_person_id).';
COMMENT ON COLUMN core.person_change.person_id IS 'The person kept (merge) or split (split).';
COMMENT ON COLUMN core.person_change.other_person_id IS 'The person retired (merge) or created (split).';
