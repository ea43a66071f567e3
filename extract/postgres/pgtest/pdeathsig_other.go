//go:build !linux

package pgtest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
