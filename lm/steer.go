package lm

import "fmt"

// Steering adds a fixed vector to the residual stream after one layer at
// every position it covers (activation steering; card B9 part A, the
// efficiency steering of package steer). A model without steering (the
// default) runs none of this code, so its outputs are bit for bit those
// of a model that never had it.
type Steering struct {
	// Layer is the block whose output is steered (0-based): the vector is
	// added to the residual stream between block Layer and the next one
	// (or the final norm).
	Layer int
	// Vec is added as is ([hidden_size]; the caller scales it by alpha).
	Vec []float32
	// Prompt also steers the positions that go through the training
	// forward pass (Score, and the prefill of prompts when sampling);
	// without it only the positions the decoder runs one token at a time
	// are steered (the generated tokens).
	Prompt bool
}

// SetSteering turns steering on (nil turns it off). The vector is
// copied.
func (m *Model) SetSteering(s *Steering) error {
	if s == nil {
		m.steer = nil
		return nil
	}
	if s.Layer < 0 || s.Layer >= len(m.Layers) {
		return fmt.Errorf("steering: layer %d out of range [0, %d)", s.Layer, len(m.Layers))
	}
	if len(s.Vec) != m.Cfg.HiddenSize {
		return fmt.Errorf("steering: vector of %d values, hidden size %d", len(s.Vec), m.Cfg.HiddenSize)
	}
	c := *s
	c.Vec = append([]float32(nil), s.Vec...)
	m.steer = &c
	return nil
}

// steerRows adds the steering vector to n rows of x after layer l when
// that layer is steered.
func (m *Model) steerRows(x []float32, n, l int) {
	s := m.steer
	if s == nil || s.Layer != l {
		return
	}
	d := len(s.Vec)
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		for j, v := range s.Vec {
			row[j] += v
		}
	}
}

// Residual returns the residual stream after layer l ([rows*len, hidden])
// of the last Score (or prefill): the activations steering adds to. It is
// a view of the model's buffers, valid until the next call.
func (m *Model) Residual(l int) ([]float32, error) {
	if m.act == nil || l < 0 || l >= len(m.Layers) {
		return nil, fmt.Errorf("residual: layer %d out of range [0, %d) or no forward pass yet", l, len(m.Layers))
	}
	if l+1 < len(m.Layers) {
		return m.act.layers[l+1].in, nil
	}
	return m.act.out, nil
}
