package control

import (
	"math"
	"testing"
)

// The card's Dual RL example: residuals x = q - V = [1, -0.5, -5],
// lambda 0.8. chi-square l = [0.8, 0.1, 2.0], mean 0.966667, dl/dV =
// [-1.0, 0.2, 1.4] (per row; the mean's gradient is a third of it);
// total variation l = [0.6, 0.1, 1.0], mean 0.566667; reverse-KL with
// temperature 2, clip 5: z = [0.5, -0.25, -2.5], m = 0.5, l = [0.090204,
// 0.017469, 0.959583], mean 0.355752.
func TestDVLValueLossByHand(t *testing.T) {
	x := []float64{1, -0.5, -5}
	for _, c := range []struct {
		f      string
		lambda float64
		loss   float64
		dV     []float64 // per row, before the 1/n of the mean
	}{
		{"chi-square", 0.8, 0.966667, []float64{-1.0, 0.2, 1.4}},
		{"total-variation", 0.8, 0.566667, []float64{-0.6, 0.2, 0.2}},
		{"reverse-kl", 2, 0.355752, nil},
	} {
		l, dV, err := dvlValueLoss(c.f, x, c.lambda, 5)
		if err != nil {
			t.Fatal(err)
		}
		near(t, c.f+" loss", l, c.loss)
		for i, want := range c.dV {
			near(t, c.f+" dV", 3*dV[i], want)
		}
	}
	// reverse-KL per-row values and a finite-difference check of dV.
	for i, want := range []float64{0.090204, 0.017469, 0.959583} {
		z := math.Min(x[i]/2, 5)
		near(t, "gumbel row", math.Exp(z-0.5)-z*math.Exp(-0.5)-math.Exp(-0.5), want)
	}
	_, dV, _ := dvlValueLoss("reverse-kl", x, 2, 5)
	for i := range x {
		xp := append([]float64(nil), x...)
		xp[i] -= 1e-6 // V up by 1e-6
		lp, _, _ := dvlValueLoss("reverse-kl", xp, 2, 5)
		l0, _, _ := dvlValueLoss("reverse-kl", x, 2, 5)
		if i != 0 { // row 0 holds the max, whose m is held constant in the gradient
			near(t, "gumbel dV (finite difference)", dV[i], (lp-l0)/1e-6)
		}
	}
	if _, _, err := dvlValueLoss("kl", x, 1, 5); err == nil {
		t.Fatal("unknown f accepted")
	}
}

// AWR weights, beta 3, u = [0.5, -1, 2]: [4.481689, 0.049787, 100 (clipped
// from 403.43)]; Huber(20): H(1.5) = 1.125, H(25) = 300; ReCOIL targets:
// mask 1, gamma 0.99, V(s') 50 -> -2 + 49.5 = 47.5; terminal -> -2 - 198 = -200.
func TestDVLPiecesByHand(t *testing.T) {
	w := awrWeights([]float64{0.5, -1, 2}, 3, 100)
	near(t, "w0", w[0], 4.481689)
	near(t, "w1", w[1], 0.049787)
	near(t, "w2", w[2], 100)
	h, g := huber(1.5, 20)
	near(t, "H(1.5)", h, 1.125)
	near(t, "H'(1.5)", g, 1.5)
	h, g = huber(25, 20)
	near(t, "H(25)", h, 300)
	near(t, "H'(25)", g, 20)
	near(t, "recoil y", recoilQTarget(50, 1, -2, 0.99, -200), 47.5)
	near(t, "recoil y terminal", recoilQTarget(50, 0, -2, 0.99, -200), -200)
}

// TestReCOILValueLossByHand: with no expert rows it is the card's
// reverse-KL example (x = [1, -0.5, -5], temperature 2, clip 5: mean
// 0.355752); with an expert residual 20 (z clipped to 5, so m = 5) the
// S row x = 1 (z = 0.5) gets l = e^-5 (e^0.5 - 1.5) = 0.00100208 and
// dl/dV = -(e^-4.5 - e^-5)/2 = -0.00218552, the scale set by the expert
// half as in the authors' rkl_loss_imitate.
func TestReCOILValueLossByHand(t *testing.T) {
	l, _ := recoilValueLoss([]float64{1, -0.5, -5}, nil, 2, 5)
	near(t, "no expert rows", l, 0.355752)
	l, dV := recoilValueLoss([]float64{1}, []float64{20}, 2, 5)
	near(t, "loss with expert max", l, 0.00100208)
	near(t, "dV with expert max", dV[0], -0.00218552)
}
