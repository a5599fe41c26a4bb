package main

// Checks of numeric flags before a command allocates: sizes must be
// positive, and the rough memory a command will need must fit the machine,
// so that `--batch 1000000000` is refused with a message instead of dying
// with "fatal error: out of memory".

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxThreads bounds --threads: each thread is a worker goroutine with its
// own buffers, and more than this is a typo.
const maxThreads = 1024

// memFraction is the share of the machine's memory a command may plan to
// use.
const memFraction = 0.8

// memTotal returns the machine's memory in bytes (MemTotal of
// /proc/meminfo), or 0 when unknown (no check is made then). Tests replace
// it.
var memTotal = func() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// checkMemory refuses a command whose estimated need (bytes, from what)
// exceeds memFraction of the machine's memory. The estimate is a float so
// that products of huge flags cannot overflow.
func checkMemory(cmd, what string, need float64) error {
	if math.IsNaN(need) || math.IsInf(need, 0) {
		return fmt.Errorf("%s: %s cannot be sized", cmd, what)
	}
	total := memTotal()
	if total <= 0 || need <= memFraction*total {
		return nil
	}
	return fmt.Errorf("%s: %s would need about %s of memory, more than %.0f%% of this machine's %s; make it smaller",
		cmd, what, bytesString(need), 100*memFraction, bytesString(total))
}

// bytesString renders a byte count as "1.5 GiB".
func bytesString(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == len(units)-1 && b >= 1024 {
		return fmt.Sprintf("%.3g %s", b, units[i])
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// positive refuses a size flag below 1.
func positive(cmd, flag string, v int) error {
	if v < 1 {
		return fmt.Errorf("%s: --%s %d: want a positive number", cmd, flag, v)
	}
	return nil
}

// nonNegative refuses a flag below 0.
func nonNegative(cmd, flag string, v int) error {
	if v < 0 {
		return fmt.Errorf("%s: --%s %d: want 0 or more", cmd, flag, v)
	}
	return nil
}

// checkThreads refuses a negative or absurd --threads (0 means the default).
func checkThreads(cmd string, n int) error {
	if n < 0 || n > maxThreads {
		return fmt.Errorf("%s: --threads %d: want 0 (the default) to %d", cmd, n, maxThreads)
	}
	return nil
}

// finiteIn refuses a float flag that is NaN, infinite or outside [lo, hi].
func finiteIn(cmd, flag string, v, lo, hi float64) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return fmt.Errorf("%s: --%s %v: want a number from %v to %v", cmd, flag, v, lo, hi)
	}
	return nil
}
