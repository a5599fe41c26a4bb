package control

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autodidact-rl/autodidact/tensor"
)

// TestEnsembleMatchesMLP: the fused ensemble path gives each member's
// nn.MLP outputs, weight gradients and (summed) input gradients, with 1
// and 2 threads, for every member count of the forward, and a prefix
// forward leaves the other members' gradients untouched.
func TestEnsembleMatchesMLP(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	for _, tc := range []struct {
		K, n, threads int
		sizes         []int
	}{
		{2, 2, 1, []int{5, 16, 16, 1}},
		{2, 2, 2, []int{5, 16, 16, 1}},
		{2, 1, 2, []int{5, 16, 16, 1}},
		{1, 1, 1, []int{3, 8, 8, 8, 4}},
		{4, 3, 2, []int{6, 12, 1}},
		{1, 1, 2, []int{3, 4}},
	} {
		tensor.SetThreads(tc.threads)
		r := rand.New(rand.NewPCG(1, 2))
		rows := 37
		e, err := newEnsemble("q", tc.K, tc.sizes, rows, r)
		if err != nil {
			t.Fatal(err)
		}
		// Non-zero biases so their gradients and values are exercised.
		for _, p := range e.params() {
			for i := range p.W {
				p.W[i] += float32(r.NormFloat64() * 0.1)
			}
		}
		in, out := tc.sizes[0], tc.sizes[len(tc.sizes)-1]
		x := make([]float32, rows*in)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		dout := make([]float32, rows*tc.K*out)
		for i := range dout {
			dout[i] = float32(r.NormFloat64())
		}
		y := append([]float32(nil), e.forward(x, rows, tc.n)...)
		e.zeroGrad()
		dx := append([]float32(nil), e.backward(dout, true, true)...)
		wantDx := make([]float64, rows*in)
		for k := 0; k < tc.K; k++ {
			m := e.members[k]
			fast := make([][]float32, 0)
			for _, p := range m.Params() {
				fast = append(fast, append([]float32(nil), p.G...))
				clear(p.G)
			}
			if k >= tc.n {
				for pi, g := range fast {
					for _, v := range g {
						if v != 0 {
							t.Fatalf("K=%d n=%d: member %d (not run) param %d has gradient %v", tc.K, tc.n, k, pi, v)
						}
					}
				}
				continue
			}
			ref := nnRef(t, m, x, rows)
			for i := 0; i < rows; i++ {
				for o := 0; o < out; o++ {
					if d := math.Abs(float64(ref[i*out+o] - y[i*tc.K*out+k*out+o])); d > 1e-4 {
						t.Fatalf("K=%d member %d row %d: output %v, nn %v", tc.K, k, i, y[i*tc.K*out+k*out+o], ref[i*out+o])
					}
				}
			}
			d := make([]float32, rows*out)
			for i := 0; i < rows; i++ {
				copy(d[i*out:(i+1)*out], dout[i*tc.K*out+k*out:])
			}
			rdx := m.Backward(d, rows)
			for i, v := range rdx {
				wantDx[i] += float64(v)
			}
			for pi, p := range m.Params() {
				for i := range p.G {
					if d := math.Abs(float64(p.G[i] - fast[pi][i])); d > 1e-3*(1+math.Abs(float64(p.G[i]))) {
						t.Fatalf("K=%d member %d %s[%d]: gradient %v, nn %v", tc.K, k, p.Name, i, fast[pi][i], p.G[i])
					}
				}
			}
		}
		for i := range wantDx {
			if d := math.Abs(wantDx[i] - float64(dx[i])); d > 1e-3*(1+math.Abs(wantDx[i])) {
				t.Fatalf("K=%d n=%d dx[%d] = %v, want %v", tc.K, tc.n, i, dx[i], wantDx[i])
			}
		}
	}
}

func nnRef(t *testing.T, m interface {
	Forward([]float32, int) []float32
}, x []float32, rows int) []float32 {
	t.Helper()
	return append([]float32(nil), m.Forward(x, rows)...)
}
