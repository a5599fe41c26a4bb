package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
)

// runControl implements `autodidact control envs` and `autodidact control
// dataset`. Training (PPO, SAC) arrives with the rest of the control issue.
func runControl(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "envs" {
		fmt.Fprintln(stdout, strings.Join(env.Names(), "\n"))
		return nil
	}
	if args[0] != "dataset" {
		return fmt.Errorf("control: want `control envs` or `control dataset --env NAME --steps N --out FILE`")
	}
	fs := flag.NewFlagSet("control dataset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("env", "CartPole-v1", "environment")
	policy := fs.String("policy", "random", "behaviour policy (random)")
	steps := fs.Int("steps", 10000, "transitions to collect")
	noise := fs.Float64("noise", 0, "exploration noise: epsilon (discrete) or std in half-ranges (box)")
	seed := fs.Uint64("seed", 1, "seed")
	out := fs.String("out", "", "output .safetensors file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" || *steps <= 0 {
		return fmt.Errorf("control dataset: --out and a positive --steps are required")
	}
	if *policy != "random" {
		return fmt.Errorf("control dataset: policy %q: only random until control training lands", *policy)
	}
	e, err := env.Make(*name)
	if err != nil {
		return err
	}
	d, err := dataset.Collect(*name, *policy, dataset.RandomPolicy(e.ActionSpace()), *steps, *noise, *seed)
	if err != nil {
		return err
	}
	if err := d.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d transitions (%d episodes) of %s to %s\n", d.Len(), d.Episodes, *name, *out)
	return nil
}
