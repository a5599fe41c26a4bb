//go:build !linux

package tensor

import "time"

// threadCPUTime is unavailable here: the benchmarks report wall time only.
func threadCPUTime() time.Duration { return 0 }
