// Package load builds the DuckDB warehouse from a complete extract run and
// person index, and publishes it atomically.
//
// Build creates a new database file beside the published one
// (WAREHOUSE.building), exposes the run's landed Parquet files as views in a
// landing schema, runs the embedded SQL of sql/ layer by layer — meta,
// staging, intermediate, core, marts — records the run's counts in meta,
// drops the working schemas (landing, staging) and the intermediate tables
// (an in-memory database attached as intermediate), checkpoints, and
// renames the file over WAREHOUSE. A reader with the old file open
// keeps its view; a failed or cancelled build leaves the published file
// untouched. Files are created owner-only (0600).
package load
