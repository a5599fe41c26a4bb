package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/control"
)

// controlBenchOptions are the flags of `control bench`.
type controlBenchOptions struct {
	algos, envs, kinds []string
	seeds              string
	steps              int
	transitions        int
	episodes           int
	expertKind         string
	out                string
	set                []string
}

// newControlBenchCmd is `control bench --algo A[,B...] --out DIR`.
func newControlBenchCmd() *cobra.Command {
	var o controlBenchOptions
	c := &cobra.Command{
		Use:   "bench --algo NAME[,NAME...] --out DIR [flags]",
		Short: "run algorithms over the D5-lite suite of offline datasets and report normalised scores",
		Long: `Run one or more control algorithms over the D5-lite suite (control/d5rl.go):
for every environment and dataset kind the dataset is built once under
DIR/data, then each algorithm trains on it for every seed into
DIR/ALGO/ENV-KIND/seed-N (a cell with a summary.json is kept, so an
interrupted bench resumes). Scores are D4RL-normalised (0 random policy,
100 the scripted expert); the table gives the mean and 95% t-interval over
seeds per cell, the suite mean (cells averaged per seed) and, for every
algorithm after the first, the paired (same-seed) difference against the
first, per cell and of the suite means. DIR/bench.json holds every return.`,
		Example: `  autodidact control bench --algo td3bc,prdc --seeds 1,2,3 --steps 5000 --out runs/bench
  autodidact control bench --algo recoil --kinds mixed --expert-kind expert1 --envs Pendulum-v1 --out runs/recoil`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("steps") {
				o.steps = 0
			}
			return controlBench(o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringSliceVar(&o.algos, "algo", nil, "algorithms, comma-separated: "+strings.Join(control.BaselineAlgos, ", ")+", sac (online, no data: one run per env and seed, the same in every row)")
	f.StringSliceVar(&o.envs, "envs", control.SuiteEnvs, "environments of the suite")
	f.StringSliceVar(&o.kinds, "kinds", []string{"random", "expert", "noisy", "mixed"}, "dataset kinds: "+strings.Join(control.SuiteKinds, ", "))
	f.StringVar(&o.seeds, "seeds", "1,2,3", "training seeds")
	f.IntVar(&o.steps, "steps", 0, "gradient (arsq: environment) steps per run (default: the algorithm's)")
	f.IntVar(&o.transitions, "transitions", control.SuiteTransitions, "transitions per dataset")
	f.IntVar(&o.episodes, "eval-episodes", 10, "greedy evaluation episodes per run")
	f.StringVar(&o.expertKind, "expert-kind", "expert1", "recoil: the kind of the expert dataset")
	f.StringArrayVar(&o.set, "set", nil, "a config override by JSON name, repeatable: NAME=V for every algorithm, ALGO.NAME=V for one (iql.reward_scale=0.1)")
	f.StringVar(&o.out, "out", "", "bench directory (required)")
	return c
}

// benchCell is one (algorithm, env, kind) of a bench and its seeds' results.
type benchCell struct {
	Algo    string    `json:"algo"`
	Env     string    `json:"env"`
	Kind    string    `json:"kind"`
	Seeds   []uint64  `json:"seeds"`
	Returns []float64 `json:"returns"`
	Scores  []float64 `json:"scores"`
}

// controlBench carries out `control bench`.
func controlBench(o controlBenchOptions, stdout io.Writer) error {
	const cmd = "control bench"
	if o.out == "" || len(o.algos) == 0 {
		return fmt.Errorf("%s: --out and --algo are required", cmd)
	}
	for _, a := range o.algos {
		if a != "sac" && !slices.Contains(control.BaselineAlgos, a) {
			return fmt.Errorf("%s: algo %q: want one of %s", cmd, a, strings.Join(control.BaselineAlgos, ", "))
		}
		if a == "td3" {
			return fmt.Errorf("%s: td3 learns online without data; bench the offline algorithms", cmd)
		}
	}
	for _, e := range o.envs {
		if _, ok := control.SuiteReferences[e]; !ok {
			return fmt.Errorf("%s: env %q has no reference returns (the suite has %v)", cmd, e, control.SuiteEnvs)
		}
	}
	for _, k := range append(slices.Clone(o.kinds), o.expertKind) {
		if !slices.Contains(control.SuiteKinds, k) {
			return fmt.Errorf("%s: kind %q: want one of %v", cmd, k, control.SuiteKinds)
		}
	}
	set, err := parseSets(cmd, o.set)
	if err != nil {
		return err
	}
	seeds, err := parseSeeds(o.seeds)
	if err != nil {
		return err
	}
	if o.transitions < 1 || o.transitions > maxControlSteps || o.steps > maxControlSteps || o.episodes < 1 || o.episodes > maxControlEpisodes {
		return fmt.Errorf("%s: --transitions, --steps and --eval-episodes must be positive and sane", cmd)
	}
	dataDir := filepath.Join(o.out, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	// dataFile builds (once) and returns the dataset file of (env, kind).
	dataFile := func(envName, kind string) (string, error) {
		path := filepath.Join(dataDir, fmt.Sprintf("%s-%s-%d.safetensors", envName, kind, o.transitions))
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		d, err := control.SuiteDataset(envName, kind, o.transitions)
		if err != nil {
			return "", err
		}
		return path, d.Save(path)
	}
	var cells []*benchCell
	for _, algo := range o.algos {
		for _, envName := range o.envs {
			for _, kind := range o.kinds {
				if kind == "spin" && envName != "Pendulum-v1" {
					continue
				}
				data, err := dataFile(envName, kind)
				if err != nil {
					return fmt.Errorf("%s: %w", cmd, err)
				}
				opts := control.BaselineOptions{Algo: algo, Env: envName, Dataset: data, Steps: o.steps, Set: benchSet(set, algo)}
				if algo == "recoil" {
					if opts.Expert, err = dataFile(envName, o.expertKind); err != nil {
						return fmt.Errorf("%s: %w", cmd, err)
					}
				}
				cell := &benchCell{Algo: algo, Env: envName, Kind: kind}
				for _, seed := range seeds {
					cellName := envName + "-" + kind
					if algo == "sac" {
						cellName = envName + "-online"
					}
					dir := filepath.Join(o.out, algo, cellName, fmt.Sprintf("seed-%d", seed))
					s, err := benchRun(opts, seed, dir, o.episodes)
					if err != nil {
						return fmt.Errorf("%s: %s on %s-%s seed %d: %w", cmd, algo, envName, kind, seed, err)
					}
					score, _ := control.Score(envName, s.FinalReturn)
					cell.Seeds, cell.Returns, cell.Scores = append(cell.Seeds, seed), append(cell.Returns, s.FinalReturn), append(cell.Scores, score)
					fmt.Fprintf(stdout, "%s %s-%s seed %d: return %.1f, score %.1f (%.0fs)\n", algo, envName, kind, seed, s.FinalReturn, score, s.WallSeconds)
				}
				cells = append(cells, cell)
			}
		}
	}
	j, _ := json.MarshalIndent(map[string]any{"cells": cells, "references": control.SuiteReferences, "steps": o.steps,
		"transitions": o.transitions, "eval_episodes": o.episodes, "set": set}, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(o.out, "bench.json"), append(j, '\n')); err != nil {
		return err
	}
	return benchTable(stdout, o.algos, cells, len(seeds))
}

// benchRun trains one cell into dir, or reads the summary of a finished one.
func benchRun(o control.BaselineOptions, seed uint64, dir string, episodes int) (*control.Summary, error) {
	o.Seed = seed
	if raw, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil {
		var s control.Summary
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		return &s, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil { // an unfinished cell starts again
		return nil, err
	}
	if o.Algo == "sac" {
		cfg := control.DefaultSAC(o.Env)
		cfg.Seed = seed
		if o.Steps > 0 {
			cfg.Steps = o.Steps
		}
		if err := control.ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("sac: %w", err)
		}
		return control.RunSAC(cfg, dir, episodes, nil)
	}
	return control.RunBaseline(o, dir, episodes, nil)
}

// fmtStat is "mean [lo, hi]".
func fmtStat(s compare.Stat) string {
	if s.CI95 == nil {
		return fmt.Sprintf("%.1f", s.Mean)
	}
	return fmt.Sprintf("%.1f [%.1f, %.1f]", s.Mean, s.CI95[0], s.CI95[1])
}

// benchTable prints the markdown table of normalised scores: one row per
// (env, kind), one column per algorithm, then the suite mean and the
// paired difference of suite means against the first algorithm.
func benchTable(w io.Writer, algos []string, cells []*benchCell, nSeeds int) error {
	byKey := map[string]*benchCell{}
	var rows []string
	for _, c := range cells {
		k := c.Env + " " + c.Kind
		byKey[c.Algo+"|"+k] = c
		if !slices.Contains(rows, k) {
			rows = append(rows, k)
		}
	}
	header := slices.Clone(algos)
	for _, a := range algos[1:] {
		header = append(header, fmt.Sprintf("Δ %s − %s", a, algos[0]))
	}
	fmt.Fprintf(w, "\n| dataset | %s |\n|---|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	suite := map[string][]float64{}
	// paired is the per-seed difference a - algos[0] of two score lists.
	paired := func(a, b []float64) compare.Stat {
		if len(a) != len(b) {
			return compare.Stat{}
		}
		d := make([]float64, len(a))
		for i := range d {
			d[i] = a[i] - b[i]
		}
		return compare.TInterval(d)
	}
	for _, k := range rows {
		fmt.Fprintf(w, "| %s |", k)
		for _, a := range algos {
			c := byKey[a+"|"+k]
			if c == nil {
				fmt.Fprint(w, " – |")
				continue
			}
			fmt.Fprintf(w, " %s |", fmtStat(compare.TInterval(c.Scores)))
			if suite[a] == nil {
				suite[a] = make([]float64, nSeeds)
			}
			for i, s := range c.Scores {
				suite[a][i] += s / float64(len(rows))
			}
		}
		for _, a := range algos[1:] {
			c, base := byKey[a+"|"+k], byKey[algos[0]+"|"+k]
			if c == nil || base == nil {
				fmt.Fprint(w, " – |")
				continue
			}
			fmt.Fprintf(w, " %s |", fmtStat(paired(c.Scores, base.Scores)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| **suite mean** |")
	for _, a := range algos {
		fmt.Fprintf(w, " %s |", fmtStat(compare.TInterval(suite[a])))
	}
	for _, a := range algos[1:] {
		fmt.Fprintf(w, " %s |", fmtStat(paired(suite[a], suite[algos[0]])))
	}
	fmt.Fprintln(w)
	return nil
}

// benchSet is the overrides of --set that apply to algo: plain names and
// those prefixed "algo.".
func benchSet(set map[string]string, algo string) map[string]string {
	out := map[string]string{}
	for k, v := range set {
		if a, name, ok := strings.Cut(k, "."); ok {
			if a == algo {
				out[name] = v
			}
			continue
		}
		out[k] = v
	}
	return out
}

// parseSets reads repeated --set NAME=VALUE flags.
func parseSets(cmd string, flags []string) (map[string]string, error) {
	set := map[string]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: --set %q: want NAME=VALUE", cmd, f)
		}
		set[k] = v
	}
	return set, nil
}
