package control

import (
	"math"
	"testing"
)

// TestWSRLCardExamples: the card's hand-computed numbers (REDQ target,
// softplus temperature, warm-up gating).
func TestWSRLCardExamples(t *testing.T) {
	q := []float64{5.0, 4.0, 6.0, 2.0, 7.0, 3.0, 8.0, 1.0, 9.0, 0.5}
	for _, tc := range []struct {
		mask, want float64
	}{{1, 1.49}, {0, 0.5}} {
		if got := redqTarget(q, []int{3, 7}, 0.5, 0.99, tc.mask); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("redq target mask %v = %v, want %v", tc.mask, got, tc.want)
		}
	}
	rho := math.Log(math.E - 1)
	if a := softplus(rho); math.Abs(a-1) > 1e-12 {
		t.Fatalf("softplus(ln(e-1)) = %v, want 1", a)
	}
	loss, grad := softplusTemp(rho, []float64{-0.5, 0.3}, -1)
	if math.Abs(loss-1.1) > 1e-12 || math.Abs(grad-0.695333) > 1e-6 {
		t.Errorf("temperature loss %v grad %v, want 1.1 and 0.695333", loss, grad)
	}
	for _, tc := range []struct {
		warmup, batch int
		ratio         float64
		first         int
	}{{5000, 1024, 0, 5001}, {0, 1024, 0, 1025}, {0, 1024, 0.5, 513}, {1000, 256, 0, 1001}} {
		if got := wsrlFirstUpdate(tc.warmup, tc.batch, tc.ratio); got != tc.first {
			t.Errorf("first update (K %d, B %d, ratio %v) = %d, want %d", tc.warmup, tc.batch, tc.ratio, got, tc.first)
		}
	}
}

// TestWSRLWarmupGatesUpdates: no gradient step happens during the warm-up
// (the metrics' update counts start after it), and a run stopped and
// resumed in the online phase matches an uninterrupted one.
func TestWSRLWarmupGatesUpdates(t *testing.T) {
	cfg := SmokeWSRL("Pendulum-v1")
	cfg.Warmup, cfg.EvalEvery, cfg.OnlineSteps, cfg.CheckpointEvery = 250, 100, 500, 200
	var updates []int
	if _, err := TrainWSRL(cfg, nil, func(m map[string]any) {
		if n, ok := m["updates"].(int); ok {
			updates = append(updates, n)
		}
	}); err != nil {
		t.Fatal(err)
	}
	// Steps 100, 200: none; 300: steps 251..300 update (50 steps x 1).
	want := []int{0, 0, 50, 100, 100}
	if len(updates) != len(want) {
		t.Fatalf("update counts %v, want %v", updates, want)
	}
	for i := range want {
		if updates[i] != want[i] {
			t.Fatalf("update counts %v, want %v", updates, want)
		}
	}
	whole, cut := t.TempDir(), t.TempDir()
	a, err := runWSRL(cfg, runOpts{dir: whole}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runWSRL(cfg, runOpts{dir: cut, stopAt: 450}, 2, nil); err == nil {
		t.Fatal("stopped run did not stop")
	}
	b, err := Resume(cut, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.FinalReturn != b.FinalReturn {
		t.Fatalf("resumed final return %v, uninterrupted %v", b.FinalReturn, a.FinalReturn)
	}
}

// TestApplySets: overrides by JSON name, with unknown keys and bad
// values refused.
func TestApplySets(t *testing.T) {
	cfg := DefaultWSRL("")
	if err := ApplySets(&cfg, []string{"warmup_steps=0", "offline_data_ratio=0.5", "hidden=[32,32]", "env=Pendulum-v1"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Warmup != 0 || cfg.OfflineRatio != 0.5 || len(cfg.Hidden) != 2 || cfg.Hidden[0] != 32 || cfg.Env != "Pendulum-v1" {
		t.Fatalf("sets not applied: %+v", cfg)
	}
	for _, bad := range []string{"nope=1", "warmup_steps=abc", "noequals"} {
		c := DefaultWSRL("")
		if err := ApplySets(&c, []string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
