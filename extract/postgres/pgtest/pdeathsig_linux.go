package pgtest

import "syscall"

// setPdeathsig makes the kernel send SIGQUIT (postgres: immediate shutdown)
// to the child if the thread that started it dies.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGQUIT }
