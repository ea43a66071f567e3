package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// crashAtEnv names the fault-injection hook used by the crash tests: when it
// is set, the process kills itself with SIGKILL at that point of a run, as
// a power cut or an OOM killer would. Values:
//
//	extract:N        after the N-th record landed in the run (N a multiple of 1000)
//	match            when the person index is about to be matched
//	sql/LAYER/F.sql  after that SQL file of the warehouse build
//	publish          after the warehouse is built, before it is renamed into place
//
// It is for tests only and does nothing when unset.
const crashAtEnv = "SHAREDCARE_CRASH_AT"

// crashAt kills the process if the hook names this point.
func crashAt(point string) {
	if want := os.Getenv(crashAtEnv); want != "" && want == point {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is delivered asynchronously
	}
}

// crashAtLanded is the extract hook: it fires at "extract:N".
func crashAtLanded(n int64) {
	if want, ok := strings.CutPrefix(os.Getenv(crashAtEnv), "extract:"); ok {
		if w, err := strconv.ParseInt(want, 10, 64); err == nil && w == n {
			crashAt(os.Getenv(crashAtEnv))
		}
	}
}
