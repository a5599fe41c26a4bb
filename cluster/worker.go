package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/autodidact-rl/autodidact/run"
)

// WorkerOptions configure a worker process.
type WorkerOptions struct {
	// WorkDir holds the worker's cells while they run (removed when
	// uploaded) and its pretraining cache (kept: cells of later sweeps
	// with the same pretraining load it).
	WorkDir string
	AckWait time.Duration // the consumer's AckWait, as the coordinator's (0: DefaultAckWait)
	Name    string        // how reports name this worker (default host:pid)
	Log     io.Writer
	// IdleExit makes Work return after that long without a cell (0: never).
	IdleExit time.Duration
	// MaxCells makes Work return after that many cells (0: no limit).
	MaxCells int
}

// testHookUploaded, when set (by tests), is called after each snapshot a
// worker uploads.
var testHookUploaded func(cell string, step int, done bool)

// Work takes cells from the work queue one at a time and runs them until
// ctx ends (or IdleExit, MaxCells). For each cell it resumes from the
// newest snapshot in the sweep's object store, if any, and uploads a
// snapshot after every checkpoint and at the end; while the cell runs it
// tells the server it is in progress every AckWait/4, so a worker that
// dies stops doing so and the cell is redelivered after AckWait. A cell
// is acknowledged only after its finished run directory is uploaded and
// its report published. When ctx ends during a cell, Work returns at once
// and the cell is redelivered immediately; the run goes on in the
// background until the process exits, so end the process then.
func Work(ctx context.Context, js jetstream.JetStream, o WorkerOptions) error {
	if o.WorkDir == "" {
		return errors.New("cluster worker: no work directory")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	var cons jetstream.Consumer
	cons, err := retry(ctx, func() (jetstream.Consumer, error) { return Setup(ctx, js, o.AckWait) })
	if err != nil {
		return err
	}
	w := &worker{js: js, o: o}
	fmt.Fprintf(o.Log, "worker %s: waiting for cells on %s\n", o.Name, CellsStream)
	idleSince, done := time.Now(), 0
	for ctx.Err() == nil {
		if o.MaxCells > 0 && done >= o.MaxCells {
			return nil
		}
		if o.IdleExit > 0 && time.Since(idleSince) > o.IdleExit {
			fmt.Fprintf(o.Log, "worker %s: idle for %s, exiting\n", o.Name, o.IdleExit)
			return nil
		}
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			if c, err := js.Consumer(ctx, CellsStream, WorkersConsumer); err == nil {
				cons = c
			}
			continue
		}
		for msg := range batch.Messages() {
			if err := w.process(ctx, msg); err != nil {
				return err
			}
			done++
			idleSince = time.Now()
		}
	}
	return nil
}

// worker is the state of one Work call.
type worker struct {
	js jetstream.JetStream
	o  WorkerOptions
}

func (w *worker) logf(format string, args ...any) {
	fmt.Fprintf(w.o.Log, "worker %s: "+format, append([]any{w.o.Name}, args...)...)
}

