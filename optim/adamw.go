// Package optim holds the optimiser (AdamW), gradient clipping and
// learning-rate schedules.
package optim

import (
	"fmt"
	"math"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tensor"
)

// AdamWConfig are the hyperparameters of AdamW (Loshchilov & Hutter):
//
//	m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2
//	w -= lr * ( m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd * w )
//
// Weight decay applies to matrices only (not to norm gains or biases).
type AdamWConfig struct {
	Beta1       float64 `json:"beta1" yaml:"beta1"`
	Beta2       float64 `json:"beta2" yaml:"beta2"`
	Eps         float64 `json:"eps" yaml:"eps"`
	WeightDecay float64 `json:"weight_decay" yaml:"weight_decay"`
}

// DefaultAdamW is b1 0.9, b2 0.999, eps 1e-8, weight decay 0.01.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// AdamW keeps the moment estimates of a fixed list of parameters.
type AdamW struct {
	Cfg    AdamWConfig
	Params []*nn.Param
	T      int         // steps taken
	M, V   [][]float32 // first and second moments, one per parameter

	job adamJob
}

// NewAdamW makes an optimiser for params with zero moments.
func NewAdamW(params []*nn.Param, cfg AdamWConfig) *AdamW {
	o := &AdamW{Cfg: cfg, Params: params}
	for _, p := range params {
		o.M = append(o.M, make([]float32, len(p.W)))
		o.V = append(o.V, make([]float32, len(p.W)))
	}
	return o
}

// Step applies one update with learning rate lr using the gradients in
// the parameters (it does not zero them).
func (o *AdamW) Step(lr float64) {
	o.T++
	c := o.Cfg
	j := &o.job
	j.lr = float32(lr)
	j.b1, j.b2, j.eps = float32(c.Beta1), float32(c.Beta2), float32(c.Eps)
	j.bc1 = float32(1 - math.Pow(c.Beta1, float64(o.T)))
	j.bc2 = float32(1 - math.Pow(c.Beta2, float64(o.T)))
	for i, p := range o.Params {
		j.w, j.g, j.m, j.v = p.W, p.G, o.M[i], o.V[i]
		j.wd = 0
		if len(p.Shape) >= 2 {
			j.wd = float32(c.WeightDecay)
		}
		tensor.For(len(p.W), 8192, j)
	}
	*j = adamJob{}
}

type adamJob struct {
	w, g, m, v                    []float32
	lr, b1, b2, eps, bc1, bc2, wd float32
}

func (j *adamJob) Range(lo, hi int) {
	w, g, m, v := j.w[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi]
	for i := range w {
		gi := g[i]
		m[i] = j.b1*m[i] + (1-j.b1)*gi
		v[i] = j.b2*v[i] + (1-j.b2)*gi*gi
		mh := m[i] / j.bc1
		vh := v[i] / j.bc2
		w[i] -= j.lr * (mh/(float32(math.Sqrt(float64(vh)))+j.eps) + j.wd*w[i])
	}
}

// GradNorm returns the global L2 norm of the gradients, or an error naming
// the first parameter whose gradient holds a NaN or infinity.
func GradNorm(params []*nn.Param) (float64, error) {
	var ss float64
	for _, p := range params {
		var s float64
		for _, g := range p.G {
			s += float64(g) * float64(g)
		}
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, nn.CheckFinite("gradient", p.Name, p.G)
		}
		ss += s
	}
	return math.Sqrt(ss), nil
}

// ClipGradNorm scales the gradients so their global norm is at most
// maxNorm (no-op when maxNorm <= 0) and returns the norm before clipping.
func ClipGradNorm(params []*nn.Param, maxNorm float64) (float64, error) {
	norm, err := GradNorm(params)
	if err != nil {
		return 0, fmt.Errorf("clip: %w", err)
	}
	if maxNorm > 0 && norm > maxNorm {
		s := float32(maxNorm / (norm + 1e-6))
		for _, p := range params {
			for i := range p.G {
				p.G[i] *= s
			}
		}
	}
	return norm, nil
}
