package control

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/control/dataset"
)

// heuristicDataset is Pendulum data from pendulumHeuristic (return about
// -165) with Gaussian action noise of noise times the half-range.
func heuristicDataset(t *testing.T, steps int, noise float64) string {
	d, err := dataset.Collect("Pendulum-v1", "heuristic", pendulumHeuristic, steps, noise, 11)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pendulum-heuristic.safetensors")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestOfflineE2E: each offline algorithm on 10000 noisy-heuristic
// transitions learns a policy far above random (about -1200).
func TestOfflineE2E(t *testing.T) {
	steps := envInt("OFFLINE_STEPS", 3000)
	path := heuristicDataset(t, 10000, 0.3)
	hidden := []int{32, 32}
	algos := []string{"td3bc", "iql", "cql"}
	if a := os.Getenv("OFFLINE_ALGO"); a != "" {
		algos = []string{a}
	}
	for _, algo := range algos {
		start := time.Now()
		dir := t.TempDir()
		var s *Summary
		var err error
		var log io.Writer
		if os.Getenv("OFFLINE_LOG") != "" {
			log = os.Stderr
		}
		switch algo {
		case "td3bc":
			c := DefaultTD3BC(path)
			c.Steps, c.Hidden, c.Batch = steps, hidden, 64
			s, err = RunTD3BC(c, dir, 5, log)
		case "iql":
			c := DefaultIQL(path)
			c.Steps, c.Hidden, c.Batch = steps, hidden, 64
			s, err = RunIQL(c, dir, 5, log)
		case "cql":
			c := DefaultCQL(path)
			c.Steps, c.Hidden, c.Batch, c.NumActions, c.PolicyLR = steps, hidden, 64, 4, 3e-4
			s, err = RunCQL(c, dir, 5, log)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d steps, final return %.1f, %.1fs", algo, steps, s.FinalReturn, time.Since(start).Seconds())
	}
}
