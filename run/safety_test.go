package run

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/recipes"
)

// sameMetrics fails unless two run directories hold the same metrics
// (timing fields aside).
func sameMetrics(t *testing.T, wantDir, gotDir string) {
	t.Helper()
	want, got := normalizedMetrics(t, wantDir), normalizedMetrics(t, gotDir)
	if len(want) != len(got) {
		t.Fatalf("%d metrics lines, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("metrics line %d differs:\n%s\n%s", i+1, want[i], got[i])
		}
	}
}

func TestFreshRunRefusesADirectoryWithFiles(t *testing.T) {
	for _, name := range []string{ConfigFile, MetricsFile, SummaryFile, "notes.txt", "config.json"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte("mine\n"), 0o644)
		var log bytes.Buffer
		_, err := Run(tinyRecipe(t, "grpo"), dir, false, &log)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v, want a refusal naming it", name, err)
		}
		if b, _ := os.ReadFile(path); string(b) != "mine\n" {
			t.Errorf("%s was overwritten", name)
		}
	}
	// An empty directory is fine (DefaultDir makes one).
	// So is one holding only compare's note of a failed attempt.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "failed.txt"), []byte("boom\n"), 0o644)
	if _, err := Run(tinyRecipe(t, "grpo"), dir, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := checkpoint.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	for _, resume := range []bool{false, true} {
		_, err := Run(tinyRecipe(t, "grpo"), dir, resume, &bytes.Buffer{})
		var le *LockedError
		if !errors.As(err, &le) || le.PID != os.Getpid() {
			t.Fatalf("resume %v: got %v, want a LockedError naming pid %d", resume, err, os.Getpid())
		}
	}
}

func TestDefaultDirIsUnique(t *testing.T) {
	root := filepath.Join(t.TempDir(), "runs")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		d, err := DefaultDir(root, "grpo")
		if err != nil {
			t.Fatal(err)
		}
		if seen[d] || !strings.HasPrefix(filepath.Base(d), "20") || !strings.Contains(filepath.Base(d), "-grpo") {
			t.Fatalf("DefaultDir = %s (seen before: %v)", d, seen[d])
		}
		seen[d] = true
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("%s was not created: %v", d, err)
		}
	}
	if _, err := DefaultDir(root, "../x"); err == nil {
		t.Fatal("a name with a path separator must be refused")
	}
}

func TestResumeRefusesLostCheckpoints(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(tinyRecipe(t, "grpo"), dir, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	os.RemoveAll(filepath.Join(dir, CheckpointDir))
	_, err := Run(tinyRecipe(t, "grpo"), dir, true, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "checkpoint") || !strings.Contains(err.Error(), MetricsFile) {
		t.Fatalf("got %v, want a refusal naming the missing checkpoints and %s", err, MetricsFile)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, MetricsFile)); !bytes.Equal(before, after) {
		t.Fatal("the refused resume changed metrics.jsonl")
	}
}

func TestResumeBeforeTheFirstCheckpoint(t *testing.T) {
	// A run killed before its first checkpoint wrote metrics lines that
	// a restart reproduces: resuming it starts over.
	ref, dir := t.TempDir(), t.TempDir()
	if _, err := Run(tinyRecipe(t, "grpo"), ref, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(ref, MetricsFile))
	first := strings.SplitAfter(string(data), "\n")[0] // pretrain step 1 (the first checkpoint is at step 2)
	os.WriteFile(filepath.Join(dir, ConfigFile), tinyRecipe(t, "grpo").YAML(), 0o644)
	os.WriteFile(filepath.Join(dir, MetricsFile), []byte(first+`{"stage":"pre`), 0o644)
	if _, err := Run(tinyRecipe(t, "grpo"), dir, true, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, ref, dir)
}

