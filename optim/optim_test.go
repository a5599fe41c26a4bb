package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/nn"
)

func TestAdamWFirstStepsByHand(t *testing.T) {
	w := nn.NewParam("w", 2, 1)
	w.W[0], w.W[1] = 1, -2
	b := nn.NewParam("b", 1) // 1-D: no weight decay
	b.W[0] = 0.5
	o := NewAdamW([]*nn.Param{w, b}, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1})
	w.G[0], w.G[1], b.G[0] = 0.3, -0.2, 4
	o.Step(0.01)
	// Step 1: mhat = g, vhat = g^2, update = sign(g) (+ wd*w for matrices).
	want := []float64{1 - 0.01*(1+0.1*1), -2 - 0.01*(-1+0.1*-2), 0.5 - 0.01*1}
	got := []float32{w.W[0], w.W[1], b.W[0]}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("step 1 param %d = %v, want %v", i, got[i], want[i])
		}
	}
	// Step 2 with gradient 0 on b: m = 0.9*0.4*... check against the formula.
	b.G[0] = 0
	o.Step(0.01)
	m := 0.9 * 0.1 * 4
	v := 0.999 * 0.001 * 16
	mh, vh := m/(1-0.81), v/(1-0.999*0.999)
	wantB := 0.5 - 0.01 - 0.01*mh/(math.Sqrt(vh)+1e-8)
	if math.Abs(float64(b.W[0])-wantB) > 1e-6 {
		t.Fatalf("step 2 bias = %v, want %v", b.W[0], wantB)
	}
}

func TestClipGradNorm(t *testing.T) {
	p := nn.NewParam("p", 2)
	p.G[0], p.G[1] = 3, 4
	norm, err := ClipGradNorm([]*nn.Param{p}, 1)
	if err != nil || math.Abs(norm-5) > 1e-9 {
		t.Fatalf("norm = %v, %v; want 5", norm, err)
	}
	if math.Abs(float64(p.G[0])-0.6) > 1e-5 || math.Abs(float64(p.G[1])-0.8) > 1e-5 {
		t.Fatalf("clipped = %v, want [0.6 0.8]", p.G)
	}
	p.G[1] = float32(math.Inf(1))
	if _, err := ClipGradNorm([]*nn.Param{p}, 1); err == nil || !strings.Contains(err.Error(), "p: element 1") {
		t.Fatalf("want an error naming p element 1, got %v", err)
	}
}

func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		s    Schedule
		step int
		want float64
	}{
		{Schedule{Kind: "constant", Warmup: 4}, 0, 0.25},
		{Schedule{Kind: "constant", Warmup: 4}, 3, 1},
		{Schedule{Kind: "constant", Warmup: 4}, 100, 1},
		{Schedule{Kind: "cosine", Warmup: 0, Total: 10, MinRatio: 0.1}, 0, 1},
		{Schedule{Kind: "cosine", Warmup: 0, Total: 10, MinRatio: 0.1}, 5, 0.55},
		{Schedule{Kind: "cosine", Warmup: 0, Total: 10, MinRatio: 0.1}, 10, 0.1},
		{Schedule{Kind: "linear", Warmup: 2, Total: 12, MinRatio: 0}, 7, 0.5},
	} {
		if got := tc.s.LR(tc.step, 1); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%+v step %d: lr = %v, want %v", tc.s, tc.step, got, tc.want)
		}
	}
	if err := (Schedule{Kind: "cosin"}).Validate(); err == nil {
		t.Error("unknown schedule kind must be an error")
	}
}
