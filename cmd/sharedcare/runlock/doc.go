// Package runlock is the one lock that keeps sharedcare runs apart.
//
// Every command that writes the lake, the warehouse or the reports — a manual
// `sharedcare run` or `report`, and each job the `sharedcare schedule` daemon
// starts — calls Acquire on the same file (the CLI uses <lake>/sharedcare.lock)
// before it does any work, and Release when it is done. Acquire never waits:
// if another process holds the lock it returns a *LockedError naming that
// process (pid, command, start time, host), and errors.Is(err, ErrLocked)
// holds, so the CLI can exit with a message such as
//
//	sharedcare: lock /lake/sharedcare.lock is held by pid 4242 (run, started 2026-03-29T02:00:00Z on etl-1)
//
// The lock is flock(2) on the file, so the kernel releases it when the holder
// exits for any reason, kill -9 included. A holder that dies leaves its JSON
// description in the file; the next Acquire takes the lock over and reports the
// dead holder in Lock.RecoveredFrom so the CLI can log that the previous run
// crashed. Release truncates the file, so a non-empty file that nobody holds
// always means a crash.
//
// The file is never removed: unlinking a flock'd file lets two processes lock
// two different inodes of the same name. flock locks are per open file, so two
// Acquire calls in one process also exclude each other. flock is advisory and
// is not reliable on some network file systems (NFS before Linux 2.6.12,
// some FUSE mounts): keep the lake on a local or flock-aware file system.
//
// Inspect reads the file without taking or probing the lock, for
// `sharedcare status`; it never disturbs a concurrent Acquire.
//
// Calls may overlap freely: all coordination is done by the kernel.
package runlock
