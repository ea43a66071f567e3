// Package history keeps the run history that outlives any one warehouse: one
// JSON object per line in a file the CLI keeps at <lake>/history/runs.jsonl.
//
// Who calls, when: every command that changes the lake, the warehouse or the
// reports (`run`, `report`, and each job of `schedule`) Appends a Record with
// Status "running" once it holds the run lock, and Appends the final Record
// (same RunID, Status succeeded, failed or cancelled, with its steps and
// counts) when it ends. `sharedcare status` and the scheduler's catch-up Read
// the file; later lines for a RunID supersede earlier ones. A run that
// crashed leaves only its "running" line; Read reports it as "abandoned" when
// its process is gone.
//
// Append writes each record with a single write(2) on a file opened with
// O_APPEND and fsyncs it, so appends from different processes do not
// interleave (on a local file system) and a record that Append returned nil
// for survives a power cut. A crash mid-write can leave a partial last line:
// Read skips it and returns it in Skipped (a warning to log, not an error),
// and the next Append starts on a fresh line so the damage stays on that one
// line. Any other unreadable line is skipped and counted the same way.
//
// Records hold no patient identifiers: counts, step names and error text from
// the pipeline, which itself never puts identifiers in errors.
//
// Calls may overlap: appends are atomic lines and Read takes no lock.
package history
