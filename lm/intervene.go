package lm

import "fmt"

// Intervention lets a caller read and rewrite the residual stream after
// one block while the model runs, row by row: the hook of a controller
// that acts on a frozen model's middle layer (Internal RL, card D9:
// ê_{t,l} = e_{t,l} + U_t e_{t,l}). Unlike Steering's fixed vector, the
// edit may differ per sequence and position and may depend on the row it
// reads. A model without an intervention (the default) runs none of this
// code.
//
// Score and the prefill of Generate call Edit once per forward pass with
// every row of the batch; the decoder calls it once per step with the
// rows it runs. Backward then also leaves d loss / d x (the gradient with
// respect to the edited rows) in ResidualGrad, which is what a controller
// trained through the frozen upper layers needs.
type Intervention struct {
	// Layer is the block after which the residual stream is edited
	// (0-based), as Steering.Layer.
	Layer int
	// Edit changes x [len(seq), hidden] in place. Row i belongs to
	// sequence seq[i] at position pos[i]: in Score the batch row and the
	// position within its segment; when sampling the engine's cache slot
	// (Generate gives prompt b slot b) and the token's position in its
	// context. Rows of padding in a prefill are passed too.
	Edit func(x []float32, seq []int, pos []int32)
}

// SetIntervention turns an intervention on (nil turns it off).
func (m *Model) SetIntervention(iv *Intervention) error {
	if iv == nil {
		m.iv = nil
		return nil
	}
	if iv.Layer < 0 || iv.Layer >= len(m.Layers) {
		return fmt.Errorf("intervention: layer %d out of range [0, %d)", iv.Layer, len(m.Layers))
	}
	if iv.Edit == nil {
		return fmt.Errorf("intervention: no Edit function")
	}
	c := *iv
	m.iv = &c
	return nil
}

// intervene calls the intervention's Edit on n rows of x after layer l
// when that layer is intervened on; seq and pos name each row's sequence
// and position.
func (m *Model) intervene(x []float32, n, l int, seq []int, pos []int32) {
	iv := m.iv
	if iv == nil || iv.Layer != l {
		return
	}
	iv.Edit(x[:n*m.Cfg.HiddenSize], seq[:n], pos[:n])
}

// forwardRows returns the sequence of each row of a forward pass over
// B×T tokens: rows[b] when the engine set them for a prefill, b otherwise.
func (m *Model) forwardRows(B, T int) []int {
	N := B * T
	if cap(m.ivSeq) < N {
		m.ivSeq = make([]int, N)
	}
	s := m.ivSeq[:N]
	for i := range s {
		s[i] = i / T
		if m.ivRows != nil {
			s[i] = m.ivRows[i/T]
		}
	}
	return s
}

// ResidualGrad returns d loss / d (residual stream after the intervened
// layer) of the last Backward ([rows*len, hidden]): the gradient with
// respect to what Edit wrote. It is a view of the model's buffers, valid
// until the next Backward.
func (m *Model) ResidualGrad() ([]float32, error) {
	if m.iv == nil || m.grad == nil || m.act == nil {
		return nil, fmt.Errorf("residual grad: no intervention or no Backward yet")
	}
	N := m.act.B * m.act.T
	return m.grad.ivGrad[:N*m.Cfg.HiddenSize], nil
}
