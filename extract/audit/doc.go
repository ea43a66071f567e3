// Package audit lands the shared care record portal's audit log: JSON Lines,
// one record view per line.
//
//	{"event_id":"E00000001","timestamp":"2025-11-03T09:12:44+00:00",
//	 "user_id":"U000123","org_code":"RVJ","role":"GP",
//	 "nhs_number":"9434765919","sections":["medications","allergies"],
//	 "reason":"Direct care"}
//
// It lands entity access_events. event_id, timestamp (RFC 3339), user_id,
// org_code and nhs_number are required; a line missing one, a line that is
// not a JSON object, or a line longer than MaxLine bytes is rejected with
// its line number and the run goes on. The NHS number is landed as written:
// checking it is the transform's job. The portal's user directory is a CSV
// file and lands through extract/csv.
package audit
