// Package nn holds the layers of autodidact's models, each as a pair of
// explicit kernels: a forward pass that writes its output and saves what the
// backward pass needs, and a backward pass that turns the gradient of the
// output into gradients of the input and of the parameters (in the spirit
// of llm.c: no autograd graph, every kernel readable top to bottom).
//
// Conventions: activations are row-major [n, width] float32 slices over n
// tokens (or samples). Backward kernels ACCUMULATE into parameter gradients
// and into dx, so callers zero gradients once per step and residual streams
// sum for free.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Param is a named parameter tensor with its gradient.
type Param struct {
	Name  string    // Hugging Face style name, e.g. "model.layers.0.mlp.up_proj.weight"
	Shape []int     // e.g. [out, in] for a linear weight
	W     []float32 // values
	G     []float32 // gradient, same length as W
}

// NewParam allocates a zero parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Param{Name: name, Shape: shape, W: make([]float32, n), G: make([]float32, n)}
}

// Size is the number of elements.
func (p *Param) Size() int { return len(p.W) }

// InitNormal fills W with N(0, std^2) values from r.
func (p *Param) InitNormal(r *rand.Rand, std float64) {
	for i := range p.W {
		p.W[i] = float32(r.NormFloat64() * std)
	}
}

// Fill sets every element of W to v.
func (p *Param) Fill(v float32) {
	for i := range p.W {
		p.W[i] = v
	}
}

// ZeroGrad clears G.
func (p *Param) ZeroGrad() { clear(p.G) }

// CheckFinite returns an error naming the parameter and the first element
// that is NaN or infinite, in the values (what "W") or gradient ("G").
func CheckFinite(what string, name string, x []float32) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s of %s: element %d is %v", what, name, i, v)
		}
	}
	return nil
}
