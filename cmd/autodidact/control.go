package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Bounds of the control commands' counts: an episode loop or transition
// buffer beyond these is a typo, not an experiment.
const (
	maxControlSteps    = 1_000_000_000
	maxControlEpisodes = 1_000_000
)

// newControlCmd is `autodidact control envs|train|eval|dataset`; bare
// `control` lists the environments.
func newControlCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "control [envs|train|eval|dataset]",
		Short: "classic-control environments, PPO/SAC training and offline datasets",
		Long: `Classic-control reinforcement learning: list the environments, train a
PPO or SAC policy into a run directory, evaluate it, or collect an
offline dataset of transitions from a random or trained policy.`,
		Example: `  autodidact control train --algo ppo --env CartPole-v1 --steps 100000
  autodidact control eval runs/<dir> --episodes 20
  autodidact control dataset --env CartPole-v1 --policy runs/<dir> --noise 0.3 --out d.safetensors`,
		Args: noCommandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listEnvs(cmd.OutOrStdout()) },
	}
	c.AddCommand(&cobra.Command{
		Use:   "envs",
		Short: "list the environments",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return listEnvs(cmd.OutOrStdout()) },
	}, newControlTrainCmd(), newControlEvalCmd(), newControlDatasetCmd(), newControlBenchCmd(), newControlSpeedCmd(), newControlDesignCmd())
	return c
}

// listEnvs prints the environment names, one a line.
func listEnvs(w io.Writer) error {
	_, err := fmt.Fprintln(w, strings.Join(env.Names(), "\n"))
	return err
}

// completeEnvs completes --env with the environment names.
func completeEnvs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return env.Names(), cobra.ShellCompDirectiveNoFileComp
}

// controlTrainOptions are the flags of `control train`.
type controlTrainOptions struct {
	algo, env, out string
	dataset        string
	expert         string   // recoil's expert dataset
	set            []string // config overrides NAME=VALUE
	seed           uint64
	steps          int
	episodes       int
	smoke          bool
	resume         string // run directory to resume
	ckptEvery      int    // checkpoint period (0: the algorithm's default)
	normObs        bool
	normReward     bool
	threads        int
}

// controlAlgos are the algorithms of `control train`.
// ppo_srpo is PPO with SRPO's progress reward for failed episodes
// (control/srpo.go), on a sparse-success environment.
var controlAlgos = append(append([]string{"ppo", "ppo_srpo", "sac"}, control.BaselineAlgos...), control.FineTuneAlgos...)

