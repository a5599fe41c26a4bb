package rl

import (
	"math"
	"slices"
	"testing"
)

// The card's numbers (D9).
func TestInternalRLIntegrate(t *testing.T) {
	z := []float64{0, 0}
	steps := []struct {
		sample, beta, want []float64
	}{
		{[]float64{1, 2}, []float64{0.25}, []float64{0.25, 0.5}},
		{[]float64{7, 7}, []float64{0}, []float64{0.25, 0.5}}, // β = 0 keeps the code
		{[]float64{-1, 0}, []float64{1}, []float64{-1, 0}},    // β = 1 switches
	}
	for i, s := range steps {
		got, err := Integrate(z, s.sample, s.beta)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d: z = %v, want %v", i, got, s.want)
		}
		z = got
	}
	if _, err := Integrate(z, []float64{1}, []float64{0.5}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := Integrate(z, []float64{1, 1}, []float64{1.5}); err == nil {
		t.Error("β > 1: no error")
	}
}

func TestInternalRLController(t *testing.T) {
	// e = [1, 2], B = [[1], [0]], A = [[0, 1]]: U = [[0, 1], [0, 0]], Ue = [2, 0].
	got, err := Controller([]float64{1, 2}, []float64{1, 0}, []float64{0, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []float64{3, 2}) {
		t.Errorf("ê = %v, want [3 2]", got)
	}
	if _, err := Controller([]float64{1, 2}, []float64{1}, []float64{0, 1}, 1); err == nil {
		t.Error("bad B: no error")
	}
}

func TestInternalRLGaussians(t *testing.T) {
	kl := GaussianKL([]float64{1, 0}, []float64{0, math.Log(2)})
	if math.Abs(kl-0.6534) > 1e-4 || math.Abs(0.5*kl-0.3267) > 1e-4 {
		t.Errorf("KL = %v (β-weighted %v), want 0.6534 (0.3267)", kl, 0.5*kl)
	}
	if lp := GaussianLogDensity([]float64{0.5, -0.5}, []float64{0, 0}, []float64{0, 0}); math.Abs(lp+2.0879) > 1e-4 {
		t.Errorf("log-density = %v, want -2.0879", lp)
	}
	if got := SwitchSteps([]float64{0.1, 0.9, 0.5, 0.2, 0.51}, 0.5); !slices.Equal(got, []int{0, 1, 4}) {
		t.Errorf("switch steps %v, want [0 1 4]", got)
	}
}
