package rl

import "fmt"

// NSR, PSR and W-REINFORCE ("The Surprising Effectiveness of Negative
// Reinforcement in LLM Reasoning", card A1). With ±1 rewards and one
// on-policy update per batch (ratio 1) the RLVR objective splits into
//
//	L_PSR = - mean_{y: R=+1} sum_t logp(y_t)   (positive sample reinforcement)
//	L_NSR = + mean_{y: R=-1} sum_t logp(y_t)   (negative sample reinforcement)
//
// and W-REINFORCE is L = lambda * L_PSR + L_NSR with lambda = 0.1. Per
// token this is the policy-gradient loss with advantage +lambda on correct
// samples and -1 on incorrect ones, aggregated token-mean over the batch
// (CHOICE, verl's default for this work), with no KL and no entropy bonus.
//
// NSR's gradient on the logits is -(onehot - p): it removes mass from the
// sampled wrong token and spreads it over the others in proportion to
// their probability, which keeps diversity (pass@k at large k); PSR
// sharpens.
type ReinforceMode string

// The modes.
const (
	PSR        ReinforceMode = "psr"         // positive samples only: A = +1 / 0
	NSR        ReinforceMode = "nsr"         // negative samples only: A = 0 / -1
	FullPM     ReinforceMode = "full"        // plain ±1 REINFORCE: A = +1 / -1
	WReinforce ReinforceMode = "w_reinforce" // A = +lambda / -1
)

// ParseReinforceMode validates a mode name.
func ParseReinforceMode(s string) (ReinforceMode, error) {
	switch m := ReinforceMode(s); m {
	case PSR, NSR, FullPM, WReinforce:
		return m, nil
	}
	return "", fmt.Errorf("reinforce mode %q: want psr, nsr, full or w_reinforce", s)
}

// SignedAdvantages returns each sample's advantage under the mode (lambda
// weights the positives of W-REINFORCE; card default 0.1).
func SignedAdvantages(correct []bool, mode ReinforceMode, lambda float64) []float64 {
	adv := make([]float64, len(correct))
	for i, c := range correct {
		switch {
		case c && (mode == PSR || mode == FullPM):
			adv[i] = 1
		case c && mode == WReinforce:
			adv[i] = lambda
		case !c && mode != PSR:
			adv[i] = -1
		}
	}
	return adv
}