// newControlTrainCmd is `control train --algo ppo --env NAME --seed N
// --steps N [--out DIR]`.
func newControlTrainCmd() *cobra.Command {
	var o controlTrainOptions
	c := &cobra.Command{
		Use:   "train [flags]",
		Short: "train a control policy (ppo, sac, td3 online; td3bc, iql, cql offline from --dataset) into a run directory",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("steps") {
				o.steps = 0 // the algorithm's default
			} else if o.steps < 1 {
				return fmt.Errorf("control train: --steps %d: want a positive number of environment steps", o.steps)
			}
			return controlTrain(o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&o.algo, "algo", "ppo", "algorithm: "+strings.Join(controlAlgos, ", ")+" (td3bc, iql and cql learn offline from --dataset; ppo_srpo needs a sparse-success env: "+strings.Join(control.SparseEnvs(), ", ")+")")
	f.StringVar(&o.dataset, "dataset", "", "offline dataset (autodidact control dataset) for td3bc, iql, cql")
	f.StringVar(&o.expert, "expert-dataset", "", "recoil: the expert demonstrations (the --dataset is the suboptimal data)")
	f.StringArrayVar(&o.set, "set", nil, "a config override by JSON name (see the run's config.json), repeatable: --set beta=5 --set hidden=[32,32]")
	f.BoolVar(&o.smoke, "smoke", false, "a tiny configuration that runs in seconds (offline algorithms collect their own small random dataset)")
	f.StringVar(&o.env, "env", "CartPole-v1", "environment (see control envs)")
	f.Uint64Var(&o.seed, "seed", 1, "seed")
	f.IntVar(&o.steps, "steps", 0, "environment steps (default 500000 for ppo, 20000 for sac)")
	f.StringVar(&o.out, "out", "", "run directory (default runs/<timestamp>-<algo>-<env>)")
	f.IntVar(&o.episodes, "eval-episodes", 20, "greedy evaluation episodes at the end")
	f.StringVar(&o.resume, "resume", "", "continue the interrupted run in this directory from its last checkpoint (state.gob); its config.json fixes everything else")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 0, "checkpoint period: env steps for sac/td3, updates for ppo (default 5000 and 50; offline algorithms do not checkpoint)")
	f.BoolVar(&o.normObs, "norm-obs", false, "ppo: standardise observations with running statistics (folded into the saved policy)")
	f.BoolVar(&o.normReward, "norm-reward", false, "ppo: scale rewards by the running std of the discounted return")
	f.IntVar(&o.threads, "threads", 0, "worker threads (default: AUTODIDACT_THREADS or all cores); results are reproducible for a thread count")
	c.RegisterFlagCompletionFunc("env", completeEnvs)
	c.RegisterFlagCompletionFunc("algo", cobra.FixedCompletions(controlAlgos, cobra.ShellCompDirectiveNoFileComp))
	c.MarkFlagDirname("out")
	c.MarkFlagDirname("resume")
	return c
}

