// Package postgres lands tables of a PostgreSQL database (the social care
// system) through pgx.
//
// # Configuration
//
// Each Table lands one entity, read from a table ("table" or
// "schema.table", always with Key columns) or from a Query written in the
// configuration. Identifiers (table, Key, Watermark) must be plain SQL
// identifiers; New refuses anything else (such as "people; DROP TABLE x")
// and the SQL it builds quotes them with pgx.Identifier anyway. The only
// value ever bound into SQL is the previous watermark, as $1. The DSN is a
// Secret: it formats, logs and marshals as REDACTED, and errors that would
// show it are redacted. New checks the configuration and opens nothing.
//
// # Snapshot
//
// Extract opens one connection and one BEGIN ISOLATION LEVEL REPEATABLE
// READ READ ONLY transaction and reads every table in it, so all entities
// of a run come from one consistent snapshot (taken at the first table's
// query). Rows stream through pgx one at a time; memory does not grow with
// the table. Values are read in text format under fixed session settings
// (TimeZone UTC, DateStyle ISO) so their text is stable.
//
// # Types
//
// The landed schema is the result's columns, named as in the database;
// names must satisfy extract.ValidName (use a Query with aliases
// otherwise), else the run fails. Types follow the column type:
//
//	text, varchar, char, name, uuid, json, … → string (the server's text form)
//	boolean                                  → string "true" / "false"
//	smallint, integer, bigint                → int64
//	real, double precision, numeric          → float64 (numeric may lose digits beyond float64; the raw record keeps them)
//	date                                     → date
//	timestamp with time zone                 → timestamp (the instant)
//	timestamp without time zone              → timestamp, wall time read in Config.Location (a wall time a DST change repeats or skips resolves as time.Date does)
//	text[], varchar[], char[]                → string_list
//
// A value that cannot be converted — a numeric beyond float64, an infinite
// or BC date or timestamp, an array holding NULL or of two dimensions, text
// that is not UTF-8 — rejects its row (bad_value or bad_encoding) with a
// message naming the column, never the value, and the run goes on.
//
// # Lineage
//
// A row's Position is postgres:ENTITY and its 1-based row number in the
// entity for this run, in (watermark, key) order. Its raw form, hashed as
// the record and kept with rejects, is a JSON object of column name to the
// server's text form of the value (null for NULL), in column order. Each
// entity is recorded as an input postgres:ENTITY with the byte count and
// SHA-256 of those raw forms (each followed by a newline).
//
// # Incremental reads
//
// With Watermark set and a watermark recorded by the last complete run
// (extract.Writer.PreviousWatermark), only rows WHERE watermark > $1 are
// read, ORDER BY watermark, key; otherwise all rows, in the same order. The
// new watermark is the greatest watermark value read (the last non-NULL one
// in that order), or the previous one when nothing changed. It is formatted
// losslessly: integers and numbers in decimal as the server writes them,
// dates YYYY-MM-DD, timestamp with time zone as RFC 3339 in UTC with as many
// fractional digits as needed, timestamp without time zone as its
// wall-clock value in the same form without an offset (a wall time
// converted to an offset could fall in a DST gap and change), text as is.
// It is recorded with extract.Writer.SetWatermark, so it advances only when
// the run commits.
//
// Rows whose watermark is NULL are read by full runs only (first runs and
// extract.Run.Full). The comparison is strict, so a row committed later
// with a watermark equal to or older than the recorded one — a clock set
// back, or a long transaction that stamped updated_at before another
// committed — is missed until the next full run.
//
// # Failures and retries
//
// A lost connection (refused or dropped, a backend terminated, the server
// shutting down or starting) is retried up to Config.Retries times, each
// after Config.Backoff doubled per retry, with a new connection and a fresh
// snapshot, and only while nothing of this run has reached the landing
// zone: a failure while connecting or before a table's first row arrives.
// Rows already sent to an extract.EntityWriter cannot be withdrawn, and
// buffering a whole snapshot to make them retractable would not keep memory
// bounded, so a connection lost after the first row fails the run at once,
// with an error saying so. A failed run discards its files and is not
// committed, so the watermarks stay where they were and the next run reads
// the same changes again. SQL, permission, authentication and configuration
// errors are not retried. Extract returns ctx.Err() (wrapped) soon after ctx
// is done, including while waiting to retry.
package postgres
