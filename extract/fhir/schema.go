package fhir

import "github.com/sharedcare/sharedcare/extract"

// Entity indexes, in the order the entities are declared (and appear in the
// run manifest).
const (
	entPatients = iota
	entEncounters
	entConditions
	entMedications
	entAllergies
	entReferrals
	entPractitioners
	entOrganizations
	entUnrouted
	numEntities
)

func f(name string, t extract.Type) extract.Field { return extract.Field{Name: name, Type: t} }

const (
	tStr  = extract.String
	tDate = extract.Date
	tTS   = extract.Timestamp
	tList = extract.StringList
)

// Schemas are the entities the connector lands, in manifest order.
//
// Every temporal FHIR element lands twice: as a timestamp (UTC; a date-only
// value is midnight UTC; a partial date or a date-time without an offset is
// null) and as "<column>_raw", the text as written, so precision is never
// lost. date_of_birth is a date column for the same reason.
var Schemas = [numEntities]extract.Schema{
	entPatients: {Entity: "patients", Fields: []extract.Field{
		// The person-level contract shared by every connector.
		f("record_key", tStr), // Patient.id
		f("nhs_number", tStr),
		f("given_name", tStr),
		f("family_name", tStr),
		f("date_of_birth", tDate),
		f("sex", tStr),
		f("postcode", tStr),
		// Extras.
		f("birth_date_raw", tStr),
		f("middle_names", tStr),
		f("title", tStr),
		f("address_line_1", tStr),
		f("address_line_2", tStr),
		f("town", tStr),
		f("phone", tStr),
		f("identifiers", tList),
		f("active", tStr),
		f("deceased", tStr),
		f("deceased_at", tTS),
		f("deceased_at_raw", tStr),
		f("links", tList),
		f("general_practitioner", tStr),
		f("managing_organization", tStr),
		f("meta_last_updated", tTS),
	}},
	entEncounters: {Entity: "encounters", Fields: []extract.Field{
		f("id", tStr),
		f("record_key", tStr),
		f("subject", tStr),
		f("status", tStr),
		f("class_code", tStr),
		f("type_system", tStr),
		f("type_code", tStr),
		f("type_display", tStr),
		f("period_start", tTS),
		f("period_start_raw", tStr),
		f("period_end", tTS),
		f("period_end_raw", tStr),
		f("service_provider", tStr),
		f("participants", tList),
		f("episode_of_care", tList),
		f("meta_last_updated", tTS),
	}},
	entConditions: {Entity: "conditions", Fields: []extract.Field{
		f("id", tStr),
		f("record_key", tStr),
		f("subject", tStr),
		f("clinical_status", tStr),
		f("verification_status", tStr),
		f("category", tList),
		f("code_system", tStr),
		f("code", tStr),
		f("code_display", tStr),
		f("onset", tTS),
		f("onset_raw", tStr),
		f("abatement", tTS),
		f("abatement_raw", tStr),
		f("recorded_date", tTS),
		f("recorded_date_raw", tStr),
		f("encounter", tStr),
		f("meta_last_updated", tTS),
	}},
	entMedications: {Entity: "medications", Fields: []extract.Field{
		f("resource_type", tStr), // MedicationRequest or MedicationStatement
		f("id", tStr),
		f("record_key", tStr),
		f("subject", tStr),
		f("status", tStr),
		f("intent", tStr),
		f("medication_system", tStr),
		f("medication_code", tStr),
		f("medication_display", tStr),
		f("medication_reference", tStr),
		f("authored_on", tTS),
		f("authored_on_raw", tStr),
		f("effective_start", tTS),
		f("effective_start_raw", tStr),
		f("effective_end", tTS),
		f("effective_end_raw", tStr),
		f("dosage_text", tStr),
		f("requester", tStr),
		f("encounter", tStr),
		f("meta_last_updated", tTS),
	}},
	entAllergies: {Entity: "allergies", Fields: []extract.Field{
		f("id", tStr),
		f("record_key", tStr),
		f("patient", tStr),
		f("clinical_status", tStr),
		f("verification_status", tStr),
		f("type", tStr),
		f("category", tList),
		f("criticality", tStr),
		f("code_system", tStr),
		f("code", tStr),
		f("code_display", tStr),
		f("onset", tTS),
		f("onset_raw", tStr),
		f("recorded_date", tTS),
		f("recorded_date_raw", tStr),
		f("encounter", tStr),
		f("meta_last_updated", tTS),
	}},
	entReferrals: {Entity: "referrals", Fields: []extract.Field{
		f("id", tStr),
		f("record_key", tStr),
		f("subject", tStr),
		f("status", tStr),
		f("intent", tStr),
		f("priority", tStr),
		f("category", tList),
		f("category_display", tList),
		f("code_system", tStr),
		f("code", tStr),
		f("code_display", tStr),
		f("authored_on", tTS),
		f("authored_on_raw", tStr),
		f("occurrence", tTS),
		f("occurrence_raw", tStr),
		f("requester", tStr),
		f("requester_display", tStr),
		f("performer", tList),
		f("performer_display", tList),
		f("reason_code", tList),
		f("reason_display", tList),
		f("note", tStr),
		f("encounter", tStr),
		f("meta_last_updated", tTS),
	}},
	entPractitioners: {Entity: "practitioners", Fields: []extract.Field{
		f("id", tStr),
		f("name", tStr),
		f("given_name", tStr),
		f("family_name", tStr),
		f("title", tStr),
		f("identifiers", tList),
		f("active", tStr),
		f("meta_last_updated", tTS),
	}},
	entOrganizations: {Entity: "organizations", Fields: []extract.Field{
		f("id", tStr),
		f("name", tStr),
		f("ods_code", tStr),
		f("identifiers", tList),
		f("type_code", tStr),
		f("type_display", tStr),
		f("part_of", tStr),
		f("active", tStr),
		f("meta_last_updated", tTS),
	}},
	// unrouted holds no rows: it is where the records that belong to no
	// entity are counted and rejected (unparseable lines, resources without
	// a resourceType, unsupported resource types, OperationOutcomes, Bundle
	// entries without a resource), so that every record read reconciles.
	entUnrouted: {Entity: "unrouted", Fields: nil},
}
