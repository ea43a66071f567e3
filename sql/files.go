// Package sqlfiles embeds the warehouse SQL: staging, intermediate, marts
// and reports, layered the dbt way, and incremental/, the scripts run in
// place of a core or analytics table's file on a night that updates that
// table in place. Each file holds one statement (or a short script) and
// starts with a header comment stating its grain.
package sqlfiles

import "embed"

// FS holds every .sql file under sql/, by path relative to this directory
// (for example "marts/usage_monthly.sql").
//
//go:embed */*.sql
var FS embed.FS