// process runs one job message; it returns an error only when ctx ended.
func (w *worker) process(ctx context.Context, msg jetstream.Msg) error {
	var j job
	if err := json.Unmarshal(msg.Data(), &j); err != nil || j.Sweep == "" || j.Cell == "" {
		w.logf("dropping a malformed job (%v)\n", err)
		msg.Term()
		return nil
	}
	if _, ok := cleanRel(j.Cell); !ok || filepath.Base(j.Cell) != j.Cell {
		w.logf("dropping a job with a bad cell name %q\n", j.Cell)
		msg.Term()
		return nil
	}
	store, err := w.js.ObjectStore(ctx, Bucket(j.Sweep))
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		w.logf("sweep %s is gone (no object store): dropping cell %s\n", j.Sweep, j.Cell)
		msg.Term()
		return nil
	}
	if err != nil {
		w.logf("cell %s: %v; handing it back\n", j.Cell, err)
		msg.NakWithDelay(time.Second)
		return nil
	}
	// Keep the cell while it runs.
	hctx, stopHeartbeat := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Add(1)
	go func() {
		defer hb.Done()
		t := time.NewTicker(w.o.AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	defer func() { stopHeartbeat(); hb.Wait() }()

	type outcome struct {
		err    error
		report bool // publish a report and acknowledge
	}
	result := make(chan outcome, 1)
	go func() {
		report, err := w.runCell(ctx, store, j)
		result <- outcome{err, report}
	}()
	var out outcome
	select {
	case out = <-result:
	case <-ctx.Done():
		msg.Nak()
		return ctx.Err()
	}
	if !out.report {
		w.logf("cell %s: %v; handing it back\n", j.Cell, out.err)
		msg.NakWithDelay(time.Second)
		return nil
	}
	d := doneMsg{Sweep: j.Sweep, Cell: j.Cell, Nonce: j.Nonce, Worker: w.o.Name}
	if out.err != nil {
		d.Error = out.err.Error()
		w.logf("cell %s failed: %v\n", j.Cell, out.err)
	} else {
		w.logf("cell %s done\n", j.Cell)
	}
	b, _ := json.Marshal(d)
	id := j.Sweep + "." + j.Cell + "." + j.Nonce + ".done"
	if _, err := retry(ctx, func() (*jetstream.PubAck, error) {
		return w.js.Publish(ctx, DoneSubject+"."+j.Sweep, b, jetstream.WithMsgID(id))
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.logf("cell %s: report not published (%v); handing it back\n", j.Cell, err)
		msg.Nak()
		return nil
	}
	// A lost acknowledgement redelivers the cell; the next worker finds its
	// snapshot done and only reports it again (the coordinator keeps the first).
	for attempt := 0; attempt < 5 && ctx.Err() == nil; attempt++ {
		if msg.DoubleAck(ctx) == nil {
			break
		}
		time.Sleep(time.Second)
	}
	return nil
}

// runCell runs (or resumes) a job's cell in a local directory and uploads
// it. report is false when the cell should be handed back to the queue
// (the object store could not be read or written), true when it finished
// or failed for good (err).
func (w *worker) runCell(ctx context.Context, store jetstream.ObjectStore, j job) (report bool, err error) {
	m, err := readManifest(ctx, store, j.Cell)
	if err != nil {
		return false, err
	}
	if m != nil && m.Done {
		w.logf("cell %s: already finished (by %s)\n", j.Cell, m.By)
		return true, nil
	}
	base := filepath.Join(w.o.WorkDir, "cells", j.Sweep)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return false, err
	}
	dir := filepath.Join(base, j.Cell)
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	if m != nil {
		if err := download(ctx, store, j.Cell, m, dir); errNotFound(err) {
			// A blob the snapshot names is gone (see docs/cluster.md, known
			// limits): the snapshot is unusable, start the cell over.
			w.logf("cell %s: its snapshot is incomplete (%v); starting it over\n", j.Cell, err)
			if err := os.RemoveAll(dir); err != nil {
				return false, err
			}
			m = nil
		} else if err != nil {
			return false, err
		}
	}
	var r *run.Recipe
	resume := m != nil
	if resume {
		if r, err = run.LoadRecipe(filepath.Join(dir, run.ConfigFile)); err != nil {
			return true, err
		}
		w.logf("cell %s: resuming from its snapshot at global step %d (by %s)\n", j.Cell, m.Step, m.By)
	} else {
		path := filepath.Join(base, j.Cell+".recipe.yaml")
		if err := os.WriteFile(path, []byte(j.Recipe), 0o644); err != nil {
			return false, err
		}
		r, err = run.LoadRecipe(path)
		os.Remove(path)
		if err != nil {
			return true, fmt.Errorf("the job's recipe: %w", err)
		}
		w.logf("cell %s: running\n", j.Cell)
	}
	defer os.RemoveAll(dir)
	logPath := dir + ".log"
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return false, err
	}
	defer func() { lf.Close(); os.Remove(logPath) }()
	up := newUploader(store, j.Cell, dir, w.o.Name)
	if m != nil {
		for _, sum := range m.Files {
			up.have[sum] = true
		}
	}
	opts := run.Options{PretrainCache: filepath.Join(w.o.WorkDir, "pretrained"), Checkpointed: func(step int) {
		if err := up.upload(ctx, step, false); err != nil {
			fmt.Fprintf(lf, "cluster: snapshot at global step %d not uploaded (%v); the next checkpoint tries again\n", step, err)
			return
		}
		if testHookUploaded != nil {
			testHookUploaded(j.Cell, step, false)
		}
	}}
	if _, err := run.RunWith(r, dir, resume, lf, opts); err != nil {
		var locked *run.LockedError
		return !errors.As(err, &locked), err
	}
	if _, err := retry(ctx, func() (struct{}, error) { return struct{}{}, up.upload(ctx, -1, true) }); err != nil {
		return false, err
	}
	if b, err := os.ReadFile(logPath); err == nil {
		retry(ctx, func() (*jetstream.ObjectInfo, error) { return store.PutBytes(ctx, logName(j.Cell), b) })
	}
	if testHookUploaded != nil {
		testHookUploaded(j.Cell, -1, true)
	}
	return true, nil
}
