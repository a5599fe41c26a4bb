package rl

import (
	"math"
	"testing"
)

// The card's example (D7).
func TestORPOCardExample(t *testing.T) {
	o := ORPO{RegType: "sqrt_chi2", Coef: 0.0008, LogRatioClip: 10, Chi2Floor: 1e-4}
	L := []float64{0.5, -0.3, 1.0, 0.0}
	want := []float64{0.255252, 0.090677, 1.086161, 0}
	for i, l := range L {
		if c, _, _, _ := o.ratioTerms(l); math.Abs(c-want[i]) > 1e-6 {
			t.Fatalf("chi2 term of L=%v: %.6f, want %.6f", l, c, want[i])
		}
	}
	chi2, kl := o.Estimates(L)
	if math.Abs(chi2-0.358023) > 1e-6 || math.Abs(math.Sqrt(chi2)-0.598350) > 1e-6 || math.Abs(kl-0.131067) > 1e-6 {
		t.Fatalf("chi2^, sqrt, KL^ = %.6f, %.6f, %.6f; want 0.358023, 0.598350, 0.131067", chi2, math.Sqrt(chi2), kl)
	}
	if v, _ := o.Regularizer(L); math.Abs(v-0.00047868) > 1e-8 {
		t.Fatalf("added loss %.8f, want 0.00047868", v)
	}
	if c, _, _, _ := o.ratioTerms(12); math.Abs(c-66077.3974) > 1e-3 {
		t.Fatalf("clip branch a(12)+b(12) = %.4f, want 66077.3974", c)
	}
}

func TestORPOGradientFiniteDifference(t *testing.T) {
	L := []float64{0.5, -0.3, 1.0, 0.0, 10.5, -11}
	for _, reg := range []string{"kl", "chi2", "sqrt_chi2"} {
		o := ORPO{RegType: reg, Coef: 0.3, LogRatioClip: 10, Chi2Floor: 1e-4}
		_, dL := o.Regularizer(L)
		for i := range L {
			const h = 1e-6
			p := append([]float64{}, L...)
			m := append([]float64{}, L...)
			p[i] += h
			m[i] -= h
			vp, _ := o.Regularizer(p)
			vm, _ := o.Regularizer(m)
			if fd := (vp - vm) / (2 * h); math.Abs(fd-dL[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s: dL[%d] = %v, finite difference %v", reg, i, dL[i], fd)
			}
		}
	}
	// Below the floor sqrt_chi2 has no gradient; none has neither value nor gradient.
	o := ORPO{RegType: "sqrt_chi2", Coef: 1, LogRatioClip: 10, Chi2Floor: 1e-4}
	if v, dL := o.Regularizer([]float64{0, 0}); v != 0.01 || dL[0] != 0 {
		t.Fatalf("at L=0: value %v (want sqrt(1e-4) = 0.01), gradient %v", v, dL)
	}
	o.RegType = "none"
	if v, dL := o.Regularizer(L); v != 0 || dL[0] != 0 {
		t.Fatal("none regularises")
	}
	if (ORPO{RegType: "l2", LogRatioClip: 1, Chi2Floor: 1}).Validate() == nil {
		t.Fatal("unknown reg_type validated")
	}
}
