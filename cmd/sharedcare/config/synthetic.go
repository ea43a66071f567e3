package config

import (
	"bytes"
	"text/template"
)

// SyntheticRegion returns the configuration for a region written by
// `sharedcare synth` into its own directory: sources under sources/, lake,
// warehouse and reports beside them.
func SyntheticRegion(name string) []byte {
	var b bytes.Buffer
	if err := syntheticTmpl.Execute(&b, struct{ Region string }{name}); err != nil {
		panic(err) // the template is constant; a failure is a bug
	}
	return b.Bytes()
}

var syntheticTmpl = template.Must(template.New("region").Parse(`# sharedcare region configuration, written by sharedcare synth.
# Relative paths are resolved against this file's directory.
region: {{printf "%q" .Region}}
timezone: Europe/London
lake: lake
warehouse: warehouse/warehouse.duckdb
analytics: warehouse/analytics.duckdb
# The analytics pseudonym key: made by sharedcare demo; otherwise create it
# yourself (32 random bytes, hex) and keep it out of the lake and warehouse.
pseudonym_key_file: secrets/pseudonym.key
marts_export: warehouse/marts
reports: reports

sources:
  - name: gp
    system: gp
    kind: csv
    path: sources/gp
    persons: {entity: patients, key: [practice_code, patient_id]}
    entities:
      - entity: patients
        files: [patients.csv]
        columns:
          - {name: practice_code, type: string, required: true}
          - {name: patient_id, type: string, required: true}
          - {name: nhs_number, type: string}
          - {name: title, type: string}
          - {name: given_name, type: string}
          - {name: middle_names, type: string}
          - {name: family_name, type: string}
          - {name: date_of_birth, type: date, format: "02/01/2006"}
          - {name: sex, type: string}
          - {name: address_line_1, type: string}
          - {name: address_line_2, type: string}
          - {name: town, type: string}
          - {name: postcode, type: string}
          - {name: phone, type: string}
          - {name: registration_date, type: date, format: "02/01/2006"}
          - {name: last_updated, type: timestamp, format: "2006-01-02T15:04:05"}
      - entity: medications
        files: [medications.csv]
        columns:
          - {name: practice_code, type: string, required: true}
          - {name: patient_id, type: string, required: true}
          - {name: medication_id, type: string, required: true}
          - {name: snomed_code, type: string}
          - {name: description, type: string}
          - {name: dose, type: string}
          - {name: start_date, type: date, format: "02/01/2006"}
          - {name: end_date, type: date, format: "02/01/2006"}
      - entity: allergies
        files: [allergies.csv]
        columns:
          - {name: practice_code, type: string, required: true}
          - {name: patient_id, type: string, required: true}
          - {name: allergy_id, type: string, required: true}
          - {name: snomed_code, type: string}
          - {name: description, type: string}
          - {name: recorded_date, type: date, format: "02/01/2006"}
      - entity: problems
        files: [problems.csv]
        columns:
          - {name: practice_code, type: string, required: true}
          - {name: patient_id, type: string, required: true}
          - {name: problem_id, type: string, required: true}
          - {name: snomed_code, type: string}
          - {name: description, type: string}
          - {name: onset_date, type: date, format: "02/01/2006"}
          - {name: status, type: string}

  - name: acute
    system: acute
    kind: hl7
    path: sources/acute
    files: ["adt/*.hl7"]
    persons: {entity: patients, merges: merges}

  - name: mentalhealth
    system: mentalhealth
    kind: fhir
    path: sources/mentalhealth
    files: ["*.ndjson"]
    persons: {entity: patients, links: links}

  # The social care system is a PostgreSQL database (sources/socialcare/
  # socialcare.sql loads it). sharedcare demo serves it from a throwaway
  # server and sets the variable; otherwise set it to your server's DSN.
  - name: socialcare
    system: socialcare
    kind: postgres
    dsn_env: SHAREDCARE_SOCIALCARE_DSN
    persons: {entity: people, key: [person_id]}
    tables:
      - entity: people
        query: >-
          SELECT person_id, nhs_number, title, forename AS given_name, middle_names,
          surname AS family_name, date_of_birth, gender AS sex, address_line_1,
          address_line_2, town, postcode, phone, created_at, updated_at FROM people
        key: [person_id]
        watermark: updated_at
      - {entity: care_packages, table: care_packages, key: [package_id], watermark: updated_at}
      - {entity: safeguarding_referrals, table: safeguarding_referrals, key: [referral_id], watermark: updated_at}

  - name: portal_audit
    system: portal
    kind: audit_jsonl
    path: sources/portal
    files: ["audit/*.jsonl"]

  - name: portal_users
    system: portal
    kind: csv
    path: sources/portal
    entities:
      - entity: users
        files: [users.csv]
        columns:
          - {name: user_id, type: string, required: true}
          - {name: org_code, type: string, required: true}
          - {name: role, type: string}
          - {name: authorised_date, type: date, format: "2006-01-02", required: true}
          - {name: revoked_date, type: date, format: "2006-01-02"}

  - name: socialprescribing
    system: socialprescribing
    kind: csv
    path: sources/socialprescribing
    persons: {entity: clients, key: [client_id]}
    entities:
      - entity: clients
        files: [clients.csv]
        columns:
          - {name: client_id, type: string, required: true}
          - {name: nhs_number, type: string}
          - {name: title, type: string}
          - {name: given_name, from: first_name, type: string}
          - {name: family_name, from: last_name, type: string}
          - {name: date_of_birth, type: date, format: "02/01/2006"}
          - {name: sex, from: gender, type: string}
          - {name: address_line_1, type: string}
          - {name: address_line_2, type: string}
          - {name: town, type: string}
          - {name: postcode, type: string}
          - {name: phone, type: string}
          - {name: created_date, type: date, format: "02/01/2006"}
      - entity: referrals
        files: [referrals.csv]
        columns:
          - {name: referral_id, type: string, required: true}
          - {name: client_id, type: string, required: true}
          - {name: received_date, type: date, format: "02/01/2006", required: true}
          - {name: referral_source, type: string}
          - {name: referrer_org_code, type: string}
          - {name: referrer_org_name, type: string}
          - {name: referrer_team, type: string}
          - {name: referrer_name, type: string}
          - {name: source_reference, type: string}
          - {name: reason, type: string}
          - {name: status, type: string}
          - {name: closed_date, type: date, format: "02/01/2006"}
          - {name: closure_reason, type: string}
      - entity: contacts
        files: [contacts.csv]
        columns:
          - {name: contact_id, type: string, required: true}
          - {name: referral_id, type: string, required: true}
          - {name: contact_date, type: date, format: "02/01/2006", required: true}
          - {name: contact_type, type: string}
          - {name: mode, type: string}
          - {name: outcome, type: string}
      - entity: wellbeing
        files: [wellbeing.csv]
        columns:
          - {name: assessment_id, type: string, required: true}
          - {name: referral_id, type: string, required: true}
          - {name: assessment_date, type: date, format: "02/01/2006", required: true}
          - {name: tool, type: string, required: true}
          - {name: timepoint, type: string, required: true}
          - {name: score, type: int64, required: true}

  - name: reference
    system: reference
    kind: csv
    path: sources/reference
    entities:
      - entity: organisations
        files: [organisations.csv]
        columns:
          - {name: org_code, type: string, required: true}
          - {name: name, type: string}
          - {name: org_type, type: string}
          - {name: parent_code, type: string}
          - {name: postcode, type: string}
          - {name: go_live_date, type: date, format: "2006-01-02"}

matching:
  model: nhs-default

report:
  poor_uptake_rate: 0.25
  decline_share: 0.25

schedule:
  timezone: Europe/London
  jobs:
    - {name: nightly, cron: "30 1 * * *", command: run}
    - {name: monthly-report, cron: "0 6 1 * *", command: report}
`))
