package rl

import (
	"math"
	"math/rand/v2"
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

// The metacontroller's Backward matches central finite differences of
// L = Σ_t g_t · ê_t + R for every parameter tensor, along a random
// direction.
func TestMetacontrollerGradFiniteDifference(t *testing.T) {
	const d, nz, rank, hidden, n = 6, 3, 2, 5, 7
	r := rand.New(rand.NewPCG(1, 3))
	mc, err := NewMetacontroller(d, nz, rank, hidden, n, r)
	if err != nil {
		t.Fatal(err)
	}
	// Larger weights than the initialisation, so every path matters.
	for _, p := range mc.Params() {
		p.InitNormal(r, 0.5)
	}
	e, g := make([]float32, n*d), make([]float32, n*d)
	for i := range e {
		e[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	eps := make([]float64, n*nz)
	for i := range eps {
		eps[i] = r.NormFloat64()
	}
	out := make([]float32, n*d)
	loss := func() float64 {
		R, _ := mc.Forward(out, e, n, eps, 0.3, 0.2)
		for i := range out {
			R += float64(g[i]) * float64(out[i]-e[i])
		}
		return R
	}
	loss()
	for _, p := range mc.Params() {
		p.ZeroGrad()
	}
	mc.Backward(g)
	for _, p := range mc.Params() {
		dir := make([]float32, len(p.W))
		var analytic float64
		for i := range dir {
			dir[i] = float32(r.NormFloat64())
			analytic += float64(p.G[i] * dir[i])
		}
		w0 := append([]float32(nil), p.W...)
		const h = 1e-3
		for i := range p.W {
			p.W[i] = w0[i] + h*dir[i]
		}
		up := loss()
		for i := range p.W {
			p.W[i] = w0[i] - h*dir[i]
		}
		down := loss()
		copy(p.W, w0)
		numeric := (up - down) / (2 * h)
		if math.Abs(analytic-numeric) > 2e-3+1e-2*math.Abs(numeric) {
			t.Errorf("%s: analytic %.5f, finite difference %.5f", p.Name, analytic, numeric)
		}
	}
	// β_1 is 1 and the others lie in (0, 1).
	_, beta := mc.Forward(out, e, n, eps, 0.3, 0.2)
	if beta[0] != 1 {
		t.Errorf("β_1 = %v, want 1", beta[0])
	}
	for _, b := range beta[1:] {
		if !(b > 0 && b < 1) {
			t.Errorf("β %v outside (0, 1)", b)
		}
	}
}
