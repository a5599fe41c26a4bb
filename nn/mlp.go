package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Activation names a pointwise nonlinearity of an MLP.
type Activation string

// Activations an MLP supports.
const (
	Tanh Activation = "tanh"
	ReLU Activation = "relu"
)

// MLP is a stack of Linear layers with an activation between them (none
// after the last), the network used by control policies and critics.
// Forward saves each layer's input for Backward, for up to MaxRows rows.
type MLP struct {
	Sizes   []int // [in, hidden..., out]
	Act     Activation
	Weights []*Param // [Sizes[i+1], Sizes[i]]
	Biases  []*Param // [Sizes[i+1]]
	MaxRows int

	acts  [][]float32 // acts[i] is the input of layer i, [MaxRows, Sizes[i]]
	out   []float32
	grads [][]float32 // gradient w.r.t. acts[i]
}

// NewMLP builds an MLP whose weights use the scaled orthogonal-like
// initialisation std = gain/sqrt(fan_in) and zero biases.
func NewMLP(name string, sizes []int, act Activation, maxRows int, r *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp %s: need at least input and output sizes, got %v", name, sizes)
	}
	if act != Tanh && act != ReLU {
		return nil, fmt.Errorf("mlp %s: unknown activation %q (want tanh or relu)", name, act)
	}
	m := &MLP{Sizes: sizes, Act: act, MaxRows: maxRows}
	for i := 0; i+1 < len(sizes); i++ {
		if sizes[i] <= 0 || sizes[i+1] <= 0 {
			return nil, fmt.Errorf("mlp %s: layer sizes must be positive, got %v", name, sizes)
		}
		w := NewParam(fmt.Sprintf("%s.%d.weight", name, i), sizes[i+1], sizes[i])
		w.InitNormal(r, 1/math.Sqrt(float64(sizes[i])))
		m.Weights = append(m.Weights, w)
		m.Biases = append(m.Biases, NewParam(fmt.Sprintf("%s.%d.bias", name, i), sizes[i+1]))
		m.acts = append(m.acts, make([]float32, maxRows*sizes[i]))
		m.grads = append(m.grads, make([]float32, maxRows*sizes[i]))
	}
	m.out = make([]float32, maxRows*sizes[len(sizes)-1])
	return m, nil
}

// Params lists weights and biases in layer order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for i := range m.Weights {
		ps = append(ps, m.Weights[i], m.Biases[i])
	}
	return ps
}

// Forward runs n rows of x [n, in] through the network and returns the
// output [n, out], valid until the next call.
func (m *MLP) Forward(x []float32, n int) []float32 {
	if n > m.MaxRows {
		panic(fmt.Sprintf("mlp: %d rows exceed MaxRows %d", n, m.MaxRows))
	}
	copy(m.acts[0], x[:n*m.Sizes[0]])
	last := len(m.Weights) - 1
	for i, w := range m.Weights {
		in, out := m.Sizes[i], m.Sizes[i+1]
		y := m.out
		if i < last {
			y = m.acts[i+1]
		}
		LinearForward(y[:n*out], m.acts[i][:n*in], w.W, m.Biases[i].W, n, in, out)
		if i < last {
			activate(m.Act, y[:n*out])
		}
	}
	return m.out[:n*m.Sizes[len(m.Sizes)-1]]
}

// Backward takes dout [n, out] for the rows of the last Forward, accumulates
// parameter gradients and returns the gradient w.r.t. the input [n, in].
func (m *MLP) Backward(dout []float32, n int) []float32 {
	dy := dout
	for i := len(m.Weights) - 1; i >= 0; i-- {
		in, out := m.Sizes[i], m.Sizes[i+1]
		dx := m.grads[i][:n*in]
		clear(dx)
		LinearBackward(dx, m.Weights[i].G, m.Biases[i].G, dy[:n*out], m.acts[i][:n*in], m.Weights[i].W, n, in, out)
		if i > 0 {
			activateBackward(m.Act, dx, m.acts[i][:n*in])
		}
		dy = dx
	}
	return dy
}

func activate(act Activation, x []float32) {
	switch act {
	case Tanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	case ReLU:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	}
}

// activateBackward multiplies dy in place by the activation's derivative,
// given the activation's output y.
func activateBackward(act Activation, dy, y []float32) {
	switch act {
	case Tanh:
		for i, v := range y {
			dy[i] *= 1 - v*v
		}
	case ReLU:
		for i, v := range y {
			if v <= 0 {
				dy[i] = 0
			}
		}
	}
}
