package rl

import (
	"math"
	"testing"
)

// Card A3: p = [0.7, 0.2, 0.05, 0.05], top-p 0.9.
func TestSIRENCard(t *testing.T) {
	s := SIREN{TopP: 0.9, PeakRatio: 0.5, Coef: 0.01}
	p := []float64{0.7, 0.2, 0.05, 0.05}
	z := make([]float32, 4)
	for i, v := range p {
		z[i] = float32(math.Log(v))
	}
	grad := make([]float64, 4)
	H := s.NucleusEntropy(z, grad)
	q := []float64{0.7 / 0.95, 0.2 / 0.95, 0.05 / 0.95}
	want := 0.0
	for _, v := range q {
		want -= v * math.Log(v)
	}
	near(t, "q[0]", q[0], 0.7368, 1e-4)
	near(t, "H_p", H, want, 1e-6)
	near(t, "H_p (card)", H, 0.7098, 3e-3)
	if grad[3] != 0 {
		t.Error("the token outside the nucleus gets no gradient")
	}
	// finite differences inside the nucleus, on a distribution whose
	// nucleus boundary is far from top_p (membership fixed)
	for i, v := range []float64{0.5, 0.3, 0.15, 0.05} {
		z[i] = float32(math.Log(v))
	}
	s.NucleusEntropy(z, grad)
	for v := 0; v < 3; v++ {
		zp := append([]float32(nil), z...)
		zp[v] += 1e-3
		zm := append([]float32(nil), z...)
		zm[v] -= 1e-3
		g := make([]float64, 4)
		near(t, "dH/dz", grad[v], (s.NucleusEntropy(zp, g)-s.NucleusEntropy(zm, g))/2e-3, 1e-4)
	}
	mask := PeakMask([]float64{0.1, 0.7, 0.3, 0.9}, 0.5)
	if mask[0] || !mask[1] || mask[2] || !mask[3] {
		t.Fatalf("peak mask %v, want positions with 0.7 and 0.9", mask)
	}
	l, d := s.AnchoredLoss(0.8, 0.5, 2)
	near(t, "anchored loss", l, 0.01*0.09, 1e-12)
	near(t, "anchored dH", d, 2*0.01*0.3/2, 1e-12)
}

// Card A4: pi_old = [0.6, 0.3, 0.09, 0.01], kappa 0.02.
func TestLpRegCard(t *testing.T) {
	l := LpReg{Kappa: 0.02, LowProbQuantile: 0.01, Beta: 1}
	proxy := l.Proxy([]float64{0.6, 0.3, 0.09, 0.01})
	for i, w := range []float64{0.6061, 0.3030, 0.0909, 0} {
		near(t, "proxy", proxy[i], w, 1e-4)
	}
	z := []float32{float32(math.Log(0.6)), float32(math.Log(0.3)), float32(math.Log(0.09)), float32(math.Log(0.01))}
	grad := make([]float64, 4)
	near(t, "KL(proxy || pi_old)", l.KL(proxy, z, grad), 0.01005, 1e-5)
	for v := range z {
		zp := append([]float32(nil), z...)
		zp[v] += 1e-3
		zm := append([]float32(nil), z...)
		zm[v] -= 1e-3
		g := make([]float64, 4)
		near(t, "dKL/dz", grad[v], (l.KL(proxy, zp, g)-l.KL(proxy, zm, g))/2e-3, 1e-5)
	}
	near(t, "threshold", l.Threshold([]float64{0.5, 0.1, 0.9, 0.3}), 0.1, 0)
}

// Card A5: logps given x [-0.1,-0.2], alone [-1.0,-1.2].
func TestSARCard(t *testing.T) {
	near(t, "SAR", SAR([]float64{-0.1, -0.2}, []float64{-1.0, -1.2}, 1), 0.6133, 1e-4)
	near(t, "SAR clip", SAR([]float64{-5}, []float64{-0.1}, 1), -1, 0)
}

// Card A6: beta_v 0.1, c = -10, logp(z) = -8, r = 1, alpha 0.1.
func TestLaSeRCard(t *testing.T) {
	l := LaSeR{Alpha: 0.1, BetaV: 0.1}
	near(t, "s", l.Score(-8, -10), 0.2, 1e-12)
	v, d := l.Term(-8, -10, 1)
	near(t, "term", v, 0.64*0.1, 1e-12)
	near(t, "d term / d logp(z)", d, -0.016, 1e-12)
}
