package tensor

import "math"

// Exp is a float32 exponential accurate to about 2 ulp, several times faster
// than math.Exp. Every softmax in the engine (training and sampling) uses it,
// so recorded and recomputed log-probabilities agree.
//
// exp(x) = 2^n * exp(r) with n = round(x / ln 2) and |r| <= ln2 / 2; exp(r)
// is a degree-6 Taylor polynomial in r evaluated by Horner's rule.
func Exp(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -87.33654 {
		return 0
	}
	if x != x {
		return x
	}
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.0 / 720)
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	e := int32(n)
	switch {
	case e > 127: // 2^128 overflows the exponent field: scale in two steps
		return p * math.Float32frombits(uint32(e+126)<<23) * 2
	case e < -126: // below the normal range
		return p * math.Float32frombits(uint32(e+128)<<23) * 0.25
	}
	return p * math.Float32frombits(uint32(e+127)<<23)
}

// Softmax writes the softmax of x into p (which may alias x) and returns the
// log of the normaliser, log(sum exp(x)), so that log p_i = x_i - lse.
func Softmax(p, x []float32) (lse float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	p = p[:len(x)]
	ExpShift(p, x, mx)
	var sum float32
	for _, e := range p {
		sum += e
	}
	inv := 1 / sum
	for i := range p {
		p[i] *= inv
	}
	return mx + float32(math.Log(float64(sum)))
}

// Dot returns sum_i a[i]*b[i]. With AVX2 it runs an assembly kernel
// (four 8-lane FMA accumulators); otherwise four scalar accumulators.
// The summation order depends only on len(a), so results are reproducible.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	if useAVX2 && len(a) > 0 {
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return dotGo(a, b)
}

func dotGo(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Axpy sets y += alpha*x (fused multiply-add with AVX2).
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	if useAVX2 && len(x) > 0 {
		axpyAVX2(alpha, &x[0], &y[0], len(x))
		return
	}
	axpyGo(alpha, x, y)
}

func axpyGo(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Softmax64 returns softmax(z) and log(sum exp(z)) in float64, for the
// regularisers and control policies that need exact probabilities of a
// logits row (the training path uses the float32 Softmax).
func Softmax64(z []float32) (p []float64, lse float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, float64(v))
	}
	p = make([]float64, len(z))
	var sum float64
	for i, v := range z {
		p[i] = math.Exp(float64(v) - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p, mx + math.Log(sum)
}

// expConsts are the float32 constants of Exp as bits, for the vector forms
// (exp_amd64.s); the same expressions give the same roundings.
var expConsts = [...]uint32{
	math.Float32bits(1.44269504088896341), math.Float32bits(0.5),
	math.Float32bits(0.693359375), math.Float32bits(-2.12194440e-4),
	math.Float32bits(1.0 / 720), math.Float32bits(1.0 / 120), math.Float32bits(1.0 / 24), math.Float32bits(1.0 / 6),
	math.Float32bits(1), 127, 1 << 31, math.Float32bits(88), math.Float32bits(-87),
}

// ExpShift sets dst[i] = Exp(src[i] - shift) (dst may alias src), eight at
// a time with AVX2. Every element is bit for bit what Exp gives.
func ExpShift(dst, src []float32, shift float32) {
	dst = dst[:len(src)]
	for i := 0; i < len(src); {
		if useAVX2 && len(src)-i >= 8 {
			i += expShiftAVX2(&dst[i], &src[i], len(src)-i, shift, &expConsts[0])
		}
		// The tail, or a vector with an input the assembly leaves to Exp.
		for end := min(i+8, len(src)); i < end; i++ {
			dst[i] = Exp(src[i] - shift)
		}
	}
}

// SwiGLU sets h[i] = silu(gate[i]) * up[i], silu(a) = a*s with
// s = 1/(1+Exp(-a)), eight at a time with AVX2 (the same bits as the
// scalar loop).
func SwiGLU(h, gate, up []float32) {
	up = up[:len(gate)]
	h = h[:len(gate)]
	for i := 0; i < len(gate); {
		if useAVX2 && len(gate)-i >= 8 {
			i += swigluForwardAVX2(&h[i], &gate[i], &up[i], len(gate)-i, &expConsts[0])
		}
		for end := min(i+8, len(gate)); i < end; i++ {
			a := gate[i]
			s := 1 / (1 + Exp(-a))
			h[i] = a * s * up[i]
		}
	}
}

// SwiGLUGrad accumulates dgate += dh * up * silu'(gate) and
// dup += dh * silu(gate), with silu'(a) = s + a*s*(1-s), s = sigmoid(a),
// eight at a time with AVX2 (the same bits as the scalar loop).
func SwiGLUGrad(dgate, dup, dh, gate, up []float32) {
	up = up[:len(gate)]
	dh = dh[:len(gate)]
	dgate = dgate[:len(gate)]
	dup = dup[:len(gate)]
	for i := 0; i < len(gate); {
		if useAVX2 && len(gate)-i >= 8 {
			i += swigluBackwardAVX2(&dgate[i], &dup[i], &dh[i], &gate[i], &up[i], len(gate)-i, &expConsts[0])
		}
		for end := min(i+8, len(gate)); i < end; i++ {
			a := gate[i]
			s := 1 / (1 + Exp(-a))
			dup[i] += dh[i] * a * s
			dgate[i] += dh[i] * up[i] * (s + a*s*(1-s))
		}
	}
}

// DotRows sets dst[j] = Dot(q, K[j*stride : j*stride+len(q)]) for every j
// < len(dst) in one call (the scores of a query against a key cache), each
// with exactly Dot's bits.
func DotRows(dst, q, K []float32, stride int) {
	L, n := len(dst), len(q)
	if L == 0 {
		return
	}
	if n == 0 {
		clear(dst)
		return
	}
	_ = K[(L-1)*stride+n-1]
	if useAVX2 {
		dotRowsAVX2(&dst[0], &q[0], &K[0], stride, n, L)
		return
	}
	for j := range dst {
		dst[j] = dotGo(q, K[j*stride:j*stride+n])
	}
}

// AxpyRows adds p[j] * V[j*stride : j*stride+len(out)] into out for j = 0,
// 1, ..., len(p)-1 in turn: the same bits as len(p) calls of Axpy, with out
// kept in registers across the keys.
func AxpyRows(out, p, V []float32, stride int) {
	L, n := len(p), len(out)
	if L == 0 || n == 0 {
		return
	}
	_ = V[(L-1)*stride+n-1]
	if useAVX2 {
		axpyRowsAVX2(&out[0], &p[0], &V[0], stride, n, L)
		return
	}
	for j, pj := range p {
		axpyGo(pj, V[j*stride:j*stride+n], out)
	}
}
