//go:build !unix

package reconcile

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
