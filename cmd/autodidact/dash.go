package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/autodidact-rl/autodidact/dash"
)

// runDash serves the read-only web dashboard over run directories:
// autodidact dash [--addr 127.0.0.1:8080] DIR...
func runDash(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", dash.DefaultAddr, "listen address (loopback by default: the runs are served to whoever can connect)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: autodidact dash [--addr 127.0.0.1:8080] DIR...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		fs.Usage()
		return errors.New("dash: give at least one run directory or a parent of run directories")
	}
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("dash: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("dash: %s is not a directory", d)
		}
	}
	ln, err := net.Listen("tcp", *addr)
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
