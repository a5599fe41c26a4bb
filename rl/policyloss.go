package rl

import (
	"fmt"
	"math"
)

// Clip configures PPO's clipped surrogate, per token:
//
//	l = max(-A * rho, -A * clip(rho, 1 - EpsLow, 1 + EpsHigh))
//
// and, for A < 0, dual-clip bounds the loss: l = min(l, -A * DualC)
// (DualC <= 1 turns it off; 3 is the usual value). DAPO's clip-higher is
// EpsHigh > EpsLow (0.2 / 0.28).
type Clip struct {
	EpsLow  float64 `json:"eps_low" yaml:"eps_low"`
	EpsHigh float64 `json:"eps_high" yaml:"eps_high"`
	DualC   float64 `json:"dual_clip_c" yaml:"dual_clip_c"`
}

// MaxLogRatio caps |logp - logp_old| before exponentiating (as verl
// does, ±20): a stored log-prob of -710 or -Inf would otherwise overflow
// rho to +Inf and turn A = 0 into NaN. Outside the cap the ratio is
// constant, so its gradient is 0.
const MaxLogRatio = 20

// Token returns the loss of one token, its derivative with respect to
// logp (through rho = exp(logp - logp_old): d rho / d logp = rho), and
// whether a clip was active (the gradient is then 0).
func (c Clip) Token(A, logp, logpOld float64) (loss, dLogp float64, clipped bool) {
	lr := logp - logpOld
	capped := lr > MaxLogRatio || lr < -MaxLogRatio || math.IsNaN(lr)
	if capped {
		lr = math.Max(-MaxLogRatio, math.Min(MaxLogRatio, lr))
		if math.IsNaN(lr) {
			lr = 0
		}
	}
	rho := math.Exp(lr)
	unclipped := -A * rho
	clippedRho := math.Min(math.Max(rho, 1-c.EpsLow), 1+c.EpsHigh)
	loss, dLogp = unclipped, -A*rho
	if capped {
		dLogp = 0
	}
	if alt := -A * clippedRho; alt > unclipped {
		loss, dLogp, clipped = alt, 0, true
	}
	if A < 0 && c.DualC > 1 {
		if bound := -A * c.DualC; loss > bound {
			loss, dLogp, clipped = bound, 0, true
		}
	}
	return loss, dLogp, clipped
}

// AggMode is how the masked per-token losses l_{i,t} become one scalar.
type AggMode string

// Aggregation modes (card 0):
//
//	token-mean              sum m*l / sum m                      (DAPO; over the whole mini-batch)
//	seq-mean-token-mean     mean_i (sum_t m*l / sum_t m)         (original GRPO)
//	seq-mean-token-sum      mean_i (sum_t m*l)
//	seq-mean-token-sum-norm sum m*l / L_const                    (Dr.GRPO; L_const = B * L_max, fixed for the run: CHOICE)
const (
	TokenMean           AggMode = "token-mean"
	SeqMeanTokenMean    AggMode = "seq-mean-token-mean"
	SeqMeanTokenSum     AggMode = "seq-mean-token-sum"
	SeqMeanTokenSumNorm AggMode = "seq-mean-token-sum-norm"
)

// ParseAggMode validates a mode name.
func ParseAggMode(s string) (AggMode, error) {
	switch m := AggMode(s); m {
	case TokenMean, SeqMeanTokenMean, SeqMeanTokenSum, SeqMeanTokenSumNorm:
		return m, nil
	}
	return "", fmt.Errorf("loss_agg_mode %q: want token-mean, seq-mean-token-mean, seq-mean-token-sum or seq-mean-token-sum-norm", s)
}

// Weights returns, for each sequence of a mini-batch with lengths[i]
// masked tokens, the weight w_i of each of its tokens so that the
// aggregate is sum_i sum_t w_i * l_{i,t}. constLen is L_const of the
// norm mode (B * L_max for the whole run).
func (m AggMode) Weights(lengths []int, constLen float64) []float64 {
	w := make([]float64, len(lengths))
	B := float64(len(lengths))
	total := 0
	for _, L := range lengths {
		total += L
	}
	for i, L := range lengths {
		if L == 0 {
			continue
		}
		switch m {
		case TokenMean:
			w[i] = 1 / float64(total)
		case SeqMeanTokenMean:
			w[i] = 1 / (B * float64(L))
		case SeqMeanTokenSum:
			w[i] = 1 / B
		case SeqMeanTokenSumNorm:
			w[i] = 1 / constLen
		}
	}
	return w
}
