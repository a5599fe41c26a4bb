package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/autodidact-rl/autodidact/cluster"
	"github.com/autodidact-rl/autodidact/run"
)

// runWithRollouts runs (or resumes) a recipe, its RL episodes sampled by
// rollout workers over NATS when --nats or --rollout-workers asks for it.
func runWithRollouts(o runOptions, r *run.Recipe, dir string, resume bool, stdout io.Writer) error {
	opts := run.Options{PretrainCache: o.cache}
	if o.nats.url == "" && o.rolloutWorkers == 0 {
		if o.rolloutShards != 1 {
			return fmt.Errorf("run: --rollout-shards needs rollout workers (--nats URL or --rollout-workers N)")
		}
		_, err := run.RunWith(r, dir, resume, stdout, opts)
		return err
	}
	if o.rolloutWorkers < 0 || o.rolloutShards < 1 {
		return fmt.Errorf("run: --rollout-workers %d, --rollout-shards %d: want 0 or more workers, 1 or more shards", o.rolloutWorkers, o.rolloutShards)
	}
	if len(r.Roles) > 0 {
		return fmt.Errorf("run: rollout workers sample the policy only; recipe %s has roles played by other models", r.Name)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host + "\x00" + abs))
	id := hex.EncodeToString(sum[:8])
	log := &lockedWriter{w: stdout}
	url := o.nats.url
	if url == "" {
		srv, err := cluster.StartServer(cluster.ServerOptions{})
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		defer srv.Shutdown()
		url = srv.URL()
		fmt.Fprintf(log, "run: embedded NATS server at %s\n", url)
	}
	nc, js, err := cluster.Connect(url, o.nats.conn("autodidact run"))
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := cluster.NewLearner(ctx, js, id, r, cluster.LearnerOptions{Shards: o.rolloutShards, AckWait: o.nats.ackWait})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer l.Close()
	fmt.Fprintf(log, "run: rollouts of run %s on workers (autodidact worker --nats URL --rollout %s)\n", id, id)
	if o.rolloutWorkers > 0 {
		stopWorkers, err := localRolloutWorkers(o.rolloutWorkers, url, id, o.nats, log)
		if err != nil {
			return err
		}
		defer stopWorkers()
	}
	opts.Rollouts = l
	s, err := run.RunWith(r, dir, resume, log, opts)
	if err != nil {
		return err
	}
	if t := s.RLTime.Total; t > 0 && l.Requests > 0 {
		fmt.Fprintf(log, "rollout workers: %d requests; the learner waited %.2f s of %.2f s of RL steps (idle fraction %.3f); workers sampled %.2f s (%.2f s with weight loads and transfers); weights %d bytes per update\n",
			l.Requests, l.Wait, t, l.Wait/t, l.WorkerSample, l.WorkerSeconds, l.WeightBytes)
	}
	return nil
}

// localRolloutWorkers starts n `autodidact worker --rollout ID` processes.
func localRolloutWorkers(n int, url, id string, nf natsFlags, log io.Writer) (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("run: cannot find this binary to start rollout workers: %w", err)
	}
	var cmds []*exec.Cmd
	stop = func() {
		stopProcesses(cmds)
	}
	for i := 0; i < n; i++ {
		args := append([]string{"worker", "--rollout", id, "--name", "rollout-" + strconv.Itoa(i+1)}, nf.args(url)...)
		c := exec.Command(exe, args...)
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("run: start rollout worker: %w", err)
		}
		cmds = append(cmds, c)
	}
	return stop, nil
}
