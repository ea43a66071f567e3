// Package reports writes the monthly programme board report from the
// warehouse marts.
//
// [Write] reads the usage, referral and data quality marts (marts.usage_*,
// marts.referral_*, marts.data_quality, with core.referral and
// meta.reject_counts) from a DuckDB database through the queries in
// sql/reports and publishes, for one calendar month, a directory
//
//	Dir/YYYY-MM/board-report.html   self-contained HTML, inline CSS and SVG
//	Dir/YYYY-MM/board-report.pdf    the PDF board pack (fpdf core fonts, PNG charts)
//	Dir/YYYY-MM/tables/*.csv        one CSV per table in the report
//	Dir/YYYY-MM/charts/*.svg        the charts inlined in the HTML
//
// The directory is built beside its final place and renamed into it, so a
// reader sees either the whole report or none of it.
//
// The report is built in three steps that keep their concerns apart:
// loading (load.go: SQL in, plain Go values out), judging (rules.go: the
// uptake and decline rules, plain data in, flags out) and rendering (build.go
// turns the values into tables and charts, render.go and publish.go write
// them). A new section adds a query in sql/reports, a loader and a builder
// that contributes tables and charts; tables are rendered to HTML and CSV
// from the same cells, so the two always show the same figures.
//
// Disclosure control (disclosure.go) is on by default for the tables by
// organisation, organisation type, role, section, reason and referrer:
// counts 1–7 are shown as *, others rounded to the nearest 5, and the
// published CSVs carry the same disclosed values. Options.DisclosureOff
// shows raw figures and marks the report for internal operational use.
package reports