func TestResumeRefusesAChangedRecipe(t *testing.T) {
	dir := t.TempDir()
	r := tinyRecipe(t, "grpo")
	if err := r.Set([]string{"rl.steps=2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(r, dir, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	r2 := tinyRecipe(t, "grpo")
	if err := r2.Set([]string{"rl.steps=2", "rl.lr=0.5"}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(r2, dir, true, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "recipe") || !strings.Contains(err.Error(), ConfigFile) {
		t.Fatalf("got %v, want a refusal naming the changed recipe", err)
	}
	// The thread count is not part of what a checkpoint continues.
	r3 := tinyRecipe(t, "grpo")
	if err := r3.Set([]string{"rl.steps=2", "threads=1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(r3, dir, true, &bytes.Buffer{}); err != nil {
		t.Fatalf("resume with another thread count: %v", err)
	}
}

func TestResumeFallsBackFromACorruptCheckpoint(t *testing.T) {
	for _, method := range []string{"grpo", "ppo"} { // ppo: the critic's checkpoint must be there too
		t.Run(method, func(t *testing.T) {
			ref, dir := t.TempDir(), t.TempDir()
			if _, err := Run(tinyRecipe(t, method), ref, false, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Run(tinyRecipe(t, method), dir, false, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			latest, err := checkpoint.Latest(filepath.Join(dir, CheckpointDir))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(latest, checkpoint.ModelFile), []byte("torn"), 0o644)
			var log bytes.Buffer
			if _, err := Run(tinyRecipe(t, method), dir, true, &log); err != nil {
				t.Fatalf("resume: %v\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), filepath.Base(latest)) || !strings.Contains(log.String(), "falling back") {
				t.Fatalf("the log does not say it fell back from %s:\n%s", latest, log.String())
			}
			sameMetrics(t, ref, dir)
			a, _ := os.ReadFile(filepath.Join(ref, SamplesFile))
			b, _ := os.ReadFile(filepath.Join(dir, SamplesFile))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Fatalf("samples.jsonl differs after the fallback (%d and %d bytes)", len(a), len(b))
			}
		})
	}
}

func TestLinesAreWholeWhileTheRunIsAlive(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	w, err := openLines(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := 0; i < 3; i++ {
		if err := w.Write(map[string]any{"step": i, "pad": strings.Repeat("x", 100)}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path) // no Sync: what a reader of a live run sees
		if n := bytes.Count(data, []byte("\n")); n != i+1 || data[len(data)-1] != '\n' {
			t.Fatalf("after %d lines the file holds %d bytes, %d newlines", i+1, len(data), n)
		}
	}
}

func TestCheckpointsArePruned(t *testing.T) {
	dir := t.TempDir()
	r := tinyRecipe(t, "ppo") // a critic, checkpointed beside the policy
	if _, err := Run(r, dir, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	steps := func(root string) map[int]bool {
		dirs, _ := checkpoint.List(root)
		out := map[int]bool{}
		for _, d := range dirs {
			s, _ := checkpoint.StepOf(d)
			out[s] = true
		}
		return out
	}
	got := steps(filepath.Join(dir, CheckpointDir))
	end := r.Pretrain.Steps + r.SFT.Steps + r.RL.Steps
	// the last two, the end of pretraining, and the best evaluated one
	if len(got) > 2+2 || !got[end] || !got[end-r.CheckpointEvery] || !got[r.Pretrain.Steps] {
		t.Fatalf("kept checkpoints %v", got)
	}
	for s := range steps(filepath.Join(dir, CriticDir)) {
		if !got[s] {
			t.Fatalf("critic checkpoint %d kept without its policy checkpoint (%v)", s, got)
		}
	}
}

func TestSettingsAreValidated(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"rl.lr=.nan", "rl.lr"},
		{"rl.lr=.inf", "rl.lr"},
		{"rl.temperature=-1", "rl.temperature"},
		{"rl.max_new_tokens=64", "rl.max_new_tokens"},
		{"eval.max_new_tokens=200", "eval.max_new_tokens"},
		{"eval.max_new_tokens=-1", "eval.max_new_tokens"},
		{"eval.every=-1", "eval.every"},
		{"eval.temperature=-0.5", "eval.temperature"},
		{"task.template.prompt=hello", "{question}"},
		{"pretrain.noise.rate=.nan", "pretrain.noise"},
		{"sft.noise.rate=2", "sft.noise"},
		{"name=../..", "name"},
		{"name=a/b", "name"},
		{"rl.steps=2.9", "rl.steps"},
		{"rl.lr=", "rl.lr"},
		{"rl.lr=~", "rl.lr"},
		{"seed=-5", "seed"},
		{"rl.temperature=1e300", "rl.temperature"},
		{"rl..lr=1", "rl..lr"},
		{"rl={temperature: null}", "rl.temperature"},
		{"eval.k_list=[1, null]", "eval.k_list[1]"},
		{"checkpoint_keep=-1", "checkpoint_keep"},
		{"checkpoint_seconds=-1", "checkpoint_seconds"},
		{"rl.prompts_per_step=100000000", "prompts_per_step"},
		{"pretrain.batch=100000000", "pretrain.batch"},
		{"model.hidden_size=65536", "hidden_size"},
	} {
		r, err := LoadRecipe("grpo")
		if err != nil {
			t.Fatal(err)
		}
		err = r.Set([]string{tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.set, err, tc.want)
		}
	}
	r, _ := LoadRecipe("grpo")
	if err := r.Set([]string{"rl.steps=3.0", "name=my-run_2"}); err != nil || r.RL.Steps != 3 {
		t.Errorf("an integral float for an int field: %v, steps %d", err, r.RL.Steps)
	}
	if est := r.EstimateMemory(); est <= 0 || est > 4<<30 {
		t.Errorf("EstimateMemory of grpo = %d bytes", est)
	}
	if !math.IsNaN(math.NaN()) {
		t.Fatal()
	}
}

// TestSavedRecipeKeepsItsIdentity: the recipe a resume reads back from
// config.yaml must hash like the one the run started with, for every
// recipe (else every resume would be refused as a changed recipe).
func TestSavedRecipeKeepsItsIdentity(t *testing.T) {
	for _, name := range recipes.Names() {
		r, err := LoadRecipe(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, smoke := range []bool{false, true} {
			if smoke {
				if err := r.Smoke(); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), ConfigFile)
			os.WriteFile(path, r.YAML(), 0o644)
			back, err := LoadRecipe(path)
			if err != nil {
				t.Fatalf("%s: reading back %s: %v", name, ConfigFile, err)
			}
			if back.RecipeSHA256() != r.RecipeSHA256() {
				t.Errorf("%s (smoke %v): the recipe read back differs: %v", name, smoke, DiffRecipes(r, back))
			}
		}
	}
}

func TestDiffRecipes(t *testing.T) {
	a, _ := LoadRecipe("grpo")
	b, _ := LoadRecipe("grpo")
	if err := b.Set([]string{"rl.lr=1e-5", "sar.alpha=0.1"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(DiffRecipes(a, b), "\n")
	if !strings.Contains(got, "rl.lr: 0.0001 -> 1e-05") || !strings.Contains(got, "sar.alpha: (absent) -> 0.1") {
		t.Fatalf("DiffRecipes:\n%s", got)
	}
	if d := DiffRecipes(a, a); len(d) != 0 {
		t.Fatalf("a recipe differs from itself: %v", d)
	}
}

func TestSeedsAreParsedStrictly(t *testing.T) {
	for _, bad := range []string{"-5", "1.5", "", "x", "18446744073709551616"} {
		if _, err := ParseSeed(bad); err == nil || !strings.Contains(err.Error(), "seed") {
			t.Errorf("ParseSeed(%q): %v", bad, err)
		}
	}
	if n, err := ParseSeed("42"); err != nil || n != 42 {
		t.Errorf("ParseSeed(42) = %d, %v", n, err)
	}
}

func TestCheckpointSecondsAndKeepAll(t *testing.T) {
	ref, dir := t.TempDir(), t.TempDir()
	if _, err := Run(tinyRecipe(t, "grpo"), ref, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	r := tinyRecipe(t, "grpo")
	if err := r.Set([]string{"checkpoint_every=1000", "checkpoint_seconds=1e-9", "checkpoint_keep=0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(r, dir, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	dirs, err := checkpoint.List(filepath.Join(dir, CheckpointDir))
	if total := r.Pretrain.Steps + r.RL.Steps; err != nil || len(dirs) != total {
		t.Fatalf("%d checkpoints (%v), want one per step: %d", len(dirs), err, total)
	}
	sameMetrics(t, ref, dir) // where checkpoints fall changes nothing computed
}
