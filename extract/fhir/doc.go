// Package fhir lands FHIR R4 resources: Bulk Data $export NDJSON (the
// mental health EPR feed) and JSON documents holding one resource or a
// Bundle (PDS responses, FHIR API exports).
//
// # Inputs
//
// New takes a root directory and slash-separated glob patterns. A file whose
// name ends in .ndjson or .jsonl is read line by line, one resource per
// line; the position is the line number, lines are limited to MaxLine bytes
// (a longer line is rejected record_too_long and skipped, never held whole)
// and a blank line is rejected blank_line. Any other file is one JSON
// document of at most MaxDocument bytes, read whole: a single resource has
// position 1; a Bundle's entries have their 1-based entry index, and the
// entries of a Bundle nested in an entry keep the index of that outer entry
// (the reject message gives the full path, "entry 4.2"). Bundles nest up to
// 8 deep. A Bundle is a container, not a record: its entries are.
//
// # Entities
//
// Every record read is landed in, or rejected under, one entity:
//
//	patients       Patient — the person-level contract: record_key (id),
//	               nhs_number, given_name, family_name, date_of_birth, sex,
//	               postcode; and birth_date_raw, middle_names, title,
//	               address_line_1/2, town, phone, identifiers, active,
//	               deceased, deceased_at, links, general_practitioner,
//	               managing_organization, meta_last_updated
//	encounters     Encounter
//	conditions     Condition
//	medications    MedicationRequest and MedicationStatement (resource_type)
//	allergies      AllergyIntolerance
//	referrals      ServiceRequest (requester, performer = receiving team)
//	practitioners  Practitioner
//	organizations  Organization (ods_code from the ODS identifier)
//	unrouted       nothing is landed: records that belong to no entity are
//	               counted and rejected here
//
// Schemas lists every column. Choices made:
//
//   - nhs_number is the first identifier with system
//     https://fhir.nhs.uk/Id/nhs-number (or the older
//     http://fhir.nhs.net/Id/nhs-number), as written: checking it is the
//     transform's job.
//   - The name is the first official name, else usual, else one without a
//     use, …, a name whose period has ended coming last; given_name is its
//     first given name, middle_names the others. The address is chosen the
//     same way, home first; town is address.city (UK Core often has the town
//     in a line instead, which lands in address_line_1/2 as written).
//   - identifiers are "system|value"; links are "type|Type/id" from
//     Patient.link (replaced-by, replaces, refer, seealso).
//   - References are normalised to "Type/id": base URLs and /_history/n are
//     stripped, urn:uuid: full URLs are resolved through the enclosing
//     Bundles' fullUrls, contained references ("#x") are kept. A reference
//     by identifier only becomes "Type?identifier=system|value" (FHIR's
//     conditional form; Organization for an ODS code). record_key on
//     clinical entities is the id of a Patient subject, null when the subject
//     is something else.
//   - A resource without an id takes the one its Bundle entry's fullUrl
//     gives (the UUID of urn:uuid:…); a Patient with neither is rejected.
//   - Codes: the SNOMED CT coding if there is one, else the first coded one;
//     the display falls back to the concept's text.
//   - Times: each temporal element lands as a UTC timestamp and as
//     "<column>_raw", the text as written. A date (YYYY-MM-DD) is midnight
//     UTC; a partial date (YYYY, YYYY-MM) and a date-time without an offset
//     (forbidden by FHIR; its instant is unknown) are null beside their raw
//     text. date_of_birth is a date column; a partial birth date is null and
//     kept in birth_date_raw.
//   - Booleans (active, deceased) are the strings "true" and "false".
//
// # Rejects
//
//	parse_error           not JSON, trailing data, not a JSON object, empty file
//	missing_field         no resourceType; Patient without id; Bundle entry
//	                      without a resource
//	bad_value             an element of the wrong JSON type, a malformed
//	                      date/time, a non-string id or resourceType, Bundles
//	                      nested too deep
//	unsupported_resource  a resource type no entity lands (Observation,
//	                      Procedure, …): counted, never silently dropped
//	operation_outcome     an OperationOutcome, e.g. a PDS error response; the
//	                      message gives its issue codes only
//	record_too_long       a line over MaxLine or a file over MaxDocument
//	blank_line            an empty NDJSON line
//
// Reject messages name the file, the line or entry and the element at fault,
// never a value from the record. A resource of a landed type that fails is
// rejected under its entity; everything else under unrouted.
package fhir
