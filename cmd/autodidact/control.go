package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
)

// runControl implements `autodidact control envs|train|eval|dataset`.
func runControl(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "envs" {
		fmt.Fprintln(stdout, strings.Join(env.Names(), "\n"))
		return nil
	}
	switch args[0] {
	case "train":
		return controlTrain(args[1:], stdout, stderr)
	case "eval":
		return controlEval(args[1:], stdout, stderr)
	case "dataset":
	default:
		return fmt.Errorf("control: want `control envs`, `control train --algo ppo --env NAME`, `control eval DIR` or `control dataset --env NAME --steps N --out FILE`")
	}
	fs := flag.NewFlagSet("control dataset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("env", "CartPole-v1", "environment")
	policy := fs.String("policy", "random", "behaviour policy: random, or a run directory of `control train` (its greedy policy; add --noise for medium/mixed data)")
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
	e, err := env.Make(*name)
	if err != nil {
		return err
	}
	behaviour := dataset.RandomPolicy(e.ActionSpace())
	if *policy != "random" {
		p, trainedOn, err := control.LoadPolicy(filepath.Join(*policy, "policy.safetensors"))
		if err != nil {
			return err
		}
		if trainedOn != *name {
			return fmt.Errorf("control dataset: the policy in %s was trained on %s, not %s", *policy, trainedOn, *name)
		}
		behaviour = func(obs []float32, _ *rand.Rand) []float64 { return p.Act(obs) }
	}
	d, err := dataset.Collect(*name, *policy, behaviour, *steps, *noise, *seed)
	if err != nil {
		return err
	}
	if err := d.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d transitions (%d episodes) of %s to %s\n", d.Len(), d.Episodes, *name, *out)
	return nil
}

// controlTrain implements `autodidact control train --algo ppo --env NAME
// --seed N --steps N [--out DIR]`.
func controlTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("control train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	algo := fs.String("algo", "ppo", "algorithm: ppo or sac")
	name := fs.String("env", "CartPole-v1", "environment")
	seed := fs.Uint64("seed", 1, "seed")
	steps := fs.Int("steps", 0, "environment steps (default 500000 for ppo, 20000 for sac)")
	out := fs.String("out", "", "run directory (default runs/<timestamp>-<algo>-<env>)")
	episodes := fs.Int("eval-episodes", 20, "greedy evaluation episodes at the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := env.Make(*name); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", time.Now().Format("20060102-150405")+"-"+*algo+"-"+*name)
	}
	var s *control.Summary
	var err error
	switch *algo {
	case "ppo":
		cfg := control.DefaultPPO(*name)
		cfg.Seed = *seed
		if *steps > 0 {
			cfg.Steps = *steps
		}
		s, err = control.RunPPO(cfg, dir, *episodes, stdout)
	case "sac":
		cfg := control.DefaultSAC(*name)
		cfg.Seed = *seed
		if *steps > 0 {
			cfg.Steps = *steps
		}
		s, err = control.RunSAC(cfg, dir, *episodes, stdout)
	default:
		return fmt.Errorf("control train: algo %q: want ppo or sac", *algo)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: final_return %.1f (mean of %d greedy episodes), %.0fs; run directory %s\n", *name, s.FinalReturn, *episodes, s.WallSeconds, dir)
	return nil
}

// controlEval implements `autodidact control eval DIR --episodes N`.
func controlEval(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("control eval: name a run directory")
	}
	dir := args[0]
	fs := flag.NewFlagSet("control eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	episodes := fs.Int("episodes", 20, "episodes")
	seed := fs.Uint64("seed", 12345, "seed of the evaluation episodes")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	p, name, err := control.LoadPolicy(filepath.Join(dir, "policy.safetensors"))
	if err != nil {
		return err
	}
	rets, err := p.Evaluate(name, *episodes, *seed)
	if err != nil {
		return err
	}
	var sum float64
	for _, r := range rets {
		sum += r
	}
	fmt.Fprintf(stdout, "%s: mean return %.1f over %d episodes\n", name, sum/float64(len(rets)), len(rets))
	return nil
}
