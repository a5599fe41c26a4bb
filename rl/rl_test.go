package rl

import (
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f", name, got, want)
	}
}

// Card 0 test (a): rewards [1,0,0,1].
func TestAdvantageEstimatorsCardA(t *testing.T) {
	r := []float64{1, 0, 0, 1}
	g := Groups(4, 4)
	grpo := GRPOAdvantages(r, g, true)
	dr := DrGRPOAdvantages(r, g)
	rloo := RLOOAdvantages(r, g)
	for i, sign := range []float64{1, -1, -1, 1} {
		near(t, "GRPO", grpo[i], sign*0.8660, 1e-4)
		near(t, "Dr.GRPO", dr[i], sign*0.5, 1e-12)
		near(t, "RLOO", rloo[i], sign*0.6667, 1e-4)
	}
	single := GRPOAdvantages([]float64{0.7}, Groups(1, 1), true)
	near(t, "GRPO singleton", single[0], 0.7/(1+1e-6), 1e-12)
}

// Card 0 test (b): GAE with r=[0,0,1], V=[0.5,0.6,0.8], gamma=1, lambda=0.95.
func TestGAECardB(t *testing.T) {
	adv, ret := GAE([]float64{0, 0, 1}, []float64{0.5, 0.6, 0.8}, 1, 0.95)
	for i, w := range []float64{0.4705, 0.39, 0.20} {
		near(t, "GAE A", adv[i], w, 1e-12)
	}
	near(t, "GAE Ret[0]", ret[0], 0.9705, 1e-12)
}

// Card 0 test (c): clipped loss with eps_low 0.2, eps_high 0.28.
func TestClipCardC(t *testing.T) {
	c := Clip{EpsLow: 0.2, EpsHigh: 0.28, DualC: 3}
	l, d, clipped := c.Token(1, math.Log(1.5), 0)
	near(t, "l(A=+1,rho=1.5)", l, -1.28, 1e-12)
	if d != 0 || !clipped {
		t.Errorf("clipped token must have zero gradient, got %v", d)
	}
	l, _, _ = c.Token(-1, math.Log(0.5), 0)
	near(t, "l(A=-1,rho=0.5)", l, 0.8, 1e-12)
	// Inside the trust region the gradient is -A*rho.
	l, d, clipped = c.Token(2, math.Log(1.1), 0)
	near(t, "l inside", l, -2.2, 1e-12)
	near(t, "dl/dlogp inside", d, -2.2, 1e-12)
	if clipped {
		t.Error("rho=1.1 is inside [0.8, 1.28]")
	}
	// Dual clip: A<0 and huge ratio: loss bounded by -A*c = 3.
	l, d, _ = c.Token(-1, math.Log(10), 0)
	near(t, "dual clip", l, 3, 1e-12)
	near(t, "dual clip grad", d, 0, 0)
	// Check dl/dlogp against finite differences where unclipped.
	for _, A := range []float64{-1.3, 0.7} {
		lp := math.Log(1.05)
		lpl, _, _ := c.Token(A, lp+1e-6, 0)
		lmi, _, _ := c.Token(A, lp-1e-6, 0)
		_, d, _ := c.Token(A, lp, 0)
		near(t, "dl/dlogp finite difference", d, (lpl-lmi)/2e-6, 1e-6)
	}
}

// Card 0 test (d): logp=-1.0, logp_ref=-1.5.
func TestKLCardD(t *testing.T) {
	for _, tc := range []struct {
		e    KLEstimator
		want float64
	}{{K1, 0.5}, {K2, 0.125}, {K3, 0.10653}, {K3Plus, 0.10653}} {
		v, d := tc.e.Token(-1, -1.5)
		near(t, string(tc.e), v, tc.want, 1e-5)
		// gradients: k1, k2, k3 by finite differences; k3+ carries k2's
		ref := tc.e
		if ref == K3Plus {
			ref = K2
		}
		vp, _ := ref.Token(-1+1e-6, -1.5)
		vm, _ := ref.Token(-1-1e-6, -1.5)
		near(t, string(tc.e)+" gradient", d, (vp-vm)/2e-6, 1e-6)
	}
}

// Card 0 test (e): overlong shaping.
func TestOverlongCardE(t *testing.T) {
	near(t, "overlong", OverlongPenalty(18432, 20480, 4096, 1), -0.5, 1e-12)
	near(t, "short", OverlongPenalty(100, 20480, 4096, 1), 0, 0)
	near(t, "at max", OverlongPenalty(20480, 20480, 4096, 1), -1, 1e-12)
	if Informative([]float64{1, 1, 1}, []int{0, 1, 2}) || !Informative([]float64{1, 0, 1}, []int{0, 1, 2}) {
		t.Error("Informative wrong")
	}
}

