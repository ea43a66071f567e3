-- Grain: one row per person in the warehouse's core.person: the person's
-- pseudonym, pseudonym('person:' || person_id), computed here once and
-- joined by every analytics table instead of being computed again for each
-- of their rows (an HMAC in Go per row was most of the build's time), and
-- pseudo_rank, the person's place in pseudonym order. Tables ordered by
-- pseudo_id sort on pseudo_rank instead: the same order (pseudonyms are
-- unique per person) from an integer rather than a 64-character string.
-- A temporary table: it is not kept in the analytics database. Every
-- person_id in the warehouse is one of core.person's (they all come from
-- the person index); a file that finds one that is not fails rather than
-- leave a pseudonym out.
CREATE TEMP TABLE person_pseudonym AS
SELECT person_id, pseudo_id, row_number() OVER (ORDER BY pseudo_id) AS pseudo_rank
FROM (SELECT person_id, pseudonym('person:' || person_id) AS pseudo_id FROM wh.core.person);
