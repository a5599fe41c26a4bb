package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
)

// The protocol of a distributed sweep. Every sweep shares two streams:
// CellsStream, a work-queue stream of jobs (one message per cell, subject
// CellsSubject.SWEEP) read by the durable consumer WorkersConsumer that all
// workers share, and DoneStream, where a worker reports a cell finished
// (DoneSubject.SWEEP). Each sweep has its own object store (Bucket) holding
// its cells' run directories (store.go).
const (
	CellsStream     = "AUTODIDACT_CELLS"
	CellsSubject    = "autodidact.cells"
	DoneStream      = "AUTODIDACT_DONE"
	DoneSubject     = "autodidact.done"
	WorkersConsumer = "workers"
	// DefaultAckWait is how long a cell stays with a worker that stops
	// reporting progress before it is redelivered to another.
	DefaultAckWait = 30 * time.Second
)

// Bucket is the object store of a sweep's run directories.
func Bucket(sweep string) string { return "autodidact-sweep-" + sweep }

// job is a cell on the work queue.
type job struct {
	Sweep  string `json:"sweep"`
	Cell   string `json:"cell"`   // the cell's directory name in the compare directory
	Recipe string `json:"recipe"` // the resolved recipe (YAML), thread count included
	Nonce  string `json:"nonce"`  // the coordinator's invocation that published it
}

// doneMsg reports a cell finished (Error empty: its snapshot in the object
// store is Done) or failed.
type doneMsg struct {
	Sweep  string `json:"sweep"`
	Cell   string `json:"cell"`
	Nonce  string `json:"nonce"`
	Error  string `json:"error,omitempty"`
	Worker string `json:"worker"`
}

// Setup creates (or updates) the shared streams and the workers' consumer,
// whose AckWait is ackWait (0: DefaultAckWait). Coordinators and workers
// both call it, so either may start first.
func Setup(ctx context.Context, js jetstream.JetStream, ackWait time.Duration) (jetstream.Consumer, error) {
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: CellsStream, Description: "autodidact sweep cells (work queue)", Subjects: []string{CellsSubject + ".*"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
	}); err != nil {
		return nil, fmt.Errorf("nats stream %s: %w", CellsStream, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: DoneStream, Description: "autodidact sweep cells finished", Subjects: []string{DoneSubject + ".*"},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage, MaxAge: 7 * 24 * time.Hour, Duplicates: 2 * time.Minute,
	}); err != nil {
		return nil, fmt.Errorf("nats stream %s: %w", DoneStream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, CellsStream, jetstream.ConsumerConfig{
		Durable: WorkersConsumer, Description: "autodidact workers", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: ackWait, MaxDeliver: -1, FilterSubject: CellsSubject + ".*",
	})
	if err != nil {
		return nil, fmt.Errorf("nats consumer %s: %w", WorkersConsumer, err)
	}
	return cons, nil
}

// SweepOptions say how a coordinator runs a grid over NATS.
type SweepOptions struct {
	Threads int           // threads per cell (0: the recipe's setting)
	AckWait time.Duration // the workers' consumer's AckWait (0: DefaultAckWait)
	Log     io.Writer
	// Keep leaves the sweep's object store and done messages in place
	// after a sweep whose cells all finished (default: deleted).
	Keep bool
}