// Card 0 test (f): two sequences of 1 and 3 tokens, losses 1 and 0.
func TestAggregationCardF(t *testing.T) {
	lengths := []int{1, 3}
	loss := [][]float64{{1}, {0, 0, 0}}
	agg := func(m AggMode) float64 {
		w := m.Weights(lengths, 2*4)
		s := 0.0
		for i, row := range loss {
			for _, l := range row {
				s += w[i] * l
			}
		}
		return s
	}
	near(t, "token-mean", agg(TokenMean), 0.25, 1e-12)
	near(t, "seq-mean-token-mean", agg(SeqMeanTokenMean), 0.5, 1e-12)
	near(t, "seq-mean-token-sum", agg(SeqMeanTokenSum), 0.5, 1e-12)
	near(t, "seq-mean-token-sum-norm (L_const=8)", agg(SeqMeanTokenSumNorm), 0.125, 1e-12)
	if _, err := ParseAggMode("token_mean"); err == nil {
		t.Error("misspelt mode must be an error")
	}
}

func TestReinforcePP(t *testing.T) {
	// Two sequences, outcome only: returns equal R on every token, then
	// whitened over the 5 tokens of the batch.
	adv := ReinforcePPAdvantages([]float64{1, 0}, Groups(2, 2), nil, []int{2, 3}, 0, false)
	// values before whitening: [1,1,0,0,0]; mean 0.4, std sqrt(0.24)
	s := math.Sqrt(0.24)
	near(t, "R++ A[0][0]", adv[0][0], 0.6/s, 1e-6)
	near(t, "R++ A[1][2]", adv[1][2], -0.4/s, 1e-6)
	// KL reward: per-token -beta*k1 accumulates backwards.
	adv = ReinforcePPAdvantages([]float64{0}, Groups(1, 1), [][]float64{{1, 2}}, []int{2}, 0.5, false)
	// returns: t1 = -1, t0 = -1.5 ; whitened: mean -1.25, std 0.25
	near(t, "R++ KL t0", adv[0][0], -1, 1e-6)
	near(t, "R++ KL t1", adv[0][1], 1, 1e-6)
	// Baseline variant subtracts the group mean first: rewards [1,1] -> 0.
	adv = ReinforcePPAdvantages([]float64{1, 1}, Groups(2, 2), nil, []int{1, 1}, 0, true)
	near(t, "R++ baseline", adv[0][0], 0, 1e-9)
}

// TestWhitenGuardsNearConstantBatches: a batch whose values differ by
// 1e-9 stays near zero (std + 1e-8 would have scaled it to unit variance).
func TestWhitenGuardsNearConstantBatches(t *testing.T) {
	x := [][]float64{{1, 1 + 1e-9}, {1 - 1e-9}}
	WhitenTokens(x)
	for _, row := range x {
		for _, v := range row {
			if math.Abs(v) > 1e-4 {
				t.Fatalf("near-constant batch whitened to %v", x)
			}
		}
	}
}

// TestClipCapsTheLogRatio: stored log-probs of -710 or -Inf must not turn
// the loss into NaN or Inf; beyond the cap the gradient is 0.
func TestClipCapsTheLogRatio(t *testing.T) {
	c := Clip{EpsLow: 0.2, EpsHigh: 0.2, DualC: 3}
	for _, tc := range []struct{ A, logp, old float64 }{
		{0, -1, -710}, {0, -1, math.Inf(-1)}, {1, -1, math.Inf(-1)}, {-1, -1, -710}, {1, -800, -1}, {-1, 0, math.NaN()},
	} {
		l, d, _ := c.Token(tc.A, tc.logp, tc.old)
		if math.IsNaN(l) || math.IsInf(l, 0) || math.IsNaN(d) || math.IsInf(d, 0) {
			t.Fatalf("A=%v logp=%v old=%v: loss %v grad %v", tc.A, tc.logp, tc.old, l, d)
		}
		if d != 0 {
			t.Fatalf("A=%v logp=%v old=%v: gradient %v beyond the cap, want 0", tc.A, tc.logp, tc.old, d)
		}
	}
	// Inside the cap nothing changes: rho = e^0.1, unclipped for A < 0 below the dual bound.
	l, d, _ := c.Token(-1, -0.9, -1)
	if rho := math.Exp(0.1); math.Abs(l-rho) > 1e-12 || math.Abs(d-rho) > 1e-12 {
		t.Fatalf("inside the cap: loss %v grad %v, want %v", l, d, rho)
	}
}
