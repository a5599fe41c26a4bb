package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The layer tests compare each float32 kernel with a float64 reference
// written independently here: forward outputs directly, and backward
// gradients against central finite differences of the float64 reference
// (step 1e-6, so the reference gradient is accurate to ~1e-9). The scalar
// loss is L = sum_i w_i y_i with fixed random weights w, so dL/dy = w.

func rnd(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// fd returns the gradient of f at x by central differences.
func fd(f func() float64, x []float64) []float64 {
	g := make([]float64, len(x))
	const h = 1e-6
	for i := range x {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func dot64(w []float32, y []float64) float64 {
	s := 0.0
	for i, v := range y {
		s += float64(w[i]) * v
	}
	return s
}

// assertClose fails if max|got-want| > tol * max(1, max|want|).
func assertClose(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	scale, worst, at := 1.0, 0.0, 0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst/scale > tol || math.IsNaN(worst) {
		t.Fatalf("%s: element %d = %v, want %v (max error %.3g relative to %.3g)", name, at, got[at], want[at], worst/scale, scale)
	}
}

func TestLinearGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	n, in, out := 5, 7, 6
	x, w, b := rnd(r, n*in, 1), rnd(r, out*in, 0.5), rnd(r, out, 0.5)
	lw := rnd(r, n*out, 1)
	x64, w64, b64 := to64(x), to64(w), to64(b)
	ref := func() []float64 {
		y := make([]float64, n*out)
		for i := 0; i < n; i++ {
			for o := 0; o < out; o++ {
				s := b64[o]
				for j := 0; j < in; j++ {
					s += x64[i*in+j] * w64[o*in+j]
				}
				y[i*out+o] = s
			}
		}
		return y
	}
	loss := func() float64 { return dot64(lw, ref()) }

	y := make([]float32, n*out)
	LinearForward(y, x, w, b, n, in, out)
	assertClose(t, "linear y", y, ref(), 1e-5)
	dx, dw, db := make([]float32, n*in), make([]float32, out*in), make([]float32, out)
	LinearBackward(dx, dw, db, lw, x, w, n, in, out)
	assertClose(t, "linear dx", dx, fd(loss, x64), 1e-5)
	assertClose(t, "linear dW", dw, fd(loss, w64), 1e-5)
	assertClose(t, "linear db", db, fd(loss, b64), 1e-5)
}

func TestEmbeddingGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	vocab, d := 5, 3
	tokens := []int32{1, 4, 1, 0}
	w := rnd(r, vocab*d, 1)
	lw := rnd(r, len(tokens)*d, 1)
	w64 := to64(w)
	ref := func() []float64 {
		y := make([]float64, len(tokens)*d)
		for i, tok := range tokens {
			copy(y[i*d:], w64[int(tok)*d:int(tok+1)*d])
		}
		return y
	}
	out := make([]float32, len(tokens)*d)
	if err := EmbeddingForward(out, w, tokens, vocab, d); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "embedding y", out, ref(), 0)
	dw := make([]float32, vocab*d)
	EmbeddingBackward(dw, lw, tokens, d)
	assertClose(t, "embedding dW", dw, fd(func() float64 { return dot64(lw, ref()) }, w64), 1e-6)
	if err := EmbeddingForward(out, w, []int32{2, 9}, vocab, d); err == nil {
		t.Fatal("token 9 outside a vocabulary of 5 must be an error")
	}
}

func TestRMSNormGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	n, d := 4, 8
	eps := float32(1e-5)
	x, g := rnd(r, n*d, 1), rnd(r, d, 1)
	lw := rnd(r, n*d, 1)
	x64, g64 := to64(x), to64(g)
	ref := func() []float64 {
		y := make([]float64, n*d)
		for i := 0; i < n; i++ {
			ss := 0.0
			for j := 0; j < d; j++ {
				ss += x64[i*d+j] * x64[i*d+j]
			}
			rs := 1 / math.Sqrt(ss/float64(d)+float64(eps))
			for j := 0; j < d; j++ {
				y[i*d+j] = x64[i*d+j] * rs * g64[j]
			}
		}
		return y
	}
	loss := func() float64 { return dot64(lw, ref()) }
	y, rstd := make([]float32, n*d), make([]float32, n)
	RMSNormForward(y, rstd, x, g, n, d, eps)
	assertClose(t, "rmsnorm y", y, ref(), 1e-6)
	dx, dg := make([]float32, n*d), make([]float32, d)
	RMSNormBackward(dx, dg, lw, x, g, rstd, n, d)
	assertClose(t, "rmsnorm dx", dx, fd(loss, x64), 1e-5)
	assertClose(t, "rmsnorm dg", dg, fd(loss, g64), 1e-5)
}

