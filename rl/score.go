package rl

import (
	"fmt"
	"math"
)

// SCoRe ("Training Language Models to Self-Correct via Reinforcement
// Learning", arXiv 2409.12917; card C2 of shared/cards/cards-C.md): two
// attempts per episode, x1 the prompt, y1 ~ π(·|x1), x2 = x1 ⊕ y1 ⊕ p with
// p a fixed correction instruction, y2 ~ π(·|x2); r̂_1 = r̂(y1, y*),
// r̂_2 = r̂(y2, y*) ∈ {0, 1}. Two RL stages against the frozen base π_ref:
//
// Stage I (the first Stage1Steps RL steps) trains the second attempt while
// a strong KL pins the first attempt to the base:
//
//	max_θ E[ r̂_2 − β2 · KL(π_θ(·|x1) ‖ π_ref(·|x1)) ]
//
// Stage II trains both attempts, with a progress bonus on the second:
//
//	max_θ E[ Σ_{i=1,2} ( r̃_i − β1 · KL(π_θ(·|x_i) ‖ π_ref(·|x_i)) ) ]
//	r̃_1 = r̂_1,   r̃_2 = r̂_2 + b,   b = α · (r̂_2 − r̂_1)
//
// so flipping wrong → right earns 1 + α, right → wrong costs α, and
// copying the first answer is no longer optimal.
//
// In our loop (CHOICEs of the card, each a knob): every prompt gets G
// episodes (G first attempts, one second attempt each); each attempt's
// tokens get a group-relative advantage of its own return,
//
//	A_{i,turn} = (R_{i,turn} − mean_g R_turn) / (std_g R_turn + 1e-6)
//
// with the population standard deviation (AdvStd "population", the card's
// numeric test; "unbiased" is the loop's GRPO, "none" skips the division),
// computed separately for turn-1 and turn-2 returns. The returns are
// R_2 = r̂_2 in Stage I and r̃_2 in Stage II; R_1 = r̃_1 (Turn1Credit
// "own": no reward-to-go into turn 1, which would make −α·r̂_1 penalise
// correct first attempts) or r̃_1 + r̃_2 ("reward_to_go", γ = 1). In Stage I
// the first attempt gets no policy-gradient term (A_{i,1} = 0) unless
// Stage1PGOnY1, where it gets the advantage of R_2 (the exact score-function
// gradient of the Stage I objective). The KL is a per-token loss term with
// estimator KLEstimator (k3 by default, CHOICE; k1 = logπ − logπ_ref is the
// card's Stage I estimate), weighted like the policy loss: coefficient β2
// on y1 and 0 on y2 in Stage I, β1 on both in Stage II. The defaults are
// the third-party re-implementations' α = 10, β1 = 0.01, β2 = 10·β1 = 0.1;
// Stage1Steps 25 is the card's 25% of the loop's 100 RL steps (CHOICE).
type SCoRe struct {
	Alpha        float64 `yaml:"alpha"`
	Beta1        float64 `yaml:"beta1"`
	Beta2        float64 `yaml:"beta2"`
	Stage1Steps  int     `yaml:"stage1_steps"`
	Turn1Credit  string  `yaml:"turn1_credit"`    // own | reward_to_go
	Stage1PGOnY1 bool    `yaml:"stage1_pg_on_y1"` // Stage I also trains y1 on r̂_2
	KLEstimator  string  `yaml:"kl_estimator"`    // k1, k2, k3, k3+
	AdvStd       string  `yaml:"adv_std"`         // population | unbiased | none
}

// Validate checks the knobs.
func (c SCoRe) Validate() error {
	if c.Alpha < 0 || c.Beta1 < 0 || c.Beta2 < 0 || c.Stage1Steps < 0 {
		return fmt.Errorf("alpha, beta1, beta2 and stage1_steps must be >= 0")
	}
	if c.Turn1Credit != "own" && c.Turn1Credit != "reward_to_go" {
		return fmt.Errorf("turn1_credit %q: want own or reward_to_go", c.Turn1Credit)
	}
	if c.AdvStd != "population" && c.AdvStd != "unbiased" && c.AdvStd != "none" {
		return fmt.Errorf("adv_std %q: want population, unbiased or none", c.AdvStd)
	}
	_, err := ParseKLEstimator(c.KLEstimator)
	return err
}

// Stage is 1 for the first Stage1Steps RL steps (step counts from 0), 2
// after.
func (c SCoRe) Stage(step int) int {
	if step < c.Stage1Steps {
		return 1
	}
	return 2
}

// ShapedSecond is Stage II's second-attempt reward r̃_2 = r̂_2 + α (r̂_2 − r̂_1).
func (c SCoRe) ShapedSecond(r1, r2 float64) float64 { return r2 + c.Alpha*(r2-r1) }

// Returns gives each episode's turn-1 and turn-2 returns in a stage, and
// whether turn 1 gets a policy-gradient term at all.
func (c SCoRe) Returns(stage int, r1, r2 []float64) (ret1, ret2 []float64, trainY1 bool) {
	ret1, ret2 = make([]float64, len(r1)), make([]float64, len(r2))
	for i := range r1 {
		if stage == 1 {
			ret2[i], ret1[i] = r2[i], r2[i]
			continue
		}
		ret2[i] = c.ShapedSecond(r1[i], r2[i])
		ret1[i] = r1[i]
		if c.Turn1Credit == "reward_to_go" {
			ret1[i] += ret2[i]
		}
	}
	return ret1, ret2, stage == 2 || c.Stage1PGOnY1
}

// KLCoefs is the KL coefficient on the first and the second attempt's
// tokens in a stage.
func (c SCoRe) KLCoefs(stage int) (y1, y2 float64) {
	if stage == 1 {
		return c.Beta2, 0
	}
	return c.Beta1, c.Beta1
}

// Advantages normalises returns within each group: R − mean_g, divided by
// std_g + 1e-6 with the population (n) or unbiased (n − 1) standard
// deviation, or not divided ("none"). A singleton group keeps R − mean = 0
// with "population" and R with "unbiased" (GRPOAdvantages' convention).
func (c SCoRe) Advantages(ret []float64, groups [][]int) []float64 {
	switch c.AdvStd {
	case "unbiased":
		return GRPOAdvantages(ret, groups, true)
	case "none":
		return DrGRPOAdvantages(ret, groups)
	}
	adv := make([]float64, len(ret))
	for _, g := range groups {
		var mean, ss float64
		for _, i := range g {
			mean += ret[i]
		}
		mean /= float64(len(g))
		for _, i := range g {
			ss += (ret[i] - mean) * (ret[i] - mean)
		}
		std := math.Sqrt(ss / float64(len(g)))
		for _, i := range g {
			adv[i] = (ret[i] - mean) / (std + 1e-6)
		}
	}
	return adv
}

// StageIObjective is one episode's Stage I objective
// r̂_2 − β2 Σ_t KL_t(logp_t, logp_ref_t) over the first attempt's sampled
// tokens with estimator est.
func StageIObjective(r2 float64, logp, logpRef []float64, beta2 float64, est KLEstimator) float64 {
	var kl float64
	for t := range logp {
		v, _ := est.Token(logp[t], logpRef[t])
		kl += v
	}
	return r2 - beta2*kl
}
