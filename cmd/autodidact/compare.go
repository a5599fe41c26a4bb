package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/cluster"
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
	// distributed sweeps (cluster.Sweep)
	nats         natsFlags
	workers      int
	natsListen   string
	natsStore    string
	natsConfig   string
	keepNATSData bool
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
	o.nats.register(f, "run the cells on workers over this NATS server (`autodidact worker --nats URL` on any machine)")
	f.IntVar(&o.workers, "workers", 0, "start N local worker processes (and, without --nats, an embedded NATS server)")
	f.StringVar(&o.natsListen, "nats-listen", "127.0.0.1:0", "address of the embedded NATS server (with --workers and no --nats; port 0: a free one)")
	f.StringVar(&o.natsStore, "nats-store", "", "JetStream storage directory of the embedded server (default: a temporary directory)")
	f.StringVar(&o.natsConfig, "nats-server-config", "", "nats-server configuration file for the embedded server (accounts, TLS, authorization)")
	f.BoolVar(&o.keepNATSData, "keep-nats-data", false, "keep the sweep's object store and reports on the server when it finishes")
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
	if o.nats.url != "" || o.workers != 0 {
		return runDistributed(o, g, stdout)
	}
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
	return reportCompare(res, o.out, stdout)
}

// reportCompare prints a grid's table and fails when a cell failed.
func reportCompare(res *compare.Result, out string, stdout io.Writer) error {
	res.Markdown(stdout)
	failed := 0
	for _, c := range res.Cells {
		if c.Status != compare.StatusDone {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("compare: %d of %d cells failed (see %s/%s)", failed, len(res.Cells), out, compare.JSONFile)
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

// runDistributed carries out `compare --nats URL` and `compare --workers
// N`: the cells run on workers over NATS JetStream (cluster.Sweep); with
// --workers and no URL, an embedded server on --nats-listen serves them.
func runDistributed(o compareOptions, g compare.Grid, stdout io.Writer) error {
	if o.workers < 0 {
		return fmt.Errorf("compare: --workers %d: want 0 or more", o.workers)
	}
	if o.parallel > 1 {
		return usagef("compare: --parallel runs cells on this machine; with --nats or --workers the workers decide")
	}
	if o.nats.ackWait <= 0 {
		return fmt.Errorf("compare: --ack-wait %s: want a positive duration", o.nats.ackWait)
	}
	log := &lockedWriter{w: stdout}
	url := o.nats.url
	if url == "" {
		host, port, err := net.SplitHostPort(o.natsListen)
		if err != nil {
			return fmt.Errorf("compare: --nats-listen %q: %w", o.natsListen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("compare: --nats-listen %q: bad port", o.natsListen)
		}
		srv, err := cluster.StartServer(cluster.ServerOptions{Host: host, Port: p, StoreDir: o.natsStore, ConfigFile: o.natsConfig})
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		defer srv.Shutdown()
		url = srv.URL()
		fmt.Fprintf(log, "compare: embedded NATS server at %s\n", url)
	}
	nc, js, err := cluster.Connect(url, o.nats.conn("autodidact compare"))
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The queue and consumer exist before workers start, with this AckWait.
	if _, err := cluster.Setup(ctx, js, o.nats.ackWait); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	if o.workers > 0 {
		stopWorkers, err := localWorkers(o.workers, url, o.nats, log)
		if err != nil {
			return err
		}
		defer stopWorkers()
	}
	res, err := cluster.Sweep(ctx, js, g, o.out, cluster.SweepOptions{Threads: o.threads, AckWait: o.nats.ackWait, Log: log, Keep: o.keepNATSData})
	if err != nil {
		return err
	}
	return reportCompare(res, o.out, log)
}

// lockedWriter serialises writes from several goroutines (worker
// processes' output and the coordinator's log).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