func TestRopeMatchesDefinitionAndBackwardIsTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	hd, heads, theta := 8, 2, 10000.0
	rope := NewRope(hd, 16, theta)
	for _, pos := range []int{0, 3, 15} {
		x := rnd(r, heads*hd, 1)
		want := make([]float64, len(x))
		for h := 0; h < heads; h++ {
			for i := 0; i < hd/2; i++ {
				a := float64(pos) * math.Pow(theta, -float64(2*i)/float64(hd))
				x0, x1 := float64(x[h*hd+i]), float64(x[h*hd+i+hd/2])
				want[h*hd+i] = x0*math.Cos(a) - x1*math.Sin(a)
				want[h*hd+i+hd/2] = x1*math.Cos(a) + x0*math.Sin(a)
			}
		}
		y := append([]float32(nil), x...)
		rope.Apply(y, heads, pos)
		assertClose(t, "rope", y, want, 1e-6)
		// <Apply(x), u> must equal <x, Backward(u)> for the backward pass.
		u := rnd(r, heads*hd, 1)
		bu := append([]float32(nil), u...)
		rope.Backward(bu, heads, pos)
		lhs, rhs := dot64(u, to64(y)), dot64(bu, to64(x))
		if math.Abs(lhs-rhs) > 1e-5 {
			t.Fatalf("pos %d: <R x, u> = %v but <x, R^T u> = %v", pos, lhs, rhs)
		}
	}
}

func TestSwiGLUGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 20
	gate, up := rnd(r, n, 2), rnd(r, n, 1)
	lw := rnd(r, n, 1)
	g64, u64 := to64(gate), to64(up)
	ref := func() []float64 {
		y := make([]float64, n)
		for i := range y {
			y[i] = g64[i] / (1 + math.Exp(-g64[i])) * u64[i]
		}
		return y
	}
	loss := func() float64 { return dot64(lw, ref()) }
	h := make([]float32, n)
	SwiGLUForward(h, gate, up)
	assertClose(t, "swiglu h", h, ref(), 1e-6)
	dg, du := make([]float32, n), make([]float32, n)
	SwiGLUBackward(dg, du, lw, gate, up)
	assertClose(t, "swiglu dgate", dg, fd(loss, g64), 1e-5)
	assertClose(t, "swiglu dup", du, fd(loss, u64), 1e-5)
}

// refAttention is causal grouped-query attention in float64 with the same
// layout and segment rule as Attention.Forward.
func refAttention(q, k, v []float64, start []int32, B, T, H, KVH, hd int) []float64 {
	out := make([]float64, B*T*H*hd)
	qw, kw := H*hd, KVH*hd
	scale := 1 / math.Sqrt(float64(hd))
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			g := h / (H / KVH)
			for i := 0; i < T; i++ {
				st := 0
				if start != nil {
					st = int(start[b*T+i])
				}
				s := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := st; j <= i; j++ {
					for d := 0; d < hd; d++ {
						s[j] += q[(b*T+i)*qw+h*hd+d] * k[(b*T+j)*kw+g*hd+d]
					}
					s[j] *= scale
					mx = math.Max(mx, s[j])
				}
				sum := 0.0
				for j := st; j <= i; j++ {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j := st; j <= i; j++ {
					for d := 0; d < hd; d++ {
						out[(b*T+i)*qw+h*hd+d] += s[j] / sum * v[(b*T+j)*kw+g*hd+d]
					}
				}
			}
		}
	}
	return out
}

func TestAttentionGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, tc := range []struct {
		name         string
		B, T, H, KVH int
		hd           int
		packed       bool
	}{
		{"mha", 2, 5, 2, 2, 4, false},
		{"gqa-two-blocks", 2, 37, 4, 2, 4, false},
		{"packed", 1, 36, 2, 1, 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			B, T, H, KVH, hd := tc.B, tc.T, tc.H, tc.KVH, tc.hd
			var start []int32
			if tc.packed { // three sequences in one row: [0,10), [10,33), [33,36)
				start = make([]int32, T)
				for i := range start {
					switch {
					case i >= 33:
						start[i] = 33
					case i >= 10:
						start[i] = 10
					}
				}
			}
			q, k, v := rnd(r, B*T*H*hd, 1), rnd(r, B*T*KVH*hd, 1), rnd(r, B*T*KVH*hd, 1)
			lw := rnd(r, B*T*H*hd, 1)
			q64, k64, v64 := to64(q), to64(k), to64(v)
			loss := func() float64 { return dot64(lw, refAttention(q64, k64, v64, start, B, T, H, KVH, hd)) }
			a := &Attention{Heads: H, KVHeads: KVH, HeadDim: hd}
			out, probs, dprobs := make([]float32, len(q)), make([]float32, B*H*T*T), make([]float32, B*H*T*T)
			a.Forward(out, probs, q, k, v, start, B, T)
			assertClose(t, "attention out", out, refAttention(q64, k64, v64, start, B, T, H, KVH, hd), 1e-5)
			dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
			a.Backward(dq, dk, dv, dprobs, lw, probs, q, k, v, start, B, T)
			assertClose(t, "attention dq", dq, fd(loss, q64), 1e-4)
			assertClose(t, "attention dk", dk, fd(loss, k64), 1e-4)
			assertClose(t, "attention dv", dv, fd(loss, v64), 1e-4)
		})
	}
}

