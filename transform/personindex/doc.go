// Package personindex builds the person index (EMPI) from the person-level
// records of every source: each record is standardised (transform/standardise,
// transform/nhsnumber) and linked to one person.
//
// BuildMatched (BuildMatchedPersons in the pipeline) links with the
// Fellegi–Sunter matcher of transform/match: the deterministic NHS-number
// rule, probabilistic scoring, links the sources assert and clerical
// decisions. Build, used when no matching model is configured, links on a
// valid NHS number only: records sharing a number that passes Modulus 11 are
// one person (rule "nhs_number"); any other record is a person of its own
// (rule "singleton").
//
// Person ids persist: a cluster keeps an id that its records, or its NHS
// numbers, had in the previous index (BuildMatched: the one most of its
// records had); new clusters take fresh ids above the previous maximum, in
// a deterministic order, so the same inputs and the same previous index
// always give the same ids.
//
// A night holds every current person record, so records (Persons), links
// (Links) and the previous index (Previous) are held compactly: repeated
// strings once each, numbers and dates as integers.
//
// The index is written as LAKE/index/run=R/person_link.parquet, one row per
// source record, with person_match.parquet (link and review pairs and their
// evidence), person_change.parquet (merges and splits), person_moved.parquet
// (the records whose person changed since the previous index, named in
// person_moved.from; the warehouse moves only their encounters) and the
// trained model, followed by the marker LAKE/index/run=R/_SUCCESS. Beside them,
// records/ holds the run's snapshots of its sources' records, which the next
// run reads in place of the files they cover (snapshot.go).
package personindex