// controlTrain carries out `control train`; o.steps 0 is the algorithm's
// default.
func controlTrain(o controlTrainOptions, stdout io.Writer) error {
	const cmd = "control train"
	if o.threads < 0 {
		return fmt.Errorf("%s: --threads %d: want 0 (default) or more", cmd, o.threads)
	}
	if o.threads > 0 {
		tensor.SetThreads(o.threads)
	}
	if o.ckptEvery < 0 {
		return fmt.Errorf("%s: --checkpoint-every %d: want 0 (default) or more", cmd, o.ckptEvery)
	}
	if (o.normObs || o.normReward) && o.algo != "ppo" && o.algo != "ppo_srpo" && o.resume == "" {
		return fmt.Errorf("%s: --norm-obs and --norm-reward are for ppo, not %s", cmd, o.algo)
	}
	if o.resume != "" {
		if o.episodes < 1 || o.episodes > maxControlEpisodes {
			return fmt.Errorf("%s: --eval-episodes %d: want 1 to %d", cmd, o.episodes, maxControlEpisodes)
		}
		s, err := control.Resume(o.resume, o.episodes, stdout)
		if err != nil {
			return fmt.Errorf("%s --resume: %w", cmd, err)
		}
		fmt.Fprintf(stdout, "%s: final_return %.1f (mean of %d greedy episodes), %.0fs; run directory %s\n", s.Env, s.FinalReturn, o.episodes, s.WallSeconds, o.resume)
		return nil
	}
	if !slices.Contains(controlAlgos, o.algo) {
		return fmt.Errorf("control train: algo %q: want one of %s", o.algo, strings.Join(controlAlgos, ", "))
	}
	if o.dataset != "" && !control.UsesDataset(o.algo) {
		return fmt.Errorf("control train: --dataset is for the offline algorithms (td3bc, iql, cql, ...), not %s", o.algo)
	}
	if o.expert != "" && o.algo != "recoil" {
		return fmt.Errorf("control train: --expert-dataset is for recoil, not %s", o.algo)
	}
	set, err := parseSets(cmd, o.set)
	if err != nil {
		return err
	}
	e, err := env.Make(o.env)
	if err != nil {
		return err
	}
	if o.steps > maxControlSteps {
		return fmt.Errorf("%s: --steps %d: at most %d", cmd, o.steps, maxControlSteps)
	}
	if o.episodes < 1 || o.episodes > maxControlEpisodes {
		return fmt.Errorf("%s: --eval-episodes %d: want 1 to %d", cmd, o.episodes, maxControlEpisodes)
	}
	dir := o.out
	if dir == "" {
		if dir, err = run.DefaultDir("runs", o.algo+"-"+o.env); err != nil {
			return err
		}
	}
	var s *control.Summary
	switch o.algo {
	case "ppo", "ppo_srpo":
		cfg := control.DefaultPPO(o.env)
		cfg.Seed = o.seed
		if o.algo == "ppo_srpo" {
			srpo := control.DefaultSRPO()
			cfg.SRPO = &srpo
		}
		if o.smoke {
			cfg.Steps = 2048
		}
		cfg.NormObs, cfg.NormReward = o.normObs, o.normReward
		if o.ckptEvery > 0 {
			cfg.CheckpointEvery = o.ckptEvery
		}
		if err := control.ApplySet(&cfg, set); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		if o.steps > 0 {
			cfg.Steps = o.steps
		}
		s, err = control.RunPPO(cfg, dir, o.episodes, stdout)
	case "sac":
		cfg := control.DefaultSAC(o.env)
		cfg.Seed = o.seed
		if o.smoke {
			cfg.Steps = 1000
		}
		if o.ckptEvery > 0 {
			cfg.CheckpointEvery = o.ckptEvery
		}
		if err := control.ApplySet(&cfg, set); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		if o.steps > 0 {
			cfg.Steps = o.steps
		}
		od, ad := float64(e.ObservationSpace().Dim), float64(e.ActionSpace().Dim)
		if err := checkMemory(cmd, "the SAC replay buffer", float64(min(cfg.Buffer, cfg.Steps))*(2*od+ad+4)*4); err != nil {
			return err
		}
		s, err = control.RunSAC(cfg, dir, o.episodes, stdout)
	case "wsrl", "fastrlap":
		s, err = control.RunFineTune(control.FineTuneOptions{Algo: o.algo, Env: o.env, Dataset: o.dataset, Seed: o.seed,
			Steps: o.steps, Smoke: o.smoke, CheckpointEvery: o.ckptEvery, Sets: o.set}, dir, o.episodes, stdout)
	default:
		s, err = control.RunBaseline(control.BaselineOptions{Algo: o.algo, Env: o.env, Dataset: o.dataset, Seed: o.seed,
			Steps: o.steps, Smoke: o.smoke, Expert: o.expert, Set: set, CheckpointEvery: o.ckptEvery}, dir, o.episodes, stdout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: final_return %.1f (mean of %d greedy episodes), %.0fs; run directory %s\n", s.Env, s.FinalReturn, o.episodes, s.WallSeconds, dir)
	return nil
}

// newControlEvalCmd is `control eval DIR [--episodes N] [--seed N]`.
func newControlEvalCmd() *cobra.Command {
	var episodes int
	var seed uint64
	c := &cobra.Command{
		Use:   "eval DIR [flags]",
		Short: "evaluate the greedy policy of a control run directory",
		Args:  rangeArgs(1, 1, "name one run directory of control train"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return controlEval(args[0], episodes, seed, cmd.OutOrStdout())
		},
	}
	c.Flags().IntVar(&episodes, "episodes", 20, "episodes")
	c.Flags().Uint64Var(&seed, "seed", 12345, "seed of the evaluation episodes")
	return c
}

// controlEval carries out `control eval`.
func controlEval(dir string, episodes int, seed uint64, stdout io.Writer) error {
	if episodes < 1 || episodes > maxControlEpisodes {
		return fmt.Errorf("control eval: --episodes %d: want 1 to %d", episodes, maxControlEpisodes)
	}
	p, name, err := control.LoadPolicy(filepath.Join(dir, "policy.safetensors"))
	if err != nil {
		return fmt.Errorf("control eval: %s is not a control run directory: %w", dir, err)
	}
	rets, err := p.Evaluate(name, episodes, seed)
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

// controlDatasetOptions are the flags of `control dataset`.
type controlDatasetOptions struct {
	env, policy, out string
	kind             string // a D5-lite suite kind instead of --policy
	steps            int
	noise            float64
	seed             uint64
}

// newControlDatasetCmd is `control dataset --env NAME --steps N --out FILE
// [--policy DIR] [--noise X]`.
func newControlDatasetCmd() *cobra.Command {
	var o controlDatasetOptions
	c := &cobra.Command{
		Use:   "dataset --out FILE [flags]",
		Short: "collect offline transitions from a random or trained policy",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlDataset(o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&o.env, "env", "CartPole-v1", "environment (see control envs)")
	f.StringVar(&o.policy, "policy", "random", "behaviour policy: random, or a run directory of `control train` (its greedy policy; add --noise for medium/mixed data)")
	f.IntVar(&o.steps, "steps", 10000, "transitions to collect")
	f.StringVar(&o.kind, "kind", "", "a D5-lite suite dataset instead of --policy: "+strings.Join(control.SuiteKinds, ", ")+" (control/d5rl.go; Pendulum-v1 and MountainCarContinuous-v0)")
	f.Float64Var(&o.noise, "noise", 0, "exploration noise: epsilon (discrete) or std in half-ranges (box)")
	f.Uint64Var(&o.seed, "seed", 1, "seed")
	f.StringVar(&o.out, "out", "", "output .safetensors file")
	c.RegisterFlagCompletionFunc("env", completeEnvs)
	return c
}

// controlDataset carries out `control dataset`.
func controlDataset(o controlDatasetOptions, stdout io.Writer) error {
	const cmd = "control dataset"
	if o.out == "" || o.steps <= 0 {
		return fmt.Errorf("control dataset: --out and a positive --steps are required")
	}
	if o.steps > maxControlSteps {
		return fmt.Errorf("%s: --steps %d: at most %d", cmd, o.steps, maxControlSteps)
	}
	if math.IsNaN(o.noise) || math.IsInf(o.noise, 0) || o.noise < 0 {
		return fmt.Errorf("%s: --noise %v: want a finite number, 0 or more", cmd, o.noise)
	}
	e, err := env.Make(o.env)
	if err != nil {
		return err
	}
	od, ad := float64(e.ObservationSpace().Dim), float64(e.ActionSpace().Dim)
	// Observations and next observations, actions, reward, flags, while
	// collecting and again while saving.
	if err := checkMemory(cmd, fmt.Sprintf("%d transitions", o.steps), 2*float64(o.steps)*(2*od+ad+4)*4); err != nil {
		return err
	}
	if o.kind != "" {
		if o.policy != "random" || o.noise != 0 {
			return fmt.Errorf("%s: --kind fixes the behaviour policy and noise; drop --policy and --noise", cmd)
		}
		d, err := control.SuiteDataset(o.env, o.kind, o.steps)
		if err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		if err := d.Save(o.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d transitions (%d episodes) of %s (%s) to %s\n", d.Len(), d.Episodes, o.env, o.kind, o.out)
		return nil
	}
	behaviour := dataset.RandomPolicy(e.ActionSpace())
	if o.policy != "random" {
		p, trainedOn, err := control.LoadPolicy(filepath.Join(o.policy, "policy.safetensors"))
		if err != nil {
			return err
		}
		if trainedOn != o.env {
			return fmt.Errorf("control dataset: the policy in %s was trained on %s, not %s (add --env %s)", o.policy, trainedOn, o.env, trainedOn)
		}
		behaviour = func(obs []float32, _ *rand.Rand) []float64 { return p.Act(obs) }
	}
	d, err := dataset.Collect(o.env, o.policy, behaviour, o.steps, o.noise, o.seed)
	if err != nil {
		return err
	}
	if err := d.Save(o.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d transitions (%d episodes) of %s to %s\n", d.Len(), d.Episodes, o.env, o.out)
	return nil
}
