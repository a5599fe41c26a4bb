package rl

import (
	"math"
	"testing"
)

// Card B2's numeric test, by hand: G = 4, R = [1, 0, 0, 1], Dr.GRPO
// advantages R − mean = [0.5, −0.5, −0.5, 0.5]. Turn 1 "a" in all four →
// mean of all four = 0. Turn 2: trajectories 1, 2 take "b" → mean(0.5,
// −0.5) = 0; 3, 4 take "c" → mean(−0.5, 0.5) = 0. Turn 3 unique → the
// trajectory's own [0.5, −0.5, −0.5, 0.5]. With trajectory 4 taking "d" at
// turn 1: trajectories 1–3 get mean(0.5, −0.5, −0.5) = −1/6 at turn 1,
// trajectory 4 keeps 0.5.
func TestSALTCard(t *testing.T) {
	c := SALT{MergeMode: "prefix", MinSharedCount: 1, Normalize: true}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	groups := Groups(4, 4)
	adv := DrGRPOAdvantages([]float64{1, 0, 0, 1}, groups)
	steps := []int{0, 1, 2}
	run := func(c SALT, hists [][]string) ([][]float64, [][]int) {
		keys := make([][]string, len(hists))
		for i, h := range hists {
			keys[i] = c.Keys(h, steps)
		}
		return c.StepAdvantages(adv, keys, groups)
	}
	check := func(what string, got [][]float64, want [][]float64) {
		t.Helper()
		for i := range want {
			for k := range want[i] {
				if math.Abs(got[i][k]-want[i][k]) > 1e-12 {
					t.Errorf("%s: trajectory %d step %d = %v, want %v", what, i+1, k+1, got[i][k], want[i][k])
				}
			}
		}
	}
	for i, want := range []float64{0.5, -0.5, -0.5, 0.5} {
		if adv[i] != want {
			t.Fatalf("Dr.GRPO advantage %d = %v, want %v", i, adv[i], want)
		}
	}
	// "A " and "a" normalise to the same step.
	got, shared := run(c, [][]string{{"a", "b", "x1"}, {"A ", "b", "x2"}, {"a", " c", "x3"}, {"a", "c", "x4"}})
	check("card", got, [][]float64{{0, 0, 0.5}, {0, 0, -0.5}, {0, 0, -0.5}, {0, 0, 0.5}})
	if shared[0][0] != 4 || shared[0][1] != 2 || shared[0][2] != 1 {
		t.Errorf("shared counts %v, want [4 2 1]", shared[0])
	}
	hists := [][]string{{"a", "b", "x1"}, {"a", "b", "x2"}, {"a", "c", "x3"}, {"d", "c", "x4"}}
	got, _ = run(c, hists)
	check("diverging", got, [][]float64{{-1.0 / 6, 0, 0.5}, {-1.0 / 6, 0, -0.5}, {-1.0 / 6, -0.5, -0.5}, {0.5, 0.5, 0.5}})
	// State mode, no history: trajectory 4's "c" merges with trajectory 3's.
	st := SALT{MergeMode: "state", MinSharedCount: 1, Normalize: true}
	got, _ = run(st, hists)
	check("state", got, [][]float64{{-1.0 / 6, 0, 0.5}, {-1.0 / 6, 0, -0.5}, {-1.0 / 6, 0, -0.5}, {0.5, 0, 0.5}})
	// min_shared_count 3: only turn 1 of trajectories 1–3 merges.
	c.MinSharedCount = 3
	got, _ = run(c, hists)
	check("min_shared_count", got, [][]float64{{-1.0 / 6, 0.5, 0.5}, {-1.0 / 6, -0.5, -0.5}, {-1.0 / 6, -0.5, -0.5}, {0.5, 0.5, 0.5}})
}