// SweepID names the sweep of a grid run into the compare directory out:
// the same arguments give the same ID, so a coordinator started again
// picks up its cells' uploaded checkpoints and finished runs.
func SweepID(g compare.Grid, out string) (string, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	cells, err := compare.Plan(g)
	if err != nil {
		return "", err
	}
	host, _ := os.Hostname()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%t\x00", host, abs, g.Smoke)
	for _, c := range cells {
		fmt.Fprintf(h, "%s\x00", c.Dir)
	}
	for _, s := range g.Sets {
		fmt.Fprintf(h, "%s\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// Sweep runs the grid g over NATS: each cell a job on CellsStream, run by
// whichever worker takes it (Work), its run directory downloaded from the
// sweep's object store into out when it finishes. The compare directory
// is then the one compare.Execute writes for a local run (cells, their
// run directories, compare.json, compare.md, plots); cells already
// finished in out are skipped as in a local run. Pretraining is shared by
// each worker's own cache (results unchanged, bit for bit).
func Sweep(ctx context.Context, js jetstream.JetStream, g compare.Grid, out string, o SweepOptions) (*compare.Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	cells, err := compare.Plan(g)
	if err != nil {
		return nil, err
	}
	id, err := SweepID(g, out)
	if err != nil {
		return nil, err
	}
	if _, err := Setup(ctx, js, o.AckWait); err != nil {
		return nil, err
	}
	store, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Bucket(id),
		Description: "autodidact sweep run directories", Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("nats object store %s: %w", Bucket(id), err)
	}
	c := &coordinator{js: js, store: store, id: id, nonce: newNonce(), waiting: map[string]chan doneMsg{}}
	for _, cell := range cells {
		c.waiting[cell.Dir] = make(chan doneMsg, 1)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	listening := make(chan error, 1)
	go func() { listening <- c.listen(lctx) }()
	fmt.Fprintf(o.Log, "compare: sweep %s over NATS: %d cells on %s.%s, run directories in object store %s\n",
		id, len(cells), CellsSubject, id, Bucket(id))
	res, err := compare.Execute(g, out, compare.Options{Parallel: len(cells), Threads: o.Threads, Log: o.Log,
		Run: func(cell *compare.Cell, r *run.Recipe, dir string, _ bool, threads int, log io.Writer) error {
			return c.runCell(ctx, cell, r, dir, threads, log)
		}})
	cancel()
	if lerr := <-listening; lerr != nil && !errors.Is(lerr, context.Canceled) && err == nil {
		err = lerr
	}
	if err != nil {
		return res, err
	}
	if !o.Keep && allDone(res) {
		c.cleanUp(ctx)
	}
	return res, nil
}

func allDone(res *compare.Result) bool {
	for _, c := range res.Cells {
		if c.Status != compare.StatusDone {
			return false
		}
	}
	return true
}

func newNonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// coordinator is one invocation of Sweep.
type coordinator struct {
	js      jetstream.JetStream
	store   jetstream.ObjectStore
	id      string
	nonce   string
	mu      sync.Mutex
	waiting map[string]chan doneMsg // by cell; each receives its first accepted report
}

// listen reads the sweep's done reports from the start of DoneStream and
// hands each cell its first report that counts: a success from any
// invocation, or a failure of a job this invocation published (a failure
// recorded by an earlier invocation is retried). An ordered consumer
// recreates itself after a server restart and skips nothing.
func (c *coordinator) listen(ctx context.Context) error {
	for {
		cons, err := c.js.OrderedConsumer(ctx, DoneStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{DoneSubject + "." + c.id}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(500 * time.Millisecond)
			continue
		}
		it, err := cons.Messages()
		if err != nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		go func() { <-ctx.Done(); it.Stop() }()
		for {
			msg, err := it.Next()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					break
				}
				continue // a missed heartbeat while the server is away: the iterator recovers
			}
			var d doneMsg
			if json.Unmarshal(msg.Data(), &d) != nil || d.Sweep != c.id {
				continue
			}
			if d.Error != "" && d.Nonce != c.nonce {
				continue
			}
			c.mu.Lock()
			ch := c.waiting[d.Cell]
			c.mu.Unlock()
			if ch != nil {
				select {
				case ch <- d:
				default: // a duplicate report
				}
			}
		}
	}
}

// runCell is the compare.Runner of a distributed cell: publish the job
// (unless the object store holds the finished run already), wait for its
// report, download the run directory into dir.
func (c *coordinator) runCell(ctx context.Context, cell *compare.Cell, r *run.Recipe, dir string, threads int, log io.Writer) error {
	c.mu.Lock()
	ch := c.waiting[cell.Dir]
	c.mu.Unlock()
	if ch == nil {
		return fmt.Errorf("cluster: cell %s is not in the sweep", cell.Dir)
	}
	m, err := retry(ctx, func() (*manifest, error) { return readManifest(ctx, c.store, cell.Dir) })
	if err != nil {
		return err
	}
	if m == nil || !m.Done {
		rc := *r
		if threads > 0 {
			rc.Threads = threads
		}
		b, _ := json.Marshal(job{Sweep: c.id, Cell: cell.Dir, Recipe: string(rc.YAML()), Nonce: c.nonce})
		if _, err := retry(ctx, func() (*jetstream.PubAck, error) {
			return c.js.Publish(ctx, CellsSubject+"."+c.id, b, jetstream.WithMsgID(c.id+"."+cell.Dir+"."+c.nonce))
		}); err != nil {
			return fmt.Errorf("cluster: publish cell %s: %w", cell.Dir, err)
		}
		var d doneMsg
		select {
		case d = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if d.Error != "" {
			return fmt.Errorf("worker %s: %s", d.Worker, d.Error)
		}
		if m, err = retry(ctx, func() (*manifest, error) { return readManifest(ctx, c.store, cell.Dir) }); err != nil {
			return err
		}
		if m == nil || !m.Done {
			return fmt.Errorf("cluster: cell %s reported finished but its object store snapshot is not", cell.Dir)
		}
		fmt.Fprintf(log, "cluster: run by worker %s\n", d.Worker)
	}
	if _, err := retry(ctx, func() (struct{}, error) { return struct{}{}, downloadInto(ctx, c.store, cell.Dir, m, dir) }); err != nil {
		return fmt.Errorf("cluster: download cell %s: %w", cell.Dir, err)
	}
	if b, err := getBlob(ctx, c.store, logName(cell.Dir)); err == nil {
		log.Write(b)
	}
	return nil
}

// cleanUp deletes the sweep's object store and done reports.
func (c *coordinator) cleanUp(ctx context.Context) {
	c.js.DeleteObjectStore(ctx, Bucket(c.id))
	if s, err := c.js.Stream(ctx, DoneStream); err == nil {
		s.Purge(ctx, jetstream.WithPurgeSubject(DoneSubject+"."+c.id))
	}
}

// retry calls f until it succeeds, ctx ends or ten minutes of failures
// pass (a server restarting, a connection re-established).
func retry[T any](ctx context.Context, f func() (T, error)) (T, error) {
	deadline := time.Now().Add(10 * time.Minute)
	wait := 100 * time.Millisecond
	for {
		v, err := f()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return v, ctx.Err()
		}
		wait = min(2*wait, 2*time.Second)
	}
}
