package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/autodidact-rl/autodidact/cluster"
)

// natsFlags are the connection flags shared by `compare --nats` and
// `worker`.
type natsFlags struct {
	url     string
	creds   string
	nkey    string
	ca      string
	cert    string
	key     string
	ackWait time.Duration
}

func (n *natsFlags) register(f *pflag.FlagSet, urlHelp string) {
	f.StringVar(&n.url, "nats", "", urlHelp)
	f.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (user JWT and NKey seed)")
	f.StringVar(&n.nkey, "nats-nkey", "", "file holding an NKey seed to authenticate with")
	f.StringVar(&n.ca, "nats-ca", "", "CA (PEM) to verify the NATS server's TLS certificate")
	f.StringVar(&n.cert, "nats-cert", "", "client TLS certificate (PEM) for the NATS server")
	f.StringVar(&n.key, "nats-key", "", "key of --nats-cert (PEM)")
	f.DurationVar(&n.ackWait, "ack-wait", cluster.DefaultAckWait, "a cell whose worker stops reporting progress this long goes to another worker")
}

func (n *natsFlags) conn(name string) cluster.ConnOptions {
	return cluster.ConnOptions{Name: name, CredsFile: n.creds, NKeyFile: n.nkey, TLSCA: n.ca, TLSCert: n.cert, TLSKey: n.key}
}

// args returns the flags that give a worker process the same connection.
func (n *natsFlags) args(url string) []string {
	a := []string{"--nats", url, "--ack-wait", n.ackWait.String()}
	for _, f := range []struct{ name, v string }{{"nats-creds", n.creds}, {"nats-nkey", n.nkey}, {"nats-ca", n.ca}, {"nats-cert", n.cert}, {"nats-key", n.key}} {
		if f.v != "" {
			a = append(a, "--"+f.name, f.v)
		}
	}
	return a
}

// workerOptions are the flags of `autodidact worker`.
type workerOptions struct {
	nats     natsFlags
	work     string
	idleExit time.Duration
	maxCells int
	name     string
	rollout  string
}

// newWorkerCmd is `autodidact worker --nats URL [--work DIR]`.
func newWorkerCmd() *cobra.Command {
	var o workerOptions
	c := &cobra.Command{
		Use:   "worker --nats URL [flags]",
		Short: "take cells of distributed sweeps (compare --nats) from a NATS server and run them",
		Long: `Connect to a NATS server with JetStream, take the cells that
'autodidact compare --nats URL' puts on its work queue one at a time, run
each (resuming from the newest checkpoint uploaded for it) and upload its
run directory to the sweep's object store. Start as many workers as you
like, on any machines that reach the server; a worker that dies loses
its cell only until --ack-wait passes, when another worker resumes it.`,
		Example: `  autodidact worker --nats nats://10.0.0.5:4222 --work /scratch/autodidact
  autodidact worker --nats tls://nats.example.org:4222 --nats-creds user.creds --nats-ca ca.pem`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWorker(o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	o.nats.register(f, "NATS server URL (required), e.g. nats://host:4222; user:password@ or token@ in the URL authenticate")
	f.StringVar(&o.work, "work", "", "work directory: running cells and the pretraining cache (default: a temporary directory)")
	f.DurationVar(&o.idleExit, "idle-exit", 0, "exit after this long without a cell (0: never)")
	f.IntVar(&o.maxCells, "max-cells", 0, "exit after this many cells (0: no limit)")
	f.StringVar(&o.name, "name", "", "this worker's name in reports (default host:pid)")
	f.StringVar(&o.rollout, "rollout", "", "instead of sweep cells, sample RL episodes for this run (the ID `run --nats` prints)")
	c.MarkFlagDirname("work")
	return c
}

// runWorker carries out `autodidact worker`.
func runWorker(o workerOptions, stdout io.Writer) error {
	if o.nats.url == "" {
		return usagef("worker: --nats URL is required")
	}
	if o.maxCells < 0 {
		return fmt.Errorf("worker: --max-cells %d: want 0 or more", o.maxCells)
	}
	work := o.work
	if work == "" {
		dir, err := os.MkdirTemp("", "autodidact-worker-")
		if err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, js, err := cluster.Connect(o.nats.url, o.nats.conn("autodidact worker"))
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer nc.Close()
	if o.rollout != "" {
		err := cluster.ServeRollouts(ctx, js, o.rollout, cluster.RolloutWorkerOptions{Name: o.name, AckWait: o.nats.ackWait, Log: stdout})
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	err = cluster.Work(ctx, js, cluster.WorkerOptions{WorkDir: work, AckWait: o.nats.ackWait, Name: o.name, Log: stdout,
		IdleExit: o.idleExit, MaxCells: o.maxCells})
	if ctx.Err() != nil {
		return nil // interrupted: a running cell was handed back
	}
	return err
}

// localWorkers starts n `autodidact worker` processes against url; stop
// ends them (SIGTERM, then SIGKILL after a grace period) and waits.
func localWorkers(n int, url string, nf natsFlags, log io.Writer) (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("compare: cannot find this binary to start workers: %w", err)
	}
	work, err := os.MkdirTemp("", "autodidact-workers-")
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	var cmds []*exec.Cmd
	stop = func() {
		stopProcesses(cmds)
		os.RemoveAll(work)
	}
	for i := 0; i < n; i++ {
		args := append([]string{"worker", "--work", work, "--name", "local-" + strconv.Itoa(i+1)}, nf.args(url)...)
		c := exec.Command(exe, args...)
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("compare: start worker: %w", err)
		}
		cmds = append(cmds, c)
	}
	return stop, nil
}

// stopProcesses sends SIGTERM to every started worker process, then waits
// for each, killing one that has not exited 10 seconds later.
func stopProcesses(cmds []*exec.Cmd) {
	for _, c := range cmds {
		c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
		}
	}
}
