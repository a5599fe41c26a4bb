package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/run"
)

// TestMain lets the test binary stand in for the autodidact binary: with
// AUTODIDACT_CLI_MAIN=1 it runs main() on its arguments after "--", so
// tests can check exit statuses and start-up behaviour of the real entry
// point.
func TestMain(m *testing.M) {
	if os.Getenv("AUTODIDACT_CLI_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"autodidact"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs the binary's main() in a subprocess with extra environment
// variables and returns its exit status, stdout and stderr.
func runMain(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "AUTODIDACT_CLI_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// safeDispatch runs dispatch and turns a panic into a test failure naming
// the arguments.
func safeDispatch(t *testing.T, args []string) (err error, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("autodidact %q panicked: %v", args, p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	err = dispatch(args, &out, &errb)
	return err, out.String(), errb.String()
}

// TestBadNumbersRefused: the panics and nonsense, each refused
// with an error that names the flag, before any work or allocation.
func TestBadNumbersRefused(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"tasks", "sample", "add", "-n", "-1"}, "-n -1"},
		{[]string{"tasks", "sample", "add", "-n", "0"}, "-n 0"},
		{[]string{"tasks", "sample", "add", "-n", "1000000000000"}, "-n 1000000000000"},
		{[]string{"tasks", "sample", "add", "--noise", "NaN"}, "noise"},
		{[]string{"bench", "train", "--batch", "-1"}, "--batch -1"},
		{[]string{"bench", "sample", "--batch", "-1"}, "--batch -1"},
		{[]string{"bench", "train", "--steps", "-1"}, "--steps -1"},
		{[]string{"bench", "train", "--seq", "0"}, "--seq 0"},
		{[]string{"bench", "train", "--layers", "-3"}, "--layers -3"},
		{[]string{"bench", "train", "--batch", "100000000000"}, "memory"},
		{[]string{"bench", "sample", "--batch", "1000000000"}, "memory"},
		{[]string{"bench", "sample", "--new", "1000000000"}, "memory"},
		{[]string{"bench", "train", "--threads", "100000000"}, "--threads"},
		{[]string{"control", "train", "--steps", "-5", "--out", filepath.Join(dir, "c1")}, "--steps -5"},
		{[]string{"control", "train", "--steps", "0", "--out", filepath.Join(dir, "c2")}, "--steps 0"},
		{[]string{"control", "train", "--steps", "100000000000000", "--out", filepath.Join(dir, "c3")}, "--steps"},
		{[]string{"control", "train", "--steps", "100", "--eval-episodes", "0", "--out", filepath.Join(dir, "c4")}, "--eval-episodes 0"},
		{[]string{"control", "dataset", "--steps", "100000000000000", "--out", filepath.Join(dir, "d.safetensors")}, "--steps"},
		{[]string{"control", "dataset", "--steps", "900000000", "--env", "Pendulum-v1", "--out", filepath.Join(dir, "d.safetensors")}, "memory"},
		{[]string{"run", "--seed", "-5", "--smoke", "--out", filepath.Join(dir, "r1")}, "seed"},
	}
	// A machine of 16 GiB makes the memory checks deterministic.
	defer func(f func() float64) { memTotal = f }(memTotal)
	memTotal = func() float64 { return 16 << 30 }
	for _, c := range cases {
		err, out, _ := safeDispatch(t, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("autodidact %s: err = %v, want an error containing %q (stdout %.200q)", strings.Join(c.args, " "), err, c.want, out)
		}
	}
	for _, d := range []string{"c1", "c2", "c3", "c4", "r1", "d.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("a refused command created %s", d)
		}
	}
}

// TestFlagsAfterPositionals: flags are read anywhere on the line, and a
// stray positional is an error, not a reason to ignore the flags after it.
func TestFlagsAfterPositionals(t *testing.T) {
	dir := t.TempDir()
	ctl := filepath.Join(dir, "ctl")
	if err, _, stderr := safeDispatch(t, []string{"control", "train", "--steps", "600", "--out", ctl, "--eval-episodes", "2"}); err != nil {
		t.Fatalf("control train: %v %s", err, stderr)
	}
	for _, args := range [][]string{
		{"control", "eval", "--episodes", "3", ctl},
		{"control", "eval", ctl, "--episodes", "3"},
	} {
		err, out, _ := safeDispatch(t, args)
		if err != nil || !strings.Contains(out, "over 3 episodes") {
			t.Errorf("autodidact %s: %v, %q; want a mean over 3 episodes", strings.Join(args, " "), err, out)
		}
	}
	stray := filepath.Join(dir, "stray")
	err, _, _ := safeDispatch(t, []string{"control", "train", "foo", "--steps", "600", "--out", stray})
	if err == nil || !strings.Contains(err.Error(), "foo") {
		t.Errorf("control train foo: err = %v, want an error naming the stray argument", err)
	}
	if _, err := os.Stat(stray); err == nil {
		t.Errorf("control train with a stray argument still trained into %s", stray)
	}
	for _, args := range [][]string{
		{"bench", "train", "extra"},
		{"version", "extra"},
		{"tasks", "sample", "add", "sub"},
		{"grade", "a", "b"},
		{"show", "a", "b"},
		{"run", "grpo", "dapo", "--dry-run"},
	} {
		if err, _, _ := safeDispatch(t, args); err == nil {
			t.Errorf("autodidact %s: a stray positional was accepted", strings.Join(args, " "))
		}
	}
}