func TestAttendOneMatchesForward(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	T, H, KVH, hd := 9, 4, 2, 8
	a := &Attention{Heads: H, KVHeads: KVH, HeadDim: hd}
	q, k, v := rnd(r, T*H*hd, 1), rnd(r, T*KVH*hd, 1), rnd(r, T*KVH*hd, 1)
	out, probs := make([]float32, len(q)), make([]float32, H*T*T)
	a.Forward(out, probs, q, k, v, nil, 1, T)
	// Lay the cache out per kv head: [KVH, T, hd].
	kc, vc := make([]float32, KVH*T*hd), make([]float32, KVH*T*hd)
	for g := 0; g < KVH; g++ {
		for j := 0; j < T; j++ {
			copy(kc[g*T*hd+j*hd:], k[j*KVH*hd+g*hd:j*KVH*hd+(g+1)*hd])
			copy(vc[g*T*hd+j*hd:], v[j*KVH*hd+g*hd:j*KVH*hd+(g+1)*hd])
		}
	}
	one, scores := make([]float32, H*hd), make([]float32, T)
	for i := 0; i < T; i++ {
		a.AttendOne(one, q[i*H*hd:(i+1)*H*hd], kc, vc, T*hd, i+1, scores)
		assertClose(t, "AttendOne", one, to64(out[i*H*hd:(i+1)*H*hd]), 1e-6)
	}
}

func TestMLPGradients(t *testing.T) {
	for _, act := range []Activation{Tanh, ReLU} {
		r := rand.New(rand.NewPCG(8, 8))
		m, err := NewMLP("pi", []int{3, 5, 4, 2}, act, 6, r)
		if err != nil {
			t.Fatal(err)
		}
		n := 6
		x := rnd(r, n*3, 1)
		lw := rnd(r, n*2, 1)
		x64 := to64(x)
		ws, bs := make([][]float64, 3), make([][]float64, 3)
		for i := range ws {
			ws[i], bs[i] = to64(m.Weights[i].W), to64(m.Biases[i].W)
		}
		ref := func() []float64 {
			h := x64
			for l := 0; l < 3; l++ {
				in, out := m.Sizes[l], m.Sizes[l+1]
				y := make([]float64, n*out)
				for i := 0; i < n; i++ {
					for o := 0; o < out; o++ {
						s := bs[l][o]
						for j := 0; j < in; j++ {
							s += h[i*in+j] * ws[l][o*in+j]
						}
						if l < 2 {
							if act == Tanh {
								s = math.Tanh(s)
							} else {
								s = math.Max(s, 0)
							}
						}
						y[i*out+o] = s
					}
				}
				h = y
			}
			return h
		}
		loss := func() float64 { return dot64(lw, ref()) }
		assertClose(t, string(act)+" mlp out", m.Forward(x, n), ref(), 1e-5)
		dx := m.Backward(lw, n)
		assertClose(t, string(act)+" mlp dx", dx, fd(loss, x64), 1e-4)
		for i := range ws {
			assertClose(t, string(act)+" mlp dW", m.Weights[i].G, fd(loss, ws[i]), 1e-4)
			assertClose(t, string(act)+" mlp db", m.Biases[i].G, fd(loss, bs[i]), 1e-4)
		}
	}
}

func TestRopeScaledFrequencies(t *testing.T) {
	hd, theta := 16, 10000.0
	a, b := NewRope(hd, 8, theta), NewRopeFreqs(hd, 8, RopeInvFreqs(hd, theta))
	for i := range a.Cos {
		if a.Cos[i] != b.Cos[i] || a.Sin[i] != b.Sin[i] {
			t.Fatal("NewRope and NewRopeFreqs(RopeInvFreqs) differ")
		}
	}
	inv := RopeInvFreqs(hd, theta)
	for i, f := range LinearScaledInvFreqs(inv, 4) {
		if f != inv[i]/4 {
			t.Fatalf("linear %d: %v", i, f)
		}
	}
	// Original context 32, low 1, high 4: wavelengths below 8 are kept,
	// above 32 divided by the factor, between blended.
	got := Llama3ScaledInvFreqs(inv, 8, 1, 4, 32)
	for i, f := range inv {
		w := 2 * math.Pi / f
		switch {
		case w < 8 && got[i] != f, w > 32 && got[i] != f/8:
			t.Fatalf("band %d (wavelength %.1f): %v from %v", i, w, got[i], f)
		case w >= 8 && w <= 32:
			s := (32/w - 1) / 3
			if want := (1-s)*f/8 + s*f; math.Abs(got[i]-want) > 1e-15 || !(got[i] < f && got[i] > f/8) {
				t.Fatalf("medium band %d: %v, want %v", i, got[i], want)
			}
		}
	}
}
