package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
)

// runCompare implements `autodidact compare --out DIR --seeds 1,2 RECIPE...
// [--set k=v]... [--smoke] [--baseline NAME] [--parallel N]`.
func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sets multiFlag
	fs.Var(&sets, "set", "override applied to every cell, e.g. --set rl.steps=50 (repeatable)")
	out := fs.String("out", "", "compare directory (required; rerun with the same arguments to resume)")
	seedList := fs.String("seeds", "1,2,3", "comma-separated seeds")
	smoke := fs.Bool("smoke", false, "give every cell the tiny configuration of `run --smoke`")
	baseline := fs.String("baseline", "", "recipe the paired differences are taken against (default: the first)")
	parallel := fs.Int("parallel", 1, "cells run at once, each in its own process")
	threads := fs.Int("threads", 0, "threads per cell (default: the cores split evenly between parallel cells)")
	share := fs.Bool("share-pretraining", true, "cells with identical pretraining share one pretrained model (results unchanged, bit for bit)")
	// Accept recipes before, between and after the flags.
	var recipes []string
	for len(args) > 0 {
		for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			recipes, args = append(recipes, args[0]), args[1:]
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
	}
	if *out == "" {
		return fmt.Errorf("compare: --out DIR is required")
	}
	seeds, err := parseSeeds(*seedList)
	if err != nil {
		return err
	}
	g := compare.Grid{Recipes: recipes, Seeds: seeds, Sets: sets, Smoke: *smoke, Baseline: *baseline}
	o := compare.Options{Parallel: *parallel, Threads: *threads, Log: stdout, SharePretraining: *share}
	if *parallel > 1 {
		if o.Threads == 0 {
			o.Threads = max(1, cores()/(*parallel))
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("compare: cannot find this binary to run cells in parallel: %w", err)
		}
		o.Run = subprocess(exe, g)
	}
	res, err := compare.Execute(g, *out, o)
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
		return fmt.Errorf("compare: %d of %d cells failed (see %s/%s)", failed, len(res.Cells), *out, compare.JSONFile)
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
