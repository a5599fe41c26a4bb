package rl

import (
	"math"
	"testing"
)

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Card D6, test (a): the binary target.
func TestBinaryTargetCard(t *testing.T) {
	Z, p := BinaryTarget(0.2, 0.5)
	if !approx(Z, 2.2778, 1e-4) || !approx(math.Log(Z), 0.8232, 1e-4) || !approx(p, 0.6488, 1e-4) {
		t.Fatalf("Z %.4f log Z %.4f p* %.4f; want 2.2778 0.8232 0.6488", Z, math.Log(Z), p)
	}
	if kl := BinaryKL(0.9, p); !approx(kl, 0.1689, 1e-4) {
		t.Fatalf("KL_bin %.4f, want 0.1689", kl)
	}
	if b := EffectiveBeta(0.9, 0.2); !approx(b, 1/math.Log(36), 1e-12) || !approx(b, 0.2791, 1e-4) {
		t.Fatalf("beta_eff %.4f, want 0.2791", b)
	}
	// A policy with p = 0.9 and the prior's shape within each level: the
	// enumerated KL equals KL_bin and the within-level terms vanish.
	pi0 := []float64{0.1, 0.1, 0.3, 0.5}
	r := []float64{1, 1, 0, 0}
	pi := []float64{0.45, 0.45, 0.1 * 0.3 / 0.8, 0.1 * 0.5 / 0.8}
	rep, err := TargetKL(pi, pi0, r, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !approx(rep.KL, 0.1689, 1e-4) || !approx(rep.KLBin, rep.KL, 1e-12) || rep.KLRight > 1e-12 || rep.KLWrong > 1e-12 {
		t.Fatalf("%+v", rep)
	}
}

// Card D6, test (b): the enumerated target, the identity J = beta log Z -
// beta KL(pi || pi*) and the within-right entropy.
func TestTargetKLCard(t *testing.T) {
	pi0 := []float64{0.1, 0.1, 0.3, 0.5}
	r := []float64{1, 1, 0, 0}
	collapsed, err := TargetKL([]float64{1, 0, 0, 0}, pi0, r, 1)
	if err != nil {
		t.Fatal(err)
	}
	Z := math.Exp(collapsed.LogZ)
	if !approx(Z, 1.3437, 1e-4) || !approx(collapsed.LogZ, 0.2954, 1e-4) || !approx(collapsed.KL, 1.5980, 1e-4) {
		t.Fatalf("Z %.4f beta log Z %.4f KL %.4f; want 1.3437 0.2954 1.5980", Z, collapsed.LogZ, collapsed.KL)
	}
	if !approx(collapsed.J, 1-math.Log(10), 1e-12) || !approx(collapsed.J, collapsed.LogZ-collapsed.KL, 1e-12) {
		t.Fatalf("J %.4f, want 1 - ln 10 = -1.3026 = log Z - KL", collapsed.J)
	}
	for i, want := range []float64{0.2023, 0.2023, 0.2233, 0.3721} {
		if got := pi0[i] * math.Exp(r[i]) / Z; !approx(got, want, 1e-4) {
			t.Fatalf("pi*[%d] = %.4f, want %.4f", i, got, want)
		}
	}
	half, _ := TargetKL([]float64{0.45, 0.45, 0.05, 0.05}, pi0, r, 1)
	if !approx(half.KL, 0.5443, 1e-4) || !approx(half.HRight0, math.Ln2, 1e-12) || !approx(half.HRight, math.Ln2, 1e-12) {
		t.Fatalf("KL %.4f (want 0.5443), H0(C) %.4f (want ln 2)", half.KL, half.HRight0)
	}
	// The chain rule: KL = KL_bin + p KL(C) + (1-p) KL(W).
	for _, rep := range []TargetReport{collapsed, half} {
		if sum := rep.KLBin + rep.P*rep.KLRight + (1-rep.P)*rep.KLWrong; !approx(sum, rep.KL, 1e-12) {
			t.Fatalf("chain rule: %v != %v", sum, rep.KL)
		}
	}
	// The target itself: KL 0, accuracy p*.
	star := make([]float64, 4)
	for i := range star {
		star[i] = pi0[i] * math.Exp(r[i]) / Z
	}
	at, _ := TargetKL(star, pi0, r, 1)
	if at.KL > 1e-12 || !approx(at.P, at.PStar, 1e-12) {
		t.Fatalf("at the target: %+v", at)
	}
}

// A rest atom (mass outside the set, reward 0) counts like a wrong answer.
func TestTargetKLRest(t *testing.T) {
	full, _ := TargetKL([]float64{0.3, 0.2, 0.5}, []float64{0.2, 0.2, 0.6}, []float64{1, 0, 0}, 0.7)
	part, _ := TargetKL([]float64{0.3, 0.2}, []float64{0.2, 0.2}, []float64{1, 0}, 0.7)
	if !approx(full.KL, part.KL, 1e-12) || !approx(part.Rest, 0.5, 1e-12) || !approx(full.J, part.J, 1e-12) {
		t.Fatalf("full %+v\npart %+v", full, part)
	}
	if _, err := TargetKL([]float64{1}, []float64{1, 0}, []float64{1}, 1); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
}

func TestDPGWeights(t *testing.T) {
	// Sampling from the prior itself: w ∝ e^{r/beta}.
	w := DPGWeights([]float64{1, 0, 0, 1}, []float64{-1, -2, -3, -4}, []float64{-1, -2, -3, -4}, 0.5)
	e := math.Exp(2)
	for i, want := range []float64{e / (2*e + 2), 1 / (2*e + 2), 1 / (2*e + 2), e / (2*e + 2)} {
		if !approx(w[i], want, 1e-12) {
			t.Fatalf("w = %v", w)
		}
	}
	if r := KLRLReward(1, -2, -3, 0.1); !approx(r, 0.9, 1e-12) {
		t.Fatalf("KL-RL reward %v, want 0.9", r)
	}
}
