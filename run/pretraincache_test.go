package run

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPretrainCacheKeepsResults pretrains grpo's tiny configuration into
// a cache, then runs other recipes with the same pretraining from it: each
// must load the cached model and still write exactly the metrics of the
// same recipe run without the cache, and a recipe whose
// pretraining differs must not load it.
func TestPretrainCacheKeepsResults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs")
	}
	cache := t.TempDir()
	runCached := func(name string, mutate func(*Recipe)) (string, string) {
		t.Helper()
		r := tinyRecipe(t, name)
		if mutate != nil {
			mutate(r)
		}
		dir := t.TempDir()
		var log bytes.Buffer
		if _, err := RunWith(r, dir, false, &log, Options{PretrainCache: cache}); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, log.String())
		}
		return dir, log.String()
	}
	_, log := runCached("grpo", nil)
	if !strings.Contains(log, "stored in the cache") {
		t.Fatalf("grpo did not store its pretrained model:\n%s", log)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("cache holds %d entries, want 1", len(entries))
	}
	for _, name := range []string{"grpo", "nsr", "drpo", "laser"} {
		dir, log := runCached(name, nil)
		if !strings.Contains(log, "loaded from the cache") {
			t.Fatalf("%s did not load the cached model:\n%s", name, log)
		}
		got := normalizedMetrics(t, dir)
		plain := t.TempDir()
		var plainLog bytes.Buffer
		if _, err := Run(tinyRecipe(t, name), plain, false, &plainLog); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, plainLog.String())
		}
		want := normalizedMetrics(t, plain)
		if len(got) != len(want) {
			t.Fatalf("%s: %d metrics lines from the cache, %d without it", name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: metrics line %d differs from the uncached run's:\ngot  %s\nwant %s", name, i+1, got[i], want[i])
			}
		}
		// The run checkpointed the loaded model, so it resumes without the cache.
		if _, err := os.Stat(filepath.Join(dir, CheckpointDir)); err != nil {
			t.Fatal(err)
		}
	}
	_, log = runCached("grpo", func(r *Recipe) { r.Seed = 7 })
	if strings.Contains(log, "loaded from the cache") {
		t.Fatal("a run with another seed loaded the cached model")
	}
	_, log = runCached("two_turn", nil)
	if strings.Contains(log, "loaded from the cache") {
		t.Fatal("a run with another environment (other demonstrations) loaded the cached model")
	}
}

// TestPretrainKey: settings that shape pretraining change the key; RL,
// evaluation and method settings do not.
func TestPretrainKey(t *testing.T) {
	base := tinyRecipe(t, "grpo")
	key := base.PretrainKey()
	for _, tc := range []struct {
		set  string
		same bool
	}{
		{"rl.lr=0.5", true}, {"eval.temperature=0.5", true}, {"siren.coef=0.1", true}, {"name=other", true},
		{"seed=9", false}, {"pretrain.lr=0.1", false}, {"task.params.max_digits=3", false},
		{"model.hidden_size=48", false}, {"sft.steps=3", false}, {"env.name=two_turn", false},
	} {
		r := tinyRecipe(t, "grpo")
		if err := r.Set([]string{tc.set}); err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		if got := r.PretrainKey() == key; got != tc.same {
			t.Errorf("--set %s: key unchanged = %v, want %v", tc.set, got, tc.same)
		}
	}
}
