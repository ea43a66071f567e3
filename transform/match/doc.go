// Package match links person records that belong to the same person: a
// generic Fellegi–Sunter record linkage engine driven by a model file, with
// the NHS default model embedded (models/nhs.yaml). It does no I/O beyond
// reading a model file and needs no cgo.
//
// # Model
//
// A model file (YAML, format version 1; see models/nhs.yaml and
// testdata/nordic.yaml) declares:
//
//   - fields, each with a type that fixes its standardisation: name
//     (standardise.Name; first_word keeps the first given name), string,
//     date (formats: Go layouts; default ISO, dd/mm/yyyy, yyyymmdd),
//     postcode (standardise.ParsePostcode), nhs_number (Modulus 11; an
//     invalid number counts as missing, and is counted in Stats.Invalid),
//     sex (standardise.Sex; U counts as missing), integer;
//   - comparisons, each over one field, with ordered levels: the first
//     level a pair passes is its level. A comparison starts with a null
//     level (either value missing: weight 0) and ends with else. Between
//     them: exact (optionally tf_adjust), jaro_winkler (threshold),
//     levenshtein (distance), prefix (length), alias (both in one group of
//     a named alias table, e.g. nicknames), date_swap (day and month
//     swapped), date_one_component (two of year, month, day agree: a year
//     off or a single-digit typo), date_within_days (days),
//     postcode_sector, postcode_district, postcode_area, numeric_within
//     (distance). Every level but null has m = P(level | same person) and
//     u = P(level | different people); its weight is log2(m/u);
//   - blocking rules: lists of keys (a field, or field.derived with soundex,
//     first3, initial, year, month, sector, district, area); a pair is
//     compared when it agrees on every key of at least one rule.
//     Blocks larger than max_block_size are skipped and counted
//     (Stats.SkippedBlocks), with one warning to Options.Logger;
//   - prior λ, the probability that two random records match;
//   - thresholds on the match probability (or weight): link at or above
//     link, clerical review at or above review, non-link below;
//   - rules (deterministic), hard_rules (caps) and distinct fields.
//
// Every problem is reported as a *ModelError naming the field, comparison,
// level, blocking rule or rule; unknown keys are errors.
//
// # Scoring and bands
//
// A candidate pair's match weight is log2(λ/(1−λ)) plus the weight of the
// level of each comparison; with tf_adjust, agreeing exactly on value v uses
// u = max(frequency of v, tf_minimum_u) instead of the level's u, so that
// SMITH agreeing counts less than a rare surname. Probability =
// 1/(1+2^−weight). Then, in order:
//
//  1. deterministic rules: the NHS model links a pair with the same valid
//     NHS number (rule "nhs_number") when its date of birth agrees at any
//     level short of else, or both names are similar; otherwise (a number
//     mistyped into another valid one?) the pair goes to review;
//  2. otherwise the thresholds place the pair (rule "probabilistic");
//  3. hard rules cap the band: two different valid NHS numbers never link
//     automatically (review), and nor do possible twins (no NHS number to
//     tell them apart, same date of birth, given names that disagree);
//  4. clerical decisions (Options.Decisions) override: accept links
//     (rule "clerical"), reject keeps the pair, and their clusters, apart.
//
// Source-asserted links (Record.Links: HL7 A40 merges, FHIR Patient.link)
// link with rule "source_link". Every kept pair carries its evidence: the
// level and weight of each comparison (Pair.Evidence); Explain and
// Result.Explain give the same for any two records.
//
// # Clusters
//
// Clusters are the connected components of link pairs, built in a fixed
// order: clerical accepts, source links, deterministic-rule links, then
// probabilistic links by descending weight. An automatic merge that would
// put two different values of a distinct field (nhs_number) in one cluster,
// or join records a clerical decision rejected, is refused: the pair goes
// to the review queue (Result.Review) with the reason. So a cluster never
// holds two different valid NHS numbers unless a clerk accepted it. A
// cluster's id is its smallest record id.
//
// # Estimation
//
// With Options.Train (or Train), parameters come from the data: u from
// 1,000,000 random pairs (all pairs when there are fewer); m by
// expectation–maximisation with u fixed, one session per blocking rule over
// the pairs of its blocks, each estimating the comparisons its rule does not
// block on (Splink's approach), the model's m acting as a weak prior worth
// ten matching pairs, sessions averaged; then λ as the expected number of
// matches among the candidate pairs over all pairs. Levels marked fixed
// keep their values. Result.Model is the trained model; WriteYAML saves it.
//
// # Determinism and performance
//
// The same records (in the same order), model, decisions and Options.Seed
// give the same pairs, clusters and trained model whatever the number of
// workers: random pairs come from sixteen PCG streams seeded from the seed,
// work is split into fixed chunks whose results are joined in order, and
// every map is read in sorted order. Values are standardised once per
// distinct value and kept in compact columns (value ids per record,
// derived keys and date parts per value); blocks come from sorting 64-bit
// keys, one rule at a time (a rule's blocks are dropped before the next
// rule's are built; whether a pair shares an earlier rule's block is
// worked out again from its records' value ids); comparisons run on
// Options.Workers goroutines. Candidate pairs are never held: each is
// scored as it is compared and only link and review pairs are kept, and
// training counts comparison vectors in a pass of its own, so memory does
// not grow with the number of candidate pairs (39 million at 2,000,000
// persons). On two shared cores
// a 1,000,000-person region (1.1 million records, 5.8 million candidate
// pairs) trains and matches in 6 to 16 seconds; the whole benchmark process
// (the region loaded as a Table, matching, evaluation) peaks at about 1.6 GB
// resident.
package match
