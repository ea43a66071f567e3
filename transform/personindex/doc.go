// Package personindex builds the person index (EMPI) from the person-level
// records of every source: each record is standardised (transform/standardise,
// transform/nhsnumber) and linked to one person.
//
// This version links on a valid NHS number only: records sharing a number
// that passes Modulus 11 are one person (rule "nhs_number"); a record with a
// missing or invalid number is a person of its own (rule "singleton"). The
// probabilistic matcher of DESIGN.md replaces the second rule.
//
// Person ids persist: a cluster keeps the id that any of its records, or its
// NHS number, had in the previous index; new clusters take fresh ids above
// the previous maximum, in a deterministic order, so the same inputs and the
// same previous index always give the same ids.
//
// The index is written as LAKE/index/run=R/person_link.parquet, one row per
// source record, followed by the marker LAKE/index/run=R/_SUCCESS.
package personindex
