package nn

import "github.com/autodidact-rl/autodidact/tensor"

// SwiGLUForward sets h = silu(gate) * up elementwise, silu(a) = a*sigmoid(a)
// (tensor.SwiGLU: vectorised, the same bits as the scalar loop).
func SwiGLUForward(h, gate, up []float32) { tensor.SwiGLU(h, gate, up) }

// SwiGLUBackward accumulates dgate += dh * up * silu'(gate) and
// dup += dh * silu(gate), with silu'(a) = s + a*s*(1-s), s = sigmoid(a)
// (tensor.SwiGLUGrad).
func SwiGLUBackward(dgate, dup, dh, gate, up []float32) { tensor.SwiGLUGrad(dgate, dup, dh, gate, up) }
