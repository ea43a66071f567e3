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
reports: reports

sources:
  - name: gp
    system: gp
    kind: csv
    path: sources/gp
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
    entities:
      - entity: clients
        files: [clients.csv]
        columns:
          - {name: client_id, type: string, required: true}
          - {name: nhs_number, type: string}
          - {name: title, type: string}
          - {name: first_name, type: string}
          - {name: last_name, type: string}
          - {name: date_of_birth, type: date, format: "02/01/2006"}
          - {name: gender, type: string}
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
  model: nhs-number

report:
  poor_uptake_rate: 0.25
  decline_share: 0.25

schedule:
  timezone: Europe/London
  jobs:
    - {name: nightly, cron: "30 1 * * *", command: run}
    - {name: monthly-report, cron: "0 6 1 * *", command: report}
`))
