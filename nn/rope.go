package nn

import "math"

// Rope holds the rotary-embedding tables for head dimension hd: for pair
// index i < hd/2 and position p, angle = p * theta^(-2i/hd). Pairs follow
// the Hugging Face Llama/Qwen2 "rotate_half" layout: element i is paired
// with element i + hd/2.
type Rope struct {
	HeadDim, MaxPos int
	Cos, Sin        []float32 // [MaxPos, hd/2]
}

// NewRope precomputes cos and sin in float64 and rounds once.
func NewRope(headDim, maxPos int, theta float64) *Rope {
	return NewRopeFreqs(headDim, maxPos, RopeInvFreqs(headDim, theta))
}

// RopeInvFreqs returns the hd/2 unscaled inverse frequencies
// theta^(-2i/hd).
func RopeInvFreqs(headDim int, theta float64) []float64 {
	inv := make([]float64, headDim/2)
	for i := range inv {
		inv[i] = math.Pow(theta, -float64(2*i)/float64(headDim))
	}
	return inv
}

// NewRopeFreqs precomputes the tables for the given hd/2 inverse
// frequencies (angle = p * inv[i]), in float64 rounded once.
func NewRopeFreqs(headDim, maxPos int, inv []float64) *Rope {
	half := headDim / 2
	r := &Rope{HeadDim: headDim, MaxPos: maxPos, Cos: make([]float32, maxPos*half), Sin: make([]float32, maxPos*half)}
	for p := 0; p < maxPos; p++ {
		for i := 0; i < half; i++ {
			a := float64(p) * inv[i]
			r.Cos[p*half+i] = float32(math.Cos(a))
			r.Sin[p*half+i] = float32(math.Sin(a))
		}
	}
	return r
}

// LinearScaledInvFreqs divides every inverse frequency by factor (Hugging
// Face rope_scaling type "linear": positions are interpolated).
func LinearScaledInvFreqs(inv []float64, factor float64) []float64 {
	out := make([]float64, len(inv))
	for i, f := range inv {
		out[i] = f / factor
	}
	return out
}

// Llama3ScaledInvFreqs applies Hugging Face's rope_scaling type "llama3"
// (_compute_llama3_parameters): with wavelength w = 2 pi / f, L the
// original context length, frequencies with w > L/lowFreqFactor are
// divided by factor, those with w < L/highFreqFactor kept, and those
// between blended: s = (L/w - low) / (high - low),
// f' = (1 - s) f / factor + s f.
func Llama3ScaledInvFreqs(inv []float64, factor, lowFreqFactor, highFreqFactor float64, originalMaxPos int) []float64 {
	L := float64(originalMaxPos)
	lowWave, highWave := L/lowFreqFactor, L/highFreqFactor
	out := make([]float64, len(inv))
	for i, f := range inv {
		w := 2 * math.Pi / f
		switch {
		case w < highWave:
			out[i] = f
		case w > lowWave:
			out[i] = f / factor
		default:
			s := (L/w - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
			out[i] = (1-s)*f/factor + s*f
		}
	}
	return out
}

// Apply rotates, in place, the heads of one token's vector x [heads*hd] at
// position pos:
//
//	x'[i]      = x[i] cos - x[i+h] sin
//	x'[i+h]    = x[i+h] cos + x[i] sin,   h = hd/2.
func (r *Rope) Apply(x []float32, heads, pos int) { r.rotate(x, heads, pos, 1) }

// Backward applies the inverse rotation (angle -a), which is the transpose
// of Apply: it maps the gradient w.r.t. the rotated vector to the gradient
// w.r.t. the input.
func (r *Rope) Backward(dx []float32, heads, pos int) { r.rotate(dx, heads, pos, -1) }

func (r *Rope) rotate(x []float32, heads, pos int, sign float32) {
	half := r.HeadDim / 2
	cs := r.Cos[pos*half : (pos+1)*half]
	sn := r.Sin[pos*half : (pos+1)*half]
	for h := 0; h < heads; h++ {
		v := x[h*r.HeadDim : (h+1)*r.HeadDim]
		for i := 0; i < half; i++ {
			a, b := v[i], v[i+half]
			c, s := cs[i], sign*sn[i]
			v[i] = a*c - b*s
			v[i+half] = b*c + a*s
		}
	}
}
