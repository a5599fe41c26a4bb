package rl

import (
	"math"
	"testing"
)

// Card A1: logits [0,0,0], sampled token 0. With ratio 1 the per-token
// loss is -A*logp, so d loss/d logits = -A*(onehot - p).
func TestNSRPSRCard(t *testing.T) {
	p := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
	grad := func(A float64) []float64 {
		g := make([]float64, 3)
		for v := range g {
			oh := 0.0
			if v == 0 {
				oh = 1
			}
			_, dl, _ := Clip{EpsLow: 0.2, EpsHigh: 0.2}.Token(A, 0, 0) // dl/dlogp = -A at ratio 1
			g[v] = dl * (oh - p[v])
		}
		return g
	}
	nsr := SignedAdvantages([]bool{false}, NSR, 0.1)
	psr := SignedAdvantages([]bool{true}, PSR, 0.1)
	wr := SignedAdvantages([]bool{true}, WReinforce, 0.1)
	for v, want := range []float64{2.0 / 3, -1.0 / 3, -1.0 / 3} {
		near(t, "NSR grad", grad(nsr[0])[v], want, 1e-12)
		near(t, "PSR grad", grad(psr[0])[v], -want, 1e-12)
		near(t, "W-REINFORCE grad", grad(wr[0])[v], -0.1*want, 1e-12)
	}
	if a := SignedAdvantages([]bool{true, false}, PSR, 0.1); a[1] != 0 {
		t.Error("PSR must ignore negatives")
	}
	if a := SignedAdvantages([]bool{true, false}, NSR, 0.1); a[0] != 0 {
		t.Error("NSR must ignore positives")
	}
}

// Card A2: groups [1,0,0,0] and [1,1,1,0].
func TestLitePPOCard(t *testing.T) {
	r := []float64{1, 0, 0, 0, 1, 1, 1, 0}
	a := NormalizedAdvantages(r, Groups(8, 4), NormGroupMeanBatchStd)
	near(t, "A first", a[0], 1.4031, 1e-4)
	near(t, "A last", a[7], -1.4031, 1e-4)
	b := NormalizedAdvantages(r, Groups(8, 4), NormBatch)
	near(t, "batch norm", b[0], 0.5/math.Sqrt(8*0.25/7), 1e-5)
}

// Card 16: acc [1, 0.75, 0.25, 0], lambda 0.5.
func TestGRPOLambdaCard(t *testing.T) {
	correct := []bool{true, true, true, true, true, true, true, false, true, false, false, false, false, false, false, false}
	lengths := []int{50, 60, 70, 80, 100, 200, 300, 400, 10, 20, 30, 40, 5, 6, 7, 8}
	R, pen := GRPOLambdaRewards(correct, lengths, Groups(16, 4), 0.5)
	if !pen[0] || !pen[1] || pen[2] || pen[3] {
		t.Fatalf("penalised groups %v, want [true true false false]", pen)
	}
	for i, w := range []float64{1.5, 1.1667, 0.8333, -0.5} {
		near(t, "group 2 reward", R[4+i], w, 1e-4)
	}
	for i, w := range []float64{1, 0, 0, 0} {
		near(t, "group 3 reward", R[8+i], w, 0)
	}
	// Ties at the cut are included; all-wrong groups never are.
	_, pen = GRPOLambdaRewards([]bool{true, false, true, false, false, false}, []int{1, 2, 3, 4, 5, 6}, Groups(6, 2), 0.34)
	if !pen[0] || !pen[1] || pen[2] {
		t.Fatalf("tie rule: penalised %v, want [true true false]", pen)
	}
}

// Card 14: one question, rewards [1,1,0,0], len_ratio [0.2,0.6,·,·],
// s = [-0.5,-0.8,-1.0,-2.0].
func TestDRPOCard(t *testing.T) {
	d := DRPO{Tau: 10, Lambda: 0.1, Beta: 1e3, Delta: 1e-4}
	J, dJ, ok := d.Question([]float64{-0.5, -0.8, -1.0, -2.0}, []bool{true, true, false, false}, []float64{0.2, 0.6, 0, 0})
	if !ok {
		t.Fatal("question with positives and negatives must count")
	}
	near(t, "J", J, 0.98211, 1e-5)
	for i, w := range []float64{0.98201, 0.01799, -0.52498, -0.47502} { // dLoss/ds = -dJ/ds
		near(t, "dJ/ds", dJ[i], w, 1e-5)
	}
	// finite differences of J
	s := []float64{-0.5, -0.8, -1.0, -2.0}
	for i := range s {
		s[i] += 1e-6
		jp, _, _ := d.Question(s, []bool{true, true, false, false}, []float64{0.2, 0.6, 0, 0})
		s[i] -= 2e-6
		jm, _, _ := d.Question(s, []bool{true, true, false, false}, []float64{0.2, 0.6, 0, 0})
		s[i] += 1e-6
		near(t, "dJ/ds finite difference", dJ[i], (jp-jm)/2e-6, 1e-6)
	}
	if _, _, ok := d.Question([]float64{1, 2}, []bool{true, true}, []float64{0, 0}); ok {
		t.Error("an all-positive question contributes nothing")
	}
	if d.KLPenaltyCoef(5e-5) != 0 || d.KLPenaltyCoef(2e-4) <= 0 {
		t.Error("KL penalty must switch on only above delta")
	}
}

// Card A7.
func TestSELFCard(t *testing.T) {
	p := []float64{0, 0.125, 0.5, 0.875, 1}
	keep := SELFFilter(p, 0.5)
	if len(keep) != 2 || keep[0] != 1 || keep[1] != 2 {
		t.Fatalf("filter keeps %v, want [1 2] (problems 2 and 3)", keep)
	}
	w := SELFWeights(p)
	for i, want := range []float64{1, 0.875, 0.5, 0.125, 0} {
		near(t, "weight", w[i], want/2.5, 1e-12)
	}
}
