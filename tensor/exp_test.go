package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expInputs mixes ordinary values, every boundary of the fast path and of
// Exp's special cases, and non-finite values.
func expInputs(n int) []float32 {
	r := rand.New(rand.NewPCG(31, 32))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88, -87, 88.00001, -87.00001, 88.72283, 88.72284,
		-87.33654, -87.33655, 100, -100, -103.9, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		1e-30, -1e-30, 0.34657359, -0.34657359, 60.5, -60.5}
	x := make([]float32, 0, n)
	for len(x) < n {
		switch r.IntN(4) {
		case 0:
			x = append(x, special[r.IntN(len(special))])
		case 1:
			x = append(x, float32(r.NormFloat64()*30))
		case 2:
			x = append(x, math.Float32frombits(r.Uint32())) // any bit pattern
		default:
			x = append(x, float32(r.NormFloat64()*3))
		}
	}
	return x
}

func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// TestVectorExpMatchesScalar: ExpShift, SwiGLU and SwiGLUGrad give the
// scalar loops' bits on every element, whatever the length (tails) and
// alignment, with the assembly and without it.
func TestVectorExpMatchesScalar(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	x := expInputs(1 << 16)
	y := expInputs(1<<16 + 7)[7:]
	dh := expInputs(1<<16 + 3)[3:]
	for _, vec := range []bool{false, useAVX2} {
		useAVX2 = vec
		for _, n := range []int{0, 1, 7, 8, 9, 63, 1000, len(x) - 5} {
			for _, off := range []int{0, 1, 3} {
				src := x[off : off+n]
				got := make([]float32, n)
				ExpShift(got, src, 0.75)
				for i, v := range src {
					if w := Exp(v - 0.75); !sameBits(got[i], w) {
						t.Fatalf("avx2=%v ExpShift n=%d off=%d [%d]: Exp(%v-0.75) = %v, want %v", vec, n, off, i, v, got[i], w)
					}
				}
				up := y[off : off+n]
				h := make([]float32, n)
				SwiGLU(h, src, up)
				dg, du := append([]float32(nil), dh[:n]...), append([]float32(nil), y[:n]...)
				SwiGLUGrad(dg, du, dh[off:off+n], src, up)
				for i, a := range src {
					s := 1 / (1 + Exp(-a))
					if w := a * s * up[i]; !sameBits(h[i], w) {
						t.Fatalf("avx2=%v SwiGLU [%d] a=%v up=%v: %v, want %v", vec, i, a, up[i], h[i], w)
					}
					wu := y[i] + dh[off+i]*a*s
					wg := dh[i] + dh[off+i]*up[i]*(s+a*s*(1-s))
					if !sameBits(du[i], wu) || !sameBits(dg[i], wg) {
						t.Fatalf("avx2=%v SwiGLUGrad [%d] a=%v: dup %v dgate %v, want %v %v", vec, i, a, du[i], dg[i], wu, wg)
					}
				}
			}
		}
	}
}

// TestVectorExpCoversInRange: on ordinary inputs the assembly does every
// whole vector (the scalar fallback is for the rare out-of-range one).
func TestVectorExpCoversInRange(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(41, 42))
	x := make([]float32, 1003)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 20)
	}
	got := make([]float32, len(x))
	if done := expShiftAVX2(&got[0], &x[0], len(x), -1.5, &expConsts[0]); done != len(x)&^7 {
		t.Fatalf("expShiftAVX2 did %d of %d", done, len(x))
	}
	for i := range x[:len(x)&^7] {
		if w := Exp(x[i] + 1.5); !sameBits(got[i], w) {
			t.Fatalf("[%d] Exp(%v) = %v, want %v", i, x[i]+1.5, got[i], w)
		}
	}
	h, up := make([]float32, len(x)), make([]float32, len(x))
	if done := swigluForwardAVX2(&h[0], &x[0], &up[0], len(x), &expConsts[0]); done != len(x)&^7 {
		t.Fatalf("swigluForwardAVX2 did %d of %d", done, len(x))
	}
	if done := swigluBackwardAVX2(&h[0], &up[0], &got[0], &x[0], &up[0], len(x), &expConsts[0]); done != len(x)&^7 {
		t.Fatalf("swigluBackwardAVX2 did %d of %d", done, len(x))
	}
}

func BenchmarkSwiGLU(b *testing.B) {
	x, y := expInputs(2048*688), expInputs(2048*688)
	for i := range x {
		x[i] = float32(math.Mod(float64(x[i]), 10))
	}
	h := make([]float32, len(x))
	b.Run("forward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			SwiGLU(h, x, y)
		}
		b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
}

// TestRowsMatchSingleCalls: DotRows and AxpyRows give the bits of one Dot
// or Axpy call per key, for head sizes with and without tails.
func TestRowsMatchSingleCalls(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, n := range []int{1, 5, 8, 13, 32, 40, 64, 71, 128} {
		for _, L := range []int{1, 2, 17, 100} {
			stride := n + 3
			q, K := randSlice(r, n), randSlice(r, L*stride)
			p := randSlice(r, L)
			got := make([]float32, L)
			DotRows(got, q, K, stride)
			out, want := randSlice(r, n), make([]float32, n)
			copy(want, out)
			AxpyRows(out, p, K, stride)
			for j := 0; j < L; j++ {
				if w := Dot(q, K[j*stride:j*stride+n]); !sameBits(got[j], w) {
					t.Fatalf("n=%d L=%d: DotRows[%d] = %v, Dot gives %v", n, L, j, got[j], w)
				}
				Axpy(p[j], K[j*stride:j*stride+n], want)
			}
			for i := range out {
				if !sameBits(out[i], want[i]) {
					t.Fatalf("n=%d L=%d: AxpyRows[%d] = %v, Axpy calls give %v", n, L, i, out[i], want[i])
				}
			}
		}
	}
}
