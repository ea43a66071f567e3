// Package schedule is the `sharedcare schedule` daemon loop: it runs the
// configured jobs (the nightly run, the monthly report) at their cron times
// in one time zone, one at a time, and catches up a missed run on start.
//
// # Who calls, when
//
// The CLI builds a Daemon with New (which checks every spec with
// config.ParseCron and names the job in any error; it does no I/O) and calls
// Run once with the context from signal.NotifyContext. Run returns
// ctx.Err() after SIGINT/SIGTERM, once the job in progress has returned: the
// job's func gets the same ctx and must stop promptly, leaving the published
// warehouse untouched. Job errors and panics do not stop the daemon: each is
// logged once and counted in Stats. NextRuns serves `sharedcare status`.
//
// # Never two at once
//
// Run calls one job func at a time, from its own goroutine. A job that
// overruns delays the jobs that fell due meanwhile (each then runs once,
// late, with scheduledFor its missed slot) and skips its own slots that
// passed while it ran, with a warning. Manual runs are kept apart by the
// run lock (package runlock), which each job func takes; the daemon does not
// take it itself, so that a manual run holding it makes just that scheduled
// run fail with the holder named, and the daemon goes on.
//
// # Daylight saving
//
// Times are local wall-clock times in the Daemon's location, and each wall
// time runs at most once. robfig/cron v3.0.1 on its own, in Europe/London,
// does not run 30 1 * * * at all on 2026-03-29 (01:00–02:00 does not exist)
// and runs it twice on 2026-10-25 (01:30 BST and 01:30 GMT). The Daemon
// instead runs a slot that falls in the spring-forward gap at the end of the
// gap (02:00 BST; several slots in the gap run once between them), and a slot
// in the hour repeated at fall-back at its first occurrence (01:30 BST)
// only. A `*/15 * * * *` job therefore does not run during the repeated hour
// at all. @every schedules are durations and ignore wall time.
//
// # Catch-up
//
// With Options.CatchUp, on start, a job runs once at once (trigger
// "catch-up", scheduledFor the missed slot) if its latest scheduled time at
// or before the start is later than Options.LastSuccess reports — or if it
// never succeeded. Only one run per job, however many slots were missed.
// Catch-ups run before any slot that falls due later, oldest missed slot
// first. For @every schedules a job is caught up if a whole period has passed
// since its last success.
//
// # Clocks
//
// The Daemon reads and sleeps on a Clock: SystemClock in production,
// FakeClock in tests, which moves only when told to. Sleeps are capped at
// Options.MaxSleep (one minute) so a suspended host or a stepped clock is
// noticed, because the schedule is worked out from Now on every wake.
package schedule
