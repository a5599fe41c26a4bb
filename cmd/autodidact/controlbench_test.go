package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestControlBench: a tiny bench over one env and two kinds with two
// seeds prints the table (cells, suite mean, paired difference), writes
// bench.json with every return, and a second invocation reuses the
// finished cells (no new training: the same returns).
func TestControlBench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench")
	args := []string{"control", "bench", "--algo", "bc,prdc", "--envs", "Pendulum-v1", "--kinds", "random,expert1",
		"--seeds", "1,2", "--steps", "30", "--transitions", "500", "--eval-episodes", "1", "--set", "hidden=[8,8]", "--set", "prdc.beta=3", "--out", out}
	run := func() string {
		var buf bytes.Buffer
		root := newRoot(&buf, &buf)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		return buf.String()
	}
	first := run()
	for _, want := range []string{"| Pendulum-v1 random |", "| Pendulum-v1 expert1 |", "**suite mean**", "Δ prdc − bc"} {
		if !strings.Contains(first, want) {
			t.Errorf("no %q in\n%s", want, first)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Cells []benchCell `json:"cells"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || len(b.Cells) != 4 || len(b.Cells[0].Returns) != 2 {
		t.Fatalf("bench.json: %v, %+v", err, b.Cells)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "prdc", "Pendulum-v1-random", "seed-1", "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"beta": 3`) || !strings.Contains(string(cfg), `"hidden": [`) {
		t.Fatalf("prdc config without the overrides: %v\n%s", err, cfg)
	}
	second := run()
	tab := func(s string) string { return s[strings.Index(s, "| dataset"):] }
	if tab(first) != tab(second) {
		t.Errorf("the resumed bench differs:\n%s\n%s", tab(first), tab(second))
	}
	for _, bad := range [][]string{
		{"control", "bench", "--algo", "td3", "--out", out},
		{"control", "bench", "--algo", "bc", "--envs", "CartPole-v1", "--out", out},
		{"control", "bench", "--algo", "bc", "--kinds", "nope", "--out", out},
		{"control", "bench", "--algo", "bc"},
	} {
		var buf bytes.Buffer
		root := newRoot(&buf, &buf)
		root.SetArgs(bad)
		if err := root.Execute(); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

// `control dataset --kind` writes a suite dataset; a kind with --policy
// is refused.
func TestControlDatasetKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mixed.safetensors")
	var buf bytes.Buffer
	root := newRoot(&buf, &buf)
	root.SetArgs([]string{"control", "dataset", "--env", "Pendulum-v1", "--kind", "mixed", "--steps", "1000", "--out", path})
	if err := root.Execute(); err != nil || !strings.Contains(buf.String(), "wrote 1000 transitions") {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	root = newRoot(&buf, &buf)
	root.SetArgs([]string{"control", "dataset", "--env", "Pendulum-v1", "--kind", "mixed", "--policy", "runs/x", "--out", path})
	if err := root.Execute(); err == nil {
		t.Fatal("--kind with --policy accepted")
	}
}
