package synth

// This file fixes the seams between the parts of the generator and the
// formats the pipeline reads. Change it only together with its readers
// (extract/gpcsv, extract/audit, the end-to-end tests).
//
// Region directory written by Generate (DIR = Config.Out):
//
//	DIR/sources/reference/organisations.csv
//	    header: org_code,name,org_type,parent_code,postcode,go_live_date
//	    go_live_date yyyy-mm-dd, empty when the organisation never went live.
//	DIR/sources/gp/patients.csv
//	    header: practice_code,patient_id,nhs_number,title,given_name,middle_names,
//	            family_name,date_of_birth,sex,address_line_1,address_line_2,town,
//	            postcode,phone,registration_date,last_updated
//	    dates dd/mm/yyyy; last_updated yyyy-mm-ddThh:mm:ss (UK local time);
//	    sex M, F, U or I; nhs_number may be empty or written "943 476 5919".
//	DIR/sources/gp/medications.csv
//	    header: practice_code,patient_id,medication_id,snomed_code,description,dose,start_date,end_date
//	DIR/sources/gp/allergies.csv
//	    header: practice_code,patient_id,allergy_id,snomed_code,description,recorded_date
//	DIR/sources/gp/problems.csv
//	    header: practice_code,patient_id,problem_id,snomed_code,description,onset_date,status
//	DIR/sources/acute/adt/*.hl7          HL7 v2.4 ADT, MLLP framed
//	DIR/sources/mentalhealth/*.ndjson    FHIR R4 Bulk Data (Patient, Encounter, Condition, ServiceRequest)
//	DIR/sources/socialcare/socialcare.sql   PostgreSQL DDL + data
//	DIR/sources/socialprescribing/*.csv
//	DIR/sources/portal/users.csv
//	    header: user_id,org_code,role,given_name,family_name,authorised_date,revoked_date
//	    dates yyyy-mm-dd; revoked_date empty while the user is still authorised.
//	DIR/sources/portal/audit/audit-YYYY-MM.jsonl
//	    one JSON object a line:
//	    {"event_id":"E00000001","timestamp":"2025-11-03T09:12:44+00:00",
//	     "user_id":"U000123","org_code":"RVJ","role":"GP",
//	     "nhs_number":"9434765919","sections":["medications","allergies"],
//	     "reason":"Direct care"}
//	    timestamp RFC 3339 with the Europe/London offset in force. A small,
//	    documented share of lines is deliberately malformed (not JSON, or a
//	    required field missing); those are not counted in the truth.
//	DIR/truth/…   the ground truth, never read by the pipeline.
//	    usage_monthly.csv  header: month,org_code,authorised_users,active_users,records_viewed,patients_viewed
//	        one row per organisation per month of activity (zeros included);
//	        month is YYYY-MM in Europe/London local time; authorised_users
//	        counts users with authorised_date <= last day of month and
//	        (revoked_date empty or revoked_date > last day of month);
//	        active users are distinct users with at least one view that month.
//	    org_profiles.csv   header: org_code,profile   (steady, poor_uptake, declining, ...)
//	    records.csv        header: source,entity,record_id,person_id
//	    persons.csv        header: person_id,nhs_number,given_name,family_name,date_of_birth,sex,postcode
//	    rejects.csv        header: source,file,line,reason   (lines made malformed on purpose)

// Org is one partner organisation of the region: GP practices, trusts,
// local authorities, voluntary-sector services.
type Org struct {
	Code     string // ODS-style code
	Name     string
	Type     string // "GP practice", "Acute trust", "Mental health trust", …
	Parent   string // parent ODS code (ICB or trust), may be empty
	Postcode string
	// GoLive is the first day the organisation could use the portal;
	// the zero value means it never went live.
	GoLive Date
	// Profile is the usage profile the generator gave it (truth only):
	// "steady", "poor_uptake", "declining", "late_start", "never_live".
	Profile string
}

// Date is a calendar date without a time zone.
type Date struct {
	Year  int
	Month int
	Day   int
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.Year == 0 }

// Population gives the usage model what it needs of the people in the
// region. Person indices run from 0 to Len()-1; NHSNumber returns the
// person's true, valid NHS number (the portal is keyed on it). Calls are
// cheap and may be made in any order; the result is deterministic.
type Population interface {
	Len() int
	NHSNumber(i int) string
}
