-- Grain: one row per scored pair of source records in the link or review
-- band (record_a < record_b), with the evidence for the decision.
CREATE TABLE core.person_match AS
SELECT record_a, record_b, match_weight, match_probability, band, rule, note, same_person, awaiting_review, evidence
FROM landing.person_match
ORDER BY record_a, record_b;

COMMENT ON TABLE core.person_match IS 'Candidate pairs the matcher linked or sent to clerical review, with per-comparison evidence; awaiting_review rows are the review queue (sharedcare review).';
COMMENT ON COLUMN core.person_match.record_a IS 'First record of the pair, as source/entity/record_key.';
COMMENT ON COLUMN core.person_match.record_b IS 'Second record of the pair, as source/entity/record_key.';
COMMENT ON COLUMN core.person_match.match_weight IS 'Total match weight in bits: prior plus the weight of each comparison level.';
COMMENT ON COLUMN core.person_match.match_probability IS 'Match probability, 1/(1+2^-weight).';
COMMENT ON COLUMN core.person_match.band IS 'Decision band: link or review.';
COMMENT ON COLUMN core.person_match.rule IS 'What placed the pair: nhs_number, probabilistic, source_link or clerical.';
COMMENT ON COLUMN core.person_match.note IS 'Why a pair was capped or refused, e.g. hard rule different_nhs_numbers, possible_twin, or a refused merge of two valid NHS numbers.';
COMMENT ON COLUMN core.person_match.same_person IS 'Whether the two records ended in the same person.';
COMMENT ON COLUMN core.person_match.awaiting_review IS 'True when the pair is in the clerical review queue with no decision yet.';
COMMENT ON COLUMN core.person_match.evidence IS 'JSON list of comparisons: name, level reached, weight and term-frequency adjustment.';
