package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/dash"
)

// newDashCmd is `autodidact dash [--addr 127.0.0.1:8080] DIR...`: the
// read-only web dashboard over run directories.
func newDashCmd() *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:     "dash DIR... [flags]",
		Short:   "a local web dashboard of runs: curves, pass@k, episodes, control rollouts",
		Example: "  autodidact dash runs\n  autodidact dash --addr 127.0.0.1:9000 runs/a runs/b",
		Args:    needArgs(1, "give at least one run directory or a parent of run directories"),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			return runDash(addr, dirs, cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&addr, "addr", dash.DefaultAddr, "listen address (loopback by default: the runs are served to whoever can connect)")
	return c
}

// runDash checks the directories, listens on addr and serves until
// interrupted.
func runDash(addr string, dirs []string, stdout io.Writer) error {
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("dash: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("dash: %s is not a directory", d)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("dash: %w", err)
	}
	srv := &http.Server{Handler: dash.New(dirs), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "dash: serving %d director%s at http://%s/ (Ctrl-C stops)\n", len(dirs), map[bool]string{true: "y", false: "ies"}[len(dirs) == 1], ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dash: %w", err)
	}
	return nil
}
