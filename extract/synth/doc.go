// Package synth generates a synthetic region: every source system of a
// shared care record in its native format, with a hidden ground truth, so the
// pipeline can be run, tested and measured end to end without real patient
// data.
//
// Generate writes Config.Out (layout and the fixed formats in contract.go).
// It is deterministic: the same Config gives byte-identical files. Each part
// draws from its own math/rand/v2 PCG stream seeded from Config.Seed, a
// stream constant and a record index, and person i is rebuilt on demand from
// (seed, i), so memory stays bounded (a 1,000,000-person region needs about
// 80 MB and a dozen seconds). Files are written to name.partial and renamed
// when complete. Progress goes to Config.Logger; no name or NHS number is
// ever logged.
//
// # Population
//
// Config.Persons true people. Names are drawn from frequency-weighted lists
// (Smith, Jones, Oliver, Mohammed … recur many times in one postcode sector);
// some districts draw more from South Asian and Somali name lists. Ages follow
// a UK-shaped pyramid; sex M/F. Addresses are UK-shaped (house number,
// street, optional flat and locality, post town, postcode) in fifteen postcode
// districts whose area letters follow the organisations' postcodes; the
// number of postcode units per sector grows with the population (about 40
// people a unit). NHS numbers are valid (Modulus 11), unique, and start with
// 9 (never issued to real patients). 1.2% of consecutive pairs are twins:
// same surname, date of birth and address, different given names and NHS
// numbers. 10% of people move house during the period (70% of those who
// move out of their practice's area re-register: two GP records); 5% of
// women aged 22–60 changed surname on marriage. Phones use Ofcom's drama
// ranges (07700 900nnn, 0117 496 0nnn).
//
// # Error model
//
// Each source record is the person as that system recorded them. Rates are
// probabilities per person-level record:
//
//	error                         GP     acute  mental  social  social   duplicate
//	                                            health  care    prescr.  records
//	NHS number missing            0.5%   6%     4%      25%     5% (a)   50%
//	NHS number mistyped (b)       0.1%   1.5%   1%      2%      2%       5%
//	name typo                     0.5%   2.5%   2%      3%      4%       15%
//	nickname (c)                  0.5%   4%     6%      5%      15%      20%
//	old surname (d)               15%    50%    40%     50%     50%      50%
//	old address (e)               10%    40%    40%     30%     50%      50%
//	day/month swap in DOB (f)     0.2%   1%     0.8%    1.5%    2%       5%
//	other DOB digit error         0.1%   0.5%   0.3%    0.5%    1%       3%
//	middle names dropped          5%     30%    20%     50%     80%      60%
//
//	(a) 70% for self-referrals.
//	(b) a tenth of mistypes change one of the first nine digits and recompute
//	    the check digit, so the wrong number still passes Modulus 11 (and
//	    may be another person's); the rest substitute one digit or swap two
//	    adjacent digits, which Modulus 11 always catches.
//	(c) Robert→Bob, Elizabeth→Liz …, when the given name has a short form.
//	(d) of people who changed surname. (e) of people who moved.
//	(f) of dates whose day is 12 or less and differs from the month.
//
// "Duplicate records" are the second MRN the hospital made for 2% of its
// patients and the second FHIR Patient the mental health trust made for 2%
// of its patients. Further formatting noise that is not an error: NHS numbers
// written "943 476 5919" (GP 20%, social care and social prescribing 30%),
// sex "U" on 0.1% of GP records, surnames upper case in HL7.
// truth/record_errors.csv lists every error put into every record.
//
// # Sources
//
// GP (sources/gp/*.csv): every person at one practice, formats in
// contract.go; problems and medications with SNOMED CT (dm+d) codes, more with
// age; allergies for about 15% of people. CSV dates dd/mm/yyyy.
//
// Acute hospital (sources/acute/adt/adt-YYYY-MM.hl7): HL7 v2.4 ADT, MLLP
// framed (0x0B message 0x1C 0x0D), segments ending in CR, in time order per
// month file. About 30% of people (more of the old and the very young) have
// one to six episodes per 13 months of the window, so that a longer window
// holds more activity at the same monthly rate (so do the mental health
// trust's one to eight encounters a patient): A04 for outpatient and
// emergency attendances, A01 and A03 for admissions, A08 when the address
// changes after a move, A31 for 5% of patients, A40 (MSH, EVN, PID, MRG)
// when a duplicate MRN is merged (75% of duplicates; the rest stay
// unmerged). PID-3 repeats the MRN
// (MRN^^^<trust code>^MR) and, when recorded, the NHS number
// (nnnnnnnnnn^^^NHS^NH). PID-5 FAMILY^GIVEN^MIDDLE^^TITLE, PID-7 yyyymmdd,
// PID-11 line1^line2^town^^postcode^GBR^H. PV1-2 class (I, O, E; N on A08
// and A31), PV1-3 ward, PV1-7 consultant, PV1-19 visit number, PV1-44 and
// PV1-45 admit and discharge times.
//
// Mental health (sources/mentalhealth/<Type>.NNN.ndjson, at most 100,000
// lines a file): FHIR R4 Bulk Data. Patient (identifier
// https://fhir.nhs.uk/Id/nhs-number when recorded, and a RiO client id; name,
// telecom, gender, birthDate, address; link replaces/replaced-by on 70% of
// duplicates), Encounter, Condition (SNOMED CT), ServiceRequest (referrals to
// the social prescribing service: status completed, active or revoked,
// authoredOn, requester Practitioner reference and display, performer
// Organization reference and display, the requesting team as extension
// https://fhir.sharedcare.example/StructureDefinition/requesting-team with a
// CareTeam reference), Practitioner and CareTeam. About 3.5% of people aged
// 18–74 (fewer of the young and the old) are
// known to the trust. Scaled from Mersey Care: 207 clinicians and about
// 1,400 referrals per million people over 24 months (at least 4 clinicians,
// and about 12 referrals in a small region); a few clinicians make most
// referrals.
//
// Social care (sources/socialcare/socialcare.sql): PostgreSQL DDL, then
// COPY … FROM stdin data, in one transaction; loads with
// psql -v ON_ERROR_STOP=1 -f. Tables people (person_id, nhs_number, title,
// forename, middle_names, surname, date_of_birth, gender, address_line_1,
// address_line_2, town, postcode, phone, created_at, updated_at),
// care_packages (package_id, person_id, service_type, provider_name,
// provider_phone, provider_email, status planned/active/suspended/ended,
// start_date, end_date, updated_at) and safeguarding_referrals (referral_id,
// person_id, category, status open/closed, received_date, closed_date,
// updated_at). 8% of people 65–84, 25% of those 85 and over, 2% of other
// adults and 1.5% of children need care; 35% of older people fund it
// themselves and 8% of adults take direct payments, and none of those are in
// the database. 10% of people in it have a safeguarding referral, 30% open.
// Its count in Summary.Files is the number of rows in all three tables.
//
// Social prescribing (sources/socialprescribing/*.csv, dates dd/mm/yyyy):
//
//	clients.csv    client_id,nhs_number,title,first_name,last_name,date_of_birth,gender,
//	               address_line_1,address_line_2,town,postcode,phone,created_date
//	referrals.csv  referral_id,client_id,received_date,referral_source,referrer_org_code,
//	               referrer_org_name,referrer_team,referrer_name,source_reference,reason,
//	               status,closed_date,closure_reason
//	contacts.csv   contact_id,referral_id,contact_date,contact_type,mode,outcome
//	wellbeing.csv  assessment_id,referral_id,assessment_date,tool,timepoint,score
//
// referral_source is mental_health (source_reference is the FHIR
// ServiceRequest id; received 0–3 days after authoredOn; revoked requests
// never arrive), gp, or self (referrer fields empty). GP referrals are about
// twice and self-referrals about 0.6 times the mental health ones. status is
// open or closed; closure_reason completed, declined or disengaged.
// contact_type first_contact, session or follow_up; mode face_to_face, phone
// or video; outcome attended or did_not_attend. tool WEMWBS (14–70, 70% of
// referrals) or SWEMWBS (7–35, raw score); timepoint baseline or follow_up;
// of people with both scores about 90% improve. A journey cut off by the end
// of the period stays open.
//
// Portal (sources/portal): written by the usage model (usage.go).
//
// # Ground truth (truth/)
//
//	persons.csv            contract.go; the true current demographics.
//	records.csv            source,entity,record_id,person_id for every person-level
//	                       record: gp patient <practice_code>/<patient_id>; acute patient
//	                       MRN (duplicates included); mentalhealth Patient FHIR id;
//	                       socialcare people person_id; socialprescribing client client_id.
//	record_errors.csv      source,entity,record_id,person_id,error,recorded_value: one row
//	                       per error (nhs_missing, nhs_mistyped_invalid,
//	                       nhs_mistyped_valid, name_typo, nickname, old_surname,
//	                       old_address, dob_day_month_swap, dob_typo) with the value
//	                       as recorded.
//	referrals_monthly.csv  month,source,referrer_org,referrer_team,referrals,
//	                       referring_clinicians: source mentalhealth counts
//	                       ServiceRequests authored (any status) by requesting team;
//	                       socialprescribing counts referrals received by referrer
//	                       (referrer_org SELF for self-referrals).
//	usage_monthly.csv, org_profiles.csv and the portal rejects: the usage model.
package synth
