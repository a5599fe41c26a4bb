package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
)

// Environment of the test binary run as a worker process (TestMain).
const (
	envWorkerURL  = "AUTODIDACT_TEST_WORKER_URL"
	envWorkerDir  = "AUTODIDACT_TEST_WORKER_DIR"
	envWorkerName = "AUTODIDACT_TEST_WORKER_NAME"
	envStallAt    = "AUTODIDACT_TEST_WORKER_STALL_AT" // stall after the first upload at or past this global step
	testAckWait   = 3 * time.Second
)

// TestMain runs the test binary as a worker process when envWorkerURL is
// set, so tests can SIGKILL real worker processes.
func TestMain(m *testing.M) {
	if url := os.Getenv(envWorkerURL); url != "" {
		os.Exit(workerMain(url))
	}
	code := m.Run()
	for _, d := range []string{refDir, cacheDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

func workerMain(url string) int {
	if s := os.Getenv(envStallAt); s != "" {
		var at int
		fmt.Sscan(s, &at)
		var once sync.Once
		testHookUploaded = func(cell string, step int, done bool) {
			if !done && step >= at {
				once.Do(func() {
					fmt.Printf("STALLED %s %d\n", cell, step)
					select {} // hold the cell without progress until killed
				})
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	nc, js, err := Connect(url, ConnOptions{Name: "test worker"})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer nc.Close()
	err = Work(ctx, js, WorkerOptions{WorkDir: os.Getenv(envWorkerDir), AckWait: testAckWait, Name: os.Getenv(envWorkerName), Log: os.Stdout})
	if err != nil && ctx.Err() == nil {
		fmt.Println(err)
		return 1
	}
	return 0
}

// proc is a worker process and its output lines.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   bytes.Buffer
	lines chan string
	done  chan struct{}
}

func startWorker(t *testing.T, url, name string, stallAt int) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorkerURL+"="+url, envWorkerDir+"="+t.TempDir(), envWorkerName+"="+name)
	if stallAt > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", envStallAt, stallAt))
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitLine waits for a line starting with prefix.
func (p *proc) waitLine(t *testing.T, prefix string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case l := <-p.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-p.done:
			t.Fatalf("worker exited before %q:\n%s", prefix, p.output())
		case <-deadline:
			t.Fatalf("no %q within %s:\n%s", prefix, limit, p.output())
		}
	}
}

// testGrid is six smoke cells: two recipes with pretraining shared
// between them, three seeds.
func testGrid() compare.Grid {
	return compare.Grid{Recipes: []string{"grpo", "dr_grpo"}, Seeds: []uint64{1, 2, 3}, Smoke: true}
}

// The local reference of testGrid, run once for all tests.
var (
	refOnce sync.Once
	refDir  string
	refErr  error
)

// localReference runs testGrid in this process, as `autodidact compare`
// does, once per test binary.
func localReference(t *testing.T) string {
	t.Helper()
	refOnce.Do(func() {
		if refDir, refErr = os.MkdirTemp("", "autodidact-cluster-ref-"); refErr != nil {
			return
		}
		var res *compare.Result
		if res, refErr = compare.Execute(testGrid(), refDir, compare.Options{SharePretraining: true}); refErr != nil {
			return
		}
		for _, c := range res.Cells {
			if c.Status != compare.StatusDone {
				refErr = fmt.Errorf("local cell %s: %s %s", c.Dir, c.Status, c.Error)
			}
		}
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refDir
}

// withoutTiming decodes JSON and drops the fields that measure time.
func withoutTiming(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, "time") || strings.HasSuffix(k, "_per_s") || strings.HasSuffix(k, "seconds") || strings.HasPrefix(k, "rl_time") {
					delete(x, k)
					continue
				}
				x[k] = strip(e)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	return strip(v)
}

// sameAsLocal checks a distributed compare directory against a local one:
// compare.json equal but for timing fields, and every cell's metrics and
// samples line for line, its final checkpoint byte for byte.
func sameAsLocal(t *testing.T, dist, local string, cells int) {
	t.Helper()
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if a, b := withoutTiming(t, read(dist, compare.JSONFile)), withoutTiming(t, read(local, compare.JSONFile)); !reflect.DeepEqual(a, b) {
		t.Fatalf("compare.json differs from the local run's:\n%s\nlocal:\n%s", read(dist, compare.JSONFile), read(local, compare.JSONFile))
	}
	res, err := compare.ReadResult(dist)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != cells {
		t.Fatalf("%d cells in compare.json, want %d", len(res.Cells), cells)
	}
	seen := map[string]bool{}
	for _, c := range res.Cells {
		if seen[c.Dir] || c.Status != compare.StatusDone {
			t.Fatalf("cell %s: status %s, seen before %v", c.Dir, c.Status, seen[c.Dir])
		}
		seen[c.Dir] = true
		for _, f := range []string{run.MetricsFile, run.SamplesFile} {
			a := strings.Split(strings.TrimSpace(string(read(filepath.Join(dist, c.Dir), f))), "\n")
			b := strings.Split(strings.TrimSpace(string(read(filepath.Join(local, c.Dir), f))), "\n")
			if len(a) != len(b) {
				t.Fatalf("%s/%s: %d lines, the local run has %d", c.Dir, f, len(a), len(b))
			}
			for i := range a {
				if !reflect.DeepEqual(withoutTiming(t, []byte(a[i])), withoutTiming(t, []byte(b[i]))) {
					t.Fatalf("%s/%s line %d differs:\n%s\nlocal:\n%s", c.Dir, f, i+1, a[i], b[i])
				}
			}
		}
		ck := filepath.Join(c.Dir, run.CheckpointDir, "latest")
		step := strings.TrimSpace(string(read(dist, ck)))
		if step != strings.TrimSpace(string(read(local, ck))) {
			t.Fatalf("%s: latest checkpoint %s, local %s", c.Dir, step, read(local, ck))
		}
		w := filepath.Join(c.Dir, run.CheckpointDir, step, "model.safetensors")
		if !bytes.Equal(read(dist, w), read(local, w)) {
			t.Fatalf("%s: final weights differ from the local run's", w)
		}
	}
}

// reports counts the done reports per cell of a sweep.
func reports(t *testing.T, js jetstream.JetStream, g compare.Grid, out string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := SweepID(g, out)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(ctx, DoneStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{DoneSubject + "." + id}})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	batch, err := cons.FetchNoWait(1000)
	if err != nil {
		t.Fatal(err)
	}
	for msg := range batch.Messages() {
		var d doneMsg
		json.Unmarshal(msg.Data(), &d)
		n[d.Cell]++
	}
	return n
}

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, js, err := Connect(url, ConnOptions{Name: "test coordinator"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

// TestSweepWorkerKilled: a 6-cell sweep over an embedded server with two
// worker processes, one SIGKILLed in the middle of a cell after it
// uploaded a checkpoint; the other resumes that cell when its AckWait
// passes. The compare directory equals a local compare of the grid.
func TestSweepWorkerKilled(t *testing.T) {
	g := testGrid()
	local := localReference(t)
	srv, err := StartServer(ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := Setup(ctx, js, testAckWait); err != nil {
		t.Fatal(err)
	}
	victim := startWorker(t, srv.URL(), "victim", 10) // stalls at the pretraining checkpoint of step 10
	out := t.TempDir()
	var log lockedBuffer
	type result struct {
		res *compare.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Sweep(ctx, js, g, out, SweepOptions{AckWait: testAckWait, Log: &log, Keep: true})
		done <- result{res, err}
	}()
	stalled := victim.waitLine(t, "STALLED ", time.Minute)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killedCell := strings.Fields(stalled)[1]
	survivor := startWorker(t, srv.URL(), "survivor", 0)
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatalf("sweep not finished:\n%s\nsurvivor:\n%s", log.String(), survivor.output())
	}
	if r.err != nil {
		t.Fatalf("sweep: %v\n%s", r.err, log.String())
	}
	sameAsLocal(t, out, local, 6)
	if !strings.Contains(survivor.output(), "cell "+killedCell+": resuming from its snapshot at global step 10") {
		t.Errorf("the killed cell %s was not resumed from its step-10 snapshot:\n%s", killedCell, survivor.output())
	}
	for cell, n := range reports(t, js, g, out) {
		if n != 1 {
			t.Errorf("cell %s reported %d times, want once", cell, n)
		}
	}
}

// TestSweepServerRestart: JetStream (file storage in a temporary
// directory) is shut down and restarted on the same port and storage
// while a sweep runs; the sweep completes with every cell once and the
// compare directory equals a local compare of the grid.
func TestSweepServerRestart(t *testing.T) {
	g := testGrid()
	local := localReference(t)
	store := t.TempDir()
	srv, err := StartServer(ServerOptions{StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	port := srv.Port()
	defer func() { srv.Shutdown() }()
	js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := Setup(ctx, js, testAckWait); err != nil {
		t.Fatal(err)
	}
	w1 := startWorker(t, srv.URL(), "w1", 0)
	w2 := startWorker(t, srv.URL(), "w2", 0)
	out := t.TempDir()
	var log lockedBuffer
	done := make(chan error, 1)
	go func() {
		_, err := Sweep(ctx, js, g, out, SweepOptions{AckWait: testAckWait, Log: &log, Keep: true})
		done <- err
	}()
	// Restart once the first cell is done, the others queued or running.
	first := make(chan struct{})
	go func() {
		for {
			select {
			case l := <-w1.lines:
				if strings.HasSuffix(l, " done") {
					close(first)
					return
				}
			case l := <-w2.lines:
				if strings.HasSuffix(l, " done") {
					close(first)
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	select {
	case <-first:
	case <-ctx.Done():
		t.Fatalf("no cell finished:\n%s", log.String())
	}
	srv.Shutdown()
	time.Sleep(500 * time.Millisecond)
	if srv, err = StartServer(ServerOptions{StoreDir: store, Port: port}); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-ctx.Done():
		t.Fatalf("sweep not finished after the restart:\n%s\nw1:\n%s\nw2:\n%s", log.String(), w1.output(), w2.output())
	}
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, log.String())
	}
	sameAsLocal(t, out, local, 6)
	n := reports(t, js, g, out)
	if len(n) != 6 {
		t.Errorf("reports for %d cells, want 6: %v", len(n), n)
	}
	st, err := js.Stream(ctx, CellsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d cells left on the work queue, want 0", info.State.Msgs)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
