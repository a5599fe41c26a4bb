package nn

import "github.com/autodidact-rl/autodidact/tensor"

// SwiGLUForward computes h = silu(gate) * up elementwise, with
// silu(a) = a * sigmoid(a).
func SwiGLUForward(h, gate, up []float32) {
	up = up[:len(gate)]
	h = h[:len(gate)]
	for i, a := range gate {
		s := 1 / (1 + tensor.Exp(-a))
		h[i] = a * s * up[i]
	}
}

// SwiGLUBackward accumulates dgate += dh * up * silu'(gate) and
// dup += dh * silu(gate), with silu'(a) = s + a*s*(1-s), s = sigmoid(a).
func SwiGLUBackward(dgate, dup, dh, gate, up []float32) {
	up = up[:len(gate)]
	dh = dh[:len(gate)]
	dgate = dgate[:len(gate)]
	dup = dup[:len(gate)]
	for i, a := range gate {
		s := 1 / (1 + tensor.Exp(-a))
		dup[i] += dh[i] * a * s
		dgate[i] += dh[i] * up[i] * (s + a*s*(1-s))
	}
}
