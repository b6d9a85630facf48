package reconcile

import "time"

// CPUTime returns the processor time the process has used (zero where it is
// not measured), so that the flow benchmarks of package reconcile_test can
// report work apart from the wall time other processes inflate.
func CPUTime() time.Duration {
	d, _ := processCPU()
	return d
}
