package rl

import (
	"math"
)

// SPC — Self-Play Critic (arXiv 2504.19162, NeurIPS 2025; card D2; loss as
// in chen-judge/SPC src/trainers.py OfflineWeightedPolicyTrainer). Two
// roles play a game over step-by-step solutions: a sneaky generator S
// rewrites one correct step t_k of a solution into a subtly wrong t'_k; a
// step critic C sees the problem, the correct prefix τ_{:k-1} and a last
// step (t_k or t'_k) and says Correct or Incorrect. Game rewards
// (project page): on a valid sneaky step, the critic detects it → critic
// +1, generator −1; the critic is deceived → critic −1, generator +1; an
// unparsable verdict counts as deceived (CHOICE, knob
// invalid_verdict_reward). Paired samples (CHOICE, always on): the critic
// also judges the original t_k, +1 for Correct, else −1.
//
// Both roles are trained offline on game records (prompt, answer, R = ±1)
// with one sequence-level ratio per record against the frozen start model
// (token means over the answer's tokens, l̄ and l̄_ref):
//
//	ρ = exp(l̄ − l̄_ref)
//	L_ppo = mean_games −min(R·ρ, R·clip(ρ, 1−ε, 1+ε))
//	L_sft = mean_sft (−l̄)
//	L = L_ppo + c_sft·L_sft
//
// with the raw reward as the advantage (no baseline) and ε = 0.2,
// c_sft = 0.15 (code defaults). This file holds the algebra: SPCSample,
// SPCLoss and SPCGame. The game over task chain's step lines and its
// wiring into the loop (roles, validation, balancing) are not
// implemented yet.

// SPC holds the knobs of the SPC loss.
type SPC struct {
	ClipEps float64 `yaml:"clip_eps"` // ε
	SFTCoef float64 `yaml:"sft_coef"` // c_sft
}

// SPCSample is one game record's loss −min(R·ρ, R·clip(ρ, 1−ε, 1+ε)) with
// ρ = exp(l̄ − l̄_ref), and its derivative with respect to l̄ (−R·ρ
// where the unclipped term is the minimum, 0 where the clipped one is).
func (c SPC) SPCSample(R, lbar, lbarRef float64) (loss, dLbar float64) {
	rho := math.Exp(lbar - lbarRef)
	cl := math.Min(math.Max(rho, 1-c.ClipEps), 1+c.ClipEps)
	if R*rho <= R*cl {
		return -R * rho, -R * rho
	}
	return -R * cl, 0
}

// SPCRecord is one record of a batch: a game record (SFT false) with its
// reward, or an SFT record (SFT true) whose loss is −l̄.
type SPCRecord struct {
	SFT           bool
	R             float64
	Lbar, LbarRef float64
}

// SPCLoss is L = mean_games L_game + c_sft · mean_sft (−l̄) over a batch,
// with dL/dl̄ per record.
func (c SPC) SPCLoss(recs []SPCRecord) (loss float64, dLbar []float64) {
	var nGame, nSFT float64
	for _, r := range recs {
		if r.SFT {
			nSFT++
		} else {
			nGame++
		}
	}
	dLbar = make([]float64, len(recs))
	for i, r := range recs {
		if r.SFT {
			loss += c.SFTCoef * -r.Lbar / nSFT
			dLbar[i] = -c.SFTCoef / nSFT
			continue
		}
		l, d := c.SPCSample(r.R, r.Lbar, r.LbarRef)
		loss += l / nGame
		dLbar[i] = d / nGame
	}
	return loss, dLbar
}

// Verdicts of the step critic.
const (
	VerdictCorrect   = "+"
	VerdictIncorrect = "-"
)

// SPCGame returns the critic's and the generator's rewards for a verdict
// on a last step: stepWrong says whether the step shown was the (valid)
// sneaky one. On a wrong step a "-" verdict wins for the critic (+1, the
// generator −1), anything else loses (critic invalidReward if the verdict
// is neither "+" nor "-", else −1; generator +1). On the original step
// (paired sample) the critic gets +1 for "+", else −1 (or invalidReward),
// and the generator 0.
func SPCGame(verdict string, stepWrong bool, invalidReward float64) (critic, generator float64) {
	valid := verdict == VerdictCorrect || verdict == VerdictIncorrect
	if stepWrong {
		switch {
		case verdict == VerdictIncorrect:
			return 1, -1
		case !valid:
			return invalidReward, 1
		}
		return -1, 1
	}
	switch {
	case verdict == VerdictCorrect:
		return 1, 0
	case !valid:
		return invalidReward, 0
	}
	return -1, 0
}
