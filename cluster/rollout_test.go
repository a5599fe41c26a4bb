package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/run"
)

// rolloutRecipe is a smoke recipe whose RL steps learn (non-zero rewards
// and gradients), so equal runs mean equal updates, not idle ones.
func rolloutRecipe(t *testing.T, sets ...string) *run.Recipe {
	t.Helper()
	r, err := run.LoadRecipe("grpo")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Smoke(); err != nil {
		t.Fatal(err)
	}
	sets = append([]string{"pretrain.steps=150", "model.hidden_size=64", "task.params={min_digits: 1, max_digits: 1}"}, sets...)
	if err := r.Set(sets); err != nil {
		t.Fatal(err)
	}
	return r
}

// runWithWorker runs r with one in-process rollout worker over an
// embedded server and returns the run directory and the learner.
func runWithWorker(t *testing.T, r *run.Recipe, o LearnerOptions, workers int) (string, *Learner) {
	t.Helper()
	srv, err := StartServer(ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := NewLearner(ctx, js, "test", r, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, workers)
	for i := 0; i < workers; i++ {
		go func() { done <- ServeRollouts(wctx, js, "test", RolloutWorkerOptions{Log: io.Discard}) }()
	}
	dir := filepath.Join(t.TempDir(), "run")
	_, err = run.RunWith(r, dir, false, io.Discard, run.Options{Rollouts: l, PretrainCache: pretrainCache(t)})
	stop()
	for i := 0; i < workers; i++ {
		if werr := <-done; werr != nil {
			t.Errorf("worker: %v", werr)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir, l
}

// pretrainCache is shared by the rollout tests: their recipes pretrain
// alike, and a cached model is bit for bit the one a run would train.
func pretrainCache(t *testing.T) string {
	t.Helper()
	cacheOnce.Do(func() { cacheDir, cacheErr = os.MkdirTemp("", "autodidact-cluster-pretrained-") })
	if cacheErr != nil {
		t.Fatal(cacheErr)
	}
	return cacheDir
}

var (
	cacheOnce sync.Once
	cacheDir  string
	cacheErr  error
)

func rlLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, run.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		m := withoutTiming(t, []byte(l)).(map[string]any)
		if m["stage"] == "rl" {
			out = append(out, m)
		}
	}
	return out
}

// TestRolloutWorkerBitForBit: one rollout worker, staleness 0: the run's
// metrics, samples and final weights equal the single-process run's, bit
// for bit, on a configuration whose RL updates are not zero.
func TestRolloutWorkerBitForBit(t *testing.T) {
	r := rolloutRecipe(t)
	local := filepath.Join(t.TempDir(), "local")
	if _, err := run.RunWith(r, local, false, io.Discard, run.Options{PretrainCache: pretrainCache(t)}); err != nil {
		t.Fatal(err)
	}
	dist, l := runWithWorker(t, rolloutRecipe(t), LearnerOptions{}, 1)
	if l.Requests != r.RL.Steps {
		t.Errorf("%d rollout requests, want one per RL step (%d)", l.Requests, r.RL.Steps)
	}
	a, b := rlLines(t, dist), rlLines(t, local)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("RL metrics differ:\n%v\nlocal:\n%v", a, b)
	}
	learned := false
	for _, m := range b {
		if g, _ := m["grad_norm"].(float64); g > 0 {
			learned = true
		}
	}
	if !learned {
		t.Fatal("the reference run took no non-zero update; the comparison would prove nothing")
	}
	for _, f := range []string{run.MetricsFile, run.SamplesFile, run.SummaryFile} {
		x, _ := os.ReadFile(filepath.Join(dist, f))
		y, _ := os.ReadFile(filepath.Join(local, f))
		if f == run.SamplesFile && !bytes.Equal(x, y) {
			t.Errorf("%s differs", f)
		}
		if f == run.SummaryFile && !reflect.DeepEqual(withoutTiming(t, x), withoutTiming(t, y)) {
			t.Errorf("%s differs:\n%s\nlocal:\n%s", f, x, y)
		}
	}
	ck := func(dir string) []byte {
		latest, err := os.ReadFile(filepath.Join(dir, run.CheckpointDir, "latest"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.ReadFile(filepath.Join(dir, run.CheckpointDir, strings.TrimSpace(string(latest)), "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if !bytes.Equal(ck(dist), ck(local)) {
		t.Error("final weights differ from the single-process run's")
	}
}

// TestRolloutAsync: rl.staleness 1 with two workers: every batch lags by
// at most one update, lagging batches carry the truncated importance
// weights (tis) or are sampled again (drop: every batch used has lag 0).
func TestRolloutAsync(t *testing.T) {
	for _, tc := range []struct{ mode string }{{"tis"}, {"drop"}} {
		t.Run(tc.mode, func(t *testing.T) {
			r := rolloutRecipe(t, "rl.staleness=1", "rl.off_policy="+tc.mode, "rl.steps=6")
			dir, l := runWithWorker(t, r, LearnerOptions{}, 2)
			lines := rlLines(t, dir)
			if len(lines) != 6 {
				t.Fatalf("%d RL lines, want 6", len(lines))
			}
			dropped := 0.0
			for _, m := range lines {
				lag, ok := m["rollout_staleness"].(float64)
				if !ok || lag < 0 || lag > 1 {
					t.Fatalf("step %v: rollout_staleness %v, want 0 or 1", m["step"], m["rollout_staleness"])
				}
				_, tis := m["tis_weight"]
				if tc.mode == "drop" && (lag != 0 || tis) {
					t.Errorf("drop: step %v used a batch of lag %v (tis %v)", m["step"], lag, tis)
				}
				if tc.mode == "tis" && tis != (lag == 1) {
					t.Errorf("tis: step %v lag %v, tis_weight present %v", m["step"], lag, tis)
				}
				if w, ok := m["tis_weight"].(float64); ok && (w <= 0 || w > 2) {
					t.Errorf("step %v: mean tis weight %v outside (0, 2]", m["step"], w)
				}
				dropped += m["rollout_dropped"].(float64)
			}
			if want := 6 + int(dropped); l.Requests != want {
				t.Errorf("%d requests answered, want %d (one per step plus %v re-sampled)", l.Requests, want, dropped)
			}
			b, _ := json.Marshal(lines)
			t.Logf("%s", b)
		})
	}
}