// writeLMRun makes a finished language-model run directory from a recipe
// with overrides, with a summary as run.Run writes it.
func writeLMRun(t *testing.T, dir, recipe string, sets []string, pass1 float64) {
	t.Helper()
	r, err := run.LoadRecipe(recipe)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set(sets); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, run.ConfigFile), r.YAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := run.Summary{Recipe: r.Name, Task: r.Task.Name, Seed: r.Seed, K: 2, BasePass1: 0.25, FinalPass1: pass1,
		BasePassK: 0.4, FinalPassK: 0.6, BaseCurve: []float64{0.25, 0.4}, FinalCurve: []float64{pass1, 0.6}}
	b, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(dir, run.SummaryFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportMixed: report prints what it can of a mix of finished,
// unfinished, failed, control and non-run directories, and marks the rest.
func TestReportMixed(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a-grpo"), filepath.Join(root, "b-dapo")
	writeLMRun(t, a, "grpo", nil, 0.5)
	writeLMRun(t, b, "dapo", []string{"rl.lr=5e-5"}, 0.625)
	unfinished := filepath.Join(root, "c-unfinished")
	os.MkdirAll(unfinished, 0o755)
	os.WriteFile(filepath.Join(unfinished, run.ConfigFile), []byte("name: grpo\n"), 0o644)
	failed := filepath.Join(root, "d-failed")
	os.MkdirAll(failed, 0o755)
	os.WriteFile(filepath.Join(failed, run.ConfigFile), []byte("name: grpo\n"), 0o644)
	os.WriteFile(filepath.Join(failed, run.SummaryFile), []byte("{\"recipe\": \"grpo\", trunc"), 0o644)
	ctl := filepath.Join(root, "e-ctl")
	if err, _, stderr := safeDispatch(t, []string{"control", "train", "--steps", "600", "--eval-episodes", "2", "--out", ctl}); err != nil {
		t.Fatalf("control train: %v %s", err, stderr)
	}

	err, out, _ := safeDispatch(t, []string{"report", a, b, unfinished, failed, ctl})
	if err != nil {
		t.Fatalf("report over finished, unfinished, failed and control runs: %v\n%s", err, out)
	}
	var sum struct {
		FinalReturn float64 `json:"final_return"`
	}
	raw, _ := os.ReadFile(filepath.Join(ctl, "summary.json"))
	json.Unmarshal(raw, &sum)
	for _, want := range []string{
		"recipe grpo, task add", "recipe dapo, task add", // the recipe and task of each LM run
		"rl.lr", "0.0001 | 5e-05", // a setting that differs
		"dapo.", // the method section only dapo has
		"0.500", "0.625",
		"control run", "ppo", "CartPole-v1", fmt.Sprintf("%.1f", sum.FinalReturn),
		unfinished + ": unfinished", failed + ": failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report output lacks %q:\n%s", want, out)
		}
	}

	// A control run alone: its return, not a table of zeros.
	err, out, _ = safeDispatch(t, []string{"report", ctl})
	if err != nil || !strings.Contains(out, fmt.Sprintf("%.1f", sum.FinalReturn)) || strings.Contains(out, "p@1 base") {
		t.Errorf("report on a control run: %v\n%s", err, out)
	}

	// Not runs are rejected, alone or among runs (after the rest is shown).
	empty := t.TempDir()
	if err, _, _ := safeDispatch(t, []string{"report", empty}); err == nil || !strings.Contains(err.Error(), "not a run") {
		t.Errorf("report on an empty directory: err = %v, want not a run", err)
	}
	err, out, _ = safeDispatch(t, []string{"report", a, empty})
	if err == nil || !strings.Contains(out, "0.500") || !strings.Contains(out, empty+": not a run") {
		t.Errorf("report over a run and a non-run: err = %v\n%s", err, out)
	}
	if err, _, _ := safeDispatch(t, []string{"report", unfinished}); err == nil {
		t.Error("report with nothing finished must fail")
	}
}

// TestBadBLASRefusedAtStartup: AUTODIDACT_BLAS=bogus stops the binary
// with an error naming the valid values, instead of a warning.
func TestBadBLASRefusedAtStartup(t *testing.T) {
	code, out, errs := runMain(t, []string{"AUTODIDACT_BLAS=bogus"}, "version")
	if code != 1 {
		t.Errorf("AUTODIDACT_BLAS=bogus autodidact version: exit %d (stdout %q), want 1", code, out)
	}
	for _, want := range []string{"autodidact: ", "AUTODIDACT_BLAS", "bogus", "openblas", "go", "empty"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if code, _, _ := runMain(t, []string{"AUTODIDACT_BLAS=go"}, "version"); code != 0 {
		t.Errorf("AUTODIDACT_BLAS=go autodidact version: exit %d", code)
	}
}
