package rl

// RLSP — Reinforcement Learning via Self-Play (card C7; "On the emergence
// of thinking in LLMs I: searching for the right intuition", arXiv
// 2502.06773): SFT on demonstrations of the reasoning *process* (search
// traces with dead ends, backtracking and verification), then RL on a
// reward that keeps correctness and exploration as two decoupled signals:
//
//	R(x, o) = α · V(x, o) + (1 − α) · E(o)
//
// V ∈ {0, 1} is the verifier's verdict. E(o) ∈ [0, 1] scores exploratory
// behaviour independently of correctness (a wrong but exploratory trace
// still earns it: the decoupling). The paper's simplest exploration reward
// encourages more intermediate steps before the answer:
//
//	E(o) = min(n_steps(o), S_cap) / S_cap
//
// with E = 0 when the response has no final answer (so padding without
// finishing earns nothing). "Self-play" is the model generating its own
// search traces; there is no opponent.
//
// CHOICEs (the paper's body could not be read; card C7): the reward form
// above, α = 0.8 with an optional schedule that holds α for the first
// alpha_hold_frac of the RL steps and then raises it linearly to 1 (the
// exploration bonus fades, guarding against length hacking), S_cap = 8,
// E forced to 0 without an answer, and GRPO on the scalar reward instead of
// PPO (the recipe's adv_estimator says which). explore_reward "length"
// scores characters of reasoning instead of steps (capped at step_cap × 8
// characters); "none" is outcome-only.
//
// At our scale a step is a line of the solution before the answer line, a
// backtrack is a step that starts with the backtrack marker "|", and a
// verification a step that starts with "?" (task countdown, trace
// "process").

import (
	"fmt"
	"strings"
)

// RLSP is the recipe section `rlsp:`.
type RLSP struct {
	Alpha          float64 `yaml:"alpha"`           // weight of the verifier's reward (0.8); 1 is outcome-only GRPO
	AlphaSchedule  string  `yaml:"alpha_schedule"`  // const or hold_then_linear
	AlphaHoldFrac  float64 `yaml:"alpha_hold_frac"` // hold_then_linear: share of RL steps at alpha before the ramp to 1 (0.3)
	ExploreReward  string  `yaml:"explore_reward"`  // steps, length or none
	StepCap        int     `yaml:"step_cap"`        // S_cap (8)
	RequiresAnswer bool    `yaml:"explore_requires_answer"`
	Backtrack      string  `yaml:"backtrack_token"` // "|"
	Verify         string  `yaml:"verify_marker"`   // "?"
}

// Validate checks the section.
func (c *RLSP) Validate() error {
	switch {
	case c.Alpha < 0 || c.Alpha > 1:
		return fmt.Errorf("rlsp: alpha %v must be in [0, 1]", c.Alpha)
	case c.AlphaSchedule != "const" && c.AlphaSchedule != "hold_then_linear":
		return fmt.Errorf("rlsp: alpha_schedule %q: want const or hold_then_linear", c.AlphaSchedule)
	case c.AlphaHoldFrac < 0 || c.AlphaHoldFrac > 1:
		return fmt.Errorf("rlsp: alpha_hold_frac %v must be in [0, 1]", c.AlphaHoldFrac)
	case c.ExploreReward != "steps" && c.ExploreReward != "length" && c.ExploreReward != "none":
		return fmt.Errorf("rlsp: explore_reward %q: want steps, length or none", c.ExploreReward)
	case c.StepCap < 1:
		return fmt.Errorf("rlsp: step_cap %d must be >= 1", c.StepCap)
	case c.Backtrack == "" || c.Verify == "":
		return fmt.Errorf("rlsp: backtrack_token and verify_marker must not be empty")
	}
	return nil
}

// AlphaAt is α at RL step `step` (0-based) of `total`: constant, or held
// for the first AlphaHoldFrac of the steps and then raised linearly so it
// reaches 1 at the last step.
func (c *RLSP) AlphaAt(step, total int) float64 {
	if c.AlphaSchedule != "hold_then_linear" || total <= 1 {
		return c.Alpha
	}
	hold := c.AlphaHoldFrac * float64(total-1)
	s := float64(step)
	if s <= hold {
		return c.Alpha
	}
	return c.Alpha + (1-c.Alpha)*(s-hold)/(float64(total-1)-hold)
}

// Trace is what RLSP reads from a response: its reasoning steps (lines
// before the answer line), how many of them backtrack or verify, the
// characters of reasoning, and whether it has an answer line.
type Trace struct {
	Steps, Backtracks, Verifies, Chars int
	HasAnswer                          bool
}

// ParseTrace reads a response: lines up to the first one that starts with
// answerPrefix are steps (blank lines are not).
func (c *RLSP) ParseTrace(text, answerPrefix string) Trace {
	var t Trace
	prefix := strings.TrimSpace(answerPrefix)
	for _, line := range strings.Split(text, "\n") {
		if prefix != "" && strings.HasPrefix(line, prefix) {
			t.HasAnswer = true
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		t.Steps++
		t.Chars += len(line)
		if strings.HasPrefix(line, c.Backtrack) {
			t.Backtracks++
		}
		if strings.HasPrefix(line, c.Verify) {
			t.Verifies++
		}
	}
	return t
}

// Explore is E(o) in [0, 1].
func (c *RLSP) Explore(t Trace) float64 {
	if c.RequiresAnswer && !t.HasAnswer {
		return 0
	}
	switch c.ExploreReward {
	case "steps":
		return float64(min(t.Steps, c.StepCap)) / float64(c.StepCap)
	case "length":
		limit := 8 * c.StepCap
		return float64(min(t.Chars, limit)) / float64(limit)
	}
	return 0
}

// Reward is α · V + (1 − α) · E; V is the verifier's reward (1 or 0, or
// what reward hooks that ran before left, so RLSP composes with them).
func (c *RLSP) Reward(alpha, v float64, t Trace) float64 {
	return alpha*v + (1-alpha)*c.Explore(t)
}
