//go:build unix

package reconcile_test

import (
	"syscall"
	"time"
)

// cpuTime returns the processor time the process has used so far, user and
// system, so that benchmarks can report work done apart from the wall time
// that other processes on a busy machine inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
