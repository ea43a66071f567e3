//go:build unix

package csv

import "syscall"

// cpuSeconds is the user and system CPU time the process has used, for
// benchmarks on a shared machine, where wall time depends on the neighbours.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
