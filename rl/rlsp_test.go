package rl

import (
	"math"
	"strings"
	"testing"
)

func rlspDefaults() RLSP {
	return RLSP{Alpha: 0.8, AlphaSchedule: "const", AlphaHoldFrac: 0.3, ExploreReward: "steps", StepCap: 8,
		RequiresAnswer: true, Backtrack: "|", Verify: "?"}
}

// steps writes n reasoning lines and, when answer is set, the answer line.
func rlspResponse(n int, answer bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("1+1=2\n")
	}
	if answer {
		b.WriteString("#### 1+1")
	}
	return b.String()
}

// Card C7's example: α = 0.8, S_cap = 8. Correct with 4 steps: 0.8 + 0.2 ·
// 4/8 = 0.9; wrong with 8 steps: 0.2 · 1 = 0.2; wrong with 12 steps: 0.2
// (capped at 8/8); correct with 0 steps: 0.8; no final answer with 6
// steps: E forced to 0, R = 0. GRPO on [0.9, 0.2, 0.2, 0.8]: mean 0.525,
// population std sqrt(((0.375)² + 2(0.325)² + (0.275)²)/4) = 0.32692, so
// the card's advantages [1.1471, −0.9941, −0.9941, 0.8412]; our GRPO
// divides by the unbiased std (0.32692 · sqrt(4/3) = 0.37749), which
// scales them by sqrt(3/4).
func TestRLSPCard(t *testing.T) {
	c := rlspDefaults()
	cases := []struct {
		steps           int
		answer, correct bool
		want            float64
	}{
		{4, true, true, 0.9}, {8, true, false, 0.2}, {12, true, false, 0.2}, {0, true, true, 0.8}, {6, false, false, 0},
	}
	var rewards []float64
	for _, k := range cases {
		tr := c.ParseTrace(rlspResponse(k.steps, k.answer), "#### ")
		if tr.Steps != k.steps || tr.HasAnswer != k.answer {
			t.Fatalf("parse of %d steps (answer %v): %+v", k.steps, k.answer, tr)
		}
		v := 0.0
		if k.correct {
			v = 1
		}
		r := c.Reward(0.8, v, tr)
		near(t, "R", r, k.want, 1e-12)
		rewards = append(rewards, r)
	}
	adv := GRPOAdvantages(rewards[:4], Groups(4, 4), true)
	for i, want := range []float64{1.1471, -0.9941, -0.9941, 0.8412} {
		near(t, "advantage", adv[i]/math.Sqrt(0.75), want, 1e-4)
	}
	// The card's trace 3+5=8;8*7=56;|5*3=15;15+7=22;?22=22;=5*3+7, one step
	// per line: 5 steps, 1 backtrack, 1 verification.
	tr := c.ParseTrace("3+5=8\n8*7=56\n|5*3=15\n15+7=22\n?22=22\n#### 5*3+7", "#### ")
	if tr != (Trace{Steps: 5, Backtracks: 1, Verifies: 1, Chars: 31, HasAnswer: true}) {
		t.Errorf("card trace: %+v", tr)
	}
	// Without the answer requirement a wrong unfinished trace earns E.
	c.RequiresAnswer = false
	near(t, "R without answer, not required", c.Reward(0.8, 0, c.ParseTrace(rlspResponse(6, false), "#### ")), 0.2*6.0/8, 1e-12)
	// Outcome only: α = 1 is the verifier's reward.
	near(t, "alpha 1", c.Reward(1, 0, c.ParseTrace(rlspResponse(8, true), "#### ")), 0, 0)
}

// The hold-then-linear schedule over 11 steps with hold 0.3: α 0.8 up to
// step 3 (0.3 · 10), then linear to 1 at step 10: step 5 is 0.8 + 0.2 · 2/7.
func TestRLSPAlphaSchedule(t *testing.T) {
	c := rlspDefaults()
	near(t, "const", c.AlphaAt(7, 11), 0.8, 0)
	c.AlphaSchedule = "hold_then_linear"
	for step, want := range map[int]float64{0: 0.8, 3: 0.8, 5: 0.8 + 0.2*2/7, 10: 1} {
		near(t, "alpha", c.AlphaAt(step, 11), want, 1e-12)
	}
	bad := []func(*RLSP){
		func(c *RLSP) { c.Alpha = 1.5 },
		func(c *RLSP) { c.AlphaSchedule = "cosine" },
		func(c *RLSP) { c.ExploreReward = "words" },
		func(c *RLSP) { c.StepCap = 0 },
		func(c *RLSP) { c.Backtrack = "" },
	}
	for i, f := range bad {
		c := rlspDefaults()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad knob %d accepted", i)
		}
	}
	if c := rlspDefaults(); c.Validate() != nil {
		t.Errorf("defaults refused: %v", c.Validate())
	}
}
