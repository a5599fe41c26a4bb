package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/tensor"
)

// newControlSpeedCmd is `control speed --algo sac|td3 [--updates N]
// [--threads N]`: gradient updates per second of the off-policy learner
// (scripts/control_speed.py compares them with PyTorch's).
func newControlSpeedCmd() *cobra.Command {
	var algo, envName string
	var updates, threads int
	c := &cobra.Command{
		Use:   "speed [flags]",
		Short: "time SAC or TD3 gradient updates (256-256 networks, batch 256) on a random replay buffer",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlSpeed(algo, envName, updates, threads, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&algo, "algo", "sac", "learner: "+strings.Join(control.SpeedAlgos, ", "))
	f.StringVar(&envName, "env", "Pendulum-v1", "environment (a box action space)")
	f.IntVar(&updates, "updates", 300, "timed updates (after 20 warm-up updates)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: AUTODIDACT_THREADS or all cores)")
	return c
}

func controlSpeed(algo, envName string, updates, threads int, stdout io.Writer) error {
	if !slices.Contains(control.SpeedAlgos, algo) {
		return fmt.Errorf("control speed: algo %q: want one of %s", algo, strings.Join(control.SpeedAlgos, ", "))
	}
	if updates < 1 || updates > 1_000_000 {
		return fmt.Errorf("control speed: --updates %d: want 1 to 1000000", updates)
	}
	if threads < 0 {
		return fmt.Errorf("control speed: --threads %d: want 0 (default) or more", threads)
	}
	if threads > 0 {
		tensor.SetThreads(threads)
	}
	ups, err := control.UpdateSpeed(algo, envName, updates, 1)
	if err != nil {
		return fmt.Errorf("control speed: %w", err)
	}
	fmt.Fprintf(stdout, "%s %s threads %d: %.1f updates/s (%s)\n", algo, envName, tensor.Threads(), ups, tensor.Backend())
	return nil
}
