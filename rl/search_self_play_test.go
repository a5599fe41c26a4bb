package rl

import (
	"math"
	"testing"
)

// The card's example (B8): solver rewards [1,0,0,1,0] -> s = 0.4 ->
// r_prop = 0.6; the solver's GRPO advantages [1.0954, -0.7303, -0.7303,
// 1.0954, -0.7303] (unbiased std 0.5477); a question containing the
// answer is rejected (r_prop = 0); intermediate difficulty: s = 0.4 ->
// 0.96, s = 1 -> 0; the proposer's singleton group has A = r_prop.
func TestSearchSelfPlayRewards(t *testing.T) {
	c := SearchSelfPlay{ProposerReward: "1-acc", MinSearchCalls: 2, ReuseBuffer: 1}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	solver := []float64{1, 0, 0, 1, 0}
	s := SolveRate([]bool{true, false, false, true, false})
	if s != 0.4 || math.Abs(c.Reward(true, s)-0.6) > 1e-12 {
		t.Fatalf("s = %v, r_prop = %v", s, c.Reward(true, s))
	}
	adv := GRPOAdvantages(solver, Groups(5, 5), true)
	want := []float64{1.0954, -0.7303, -0.7303, 1.0954, -0.7303}
	for i := range want {
		if math.Abs(adv[i]-want[i]) > 1e-4 {
			t.Fatalf("solver advantages %v, want %v", adv, want)
		}
	}
	if a := GRPOAdvantages([]float64{0.6}, Groups(1, 1), true); math.Abs(a[0]-0.6) > 1e-5 {
		t.Fatalf("proposer advantage %v, want r_prop 0.6", a)
	}
	if c.Valid("f(42) is 42?", "42", []string{"42", "f 17"}, 2) || c.Reward(false, 0.4) != 0 {
		t.Fatal("a question containing the answer must be rejected with reward 0")
	}
	if !c.Valid("f(17)", "42", []string{"42", "f 17"}, 2) {
		t.Fatal("two distinct searches with documents: valid")
	}
	if c.Valid("f(17)", "42", []string{"42", " 42 "}, 2) || c.Valid("f(17)", "42", []string{"42", "f 17"}, 0) {
		t.Fatal("a repeated query is one search; no retrieved document: invalid")
	}
	c.ProposerReward = "intermediate_difficulty"
	for _, tc := range []struct{ s, want float64 }{{0.4, 0.96}, {1, 0}, {0, 0}} {
		if got := c.Reward(true, tc.s); math.Abs(got-tc.want) > 1e-12 {
			t.Fatalf("intermediate difficulty at s = %v: %v, want %v", tc.s, got, tc.want)
		}
	}
	c.ProposerReward = "other"
	if c.Validate() == nil {
		t.Fatal("an unknown proposer reward must be rejected")
	}
}
