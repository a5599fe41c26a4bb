package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
)

// compareOptions are the flags of `autodidact compare`.
type compareOptions struct {
	sets     []string
	out      string
	seeds    string
	smoke    bool
	baseline string
	parallel int
	threads  int
	share    bool
}

// newCompareCmd is `autodidact compare --out DIR --seeds 1,2 RECIPE...
// [--set k=v]... [--smoke] [--baseline NAME] [--parallel N]`.
func newCompareCmd() *cobra.Command {
	var o compareOptions
	c := &cobra.Command{
		Use:   "compare RECIPE... --out DIR [flags]",
		Short: "run a grid of recipes × seeds and compare them with intervals",
		Long: `Run every recipe with every seed (each cell a run directory under --out),
then compare them: means with 95% t-intervals and paired differences
against the baseline. Rerun with the same arguments to resume.`,
		Example: `  autodidact compare --out cmp --seeds 1,2,3 grpo dapo
  autodidact compare grpo nsr --out cmp --seeds 1,2 --set rl.steps=20 --smoke`,
		Args:              needArgs(1, "name one or more recipes"),
		ValidArgsFunction: completeRecipes(-1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(o, args, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringArrayVar(&o.sets, "set", nil, "override applied to every cell, e.g. --set rl.steps=50 (repeatable)")
	f.StringVar(&o.out, "out", "", "compare directory (required; rerun with the same arguments to resume)")
	f.StringVar(&o.seeds, "seeds", "1,2,3", "comma-separated seeds")
	f.BoolVar(&o.smoke, "smoke", false, "give every cell the tiny configuration of `run --smoke`")
	f.StringVar(&o.baseline, "baseline", "", "recipe the paired differences are taken against (default: the first)")
	f.IntVar(&o.parallel, "parallel", 1, "cells run at once, each in its own process")
	f.IntVar(&o.threads, "threads", 0, "threads per cell (default: the cores split evenly between parallel cells)")
	f.BoolVar(&o.share, "share-pretraining", true, "cells with identical pretraining share one pretrained model (results unchanged, bit for bit)")
	c.MarkFlagDirname("out")
	c.RegisterFlagCompletionFunc("baseline", completeRecipes(-1))
	return c
}

// runCompare carries out `autodidact compare`.
func runCompare(o compareOptions, recipes []string, stdout io.Writer) error {
	if o.out == "" {
		return fmt.Errorf("compare: --out DIR is required")
	}
	if o.parallel < 1 {
		return fmt.Errorf("compare: --parallel %d: want at least 1", o.parallel)
	}
	if err := checkThreads("compare", o.threads); err != nil {
		return err
	}
	seeds, err := parseSeeds(o.seeds)
	if err != nil {
		return err
	}
	o.parallel = min(o.parallel, len(recipes)*len(seeds)) // more workers than cells do nothing
	g := compare.Grid{Recipes: recipes, Seeds: seeds, Sets: o.sets, Smoke: o.smoke, Baseline: o.baseline}
	opt := compare.Options{Parallel: o.parallel, Threads: o.threads, Log: stdout, SharePretraining: o.share}
	if o.parallel > 1 {
		if opt.Threads == 0 {
			opt.Threads = max(1, cores()/o.parallel)
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("compare: cannot find this binary to run cells in parallel: %w", err)
		}
		opt.Run = subprocess(exe, g)
	}
	res, err := compare.Execute(g, o.out, opt)
	if err != nil {
		return err
	}
	res.Markdown(stdout)
	failed := 0
	for _, c := range res.Cells {
		if c.Status != compare.StatusDone {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("compare: %d of %d cells failed (see %s/%s)", failed, len(res.Cells), o.out, compare.JSONFile)
	}
	return nil
}

// parseSeeds reads "1,2,3".
func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("compare: --seeds %q: %w", s, err)
		}
		seeds = append(seeds, n)
	}
	return seeds, nil
}

// cores is the thread budget split between parallel cells: AUTODIDACT_THREADS
// when set, else the CPUs.
func cores() int {
	if n, err := strconv.Atoi(os.Getenv("AUTODIDACT_THREADS")); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// subprocess runs each cell as `exe run` in its own process, so parallel
// cells have their own thread pools.
func subprocess(exe string, g compare.Grid) compare.Runner {
	return func(c *compare.Cell, _ *run.Recipe, dir string, resume bool, threads int, log io.Writer) error {
		var args []string
		if resume {
			args = []string{"run", "--resume", dir}
		} else {
			args = []string{"run", c.Recipe, "--out", dir, "--seed", strconv.FormatUint(c.Seed, 10)}
			if g.Smoke {
				args = append(args, "--smoke")
			}
			for _, s := range g.Sets {
				args = append(args, "--set", s)
			}
			if threads > 0 {
				args = append(args, "--set", fmt.Sprintf("threads=%d", threads))
			}
		}
		if c.PretrainCache != "" {
			args = append(args, "--pretrain-cache", c.PretrainCache)
		}
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", exe, strings.Join(args, " "), err)
		}
		return nil
	}
}
