package lm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// editBy returns an Edit that changes each row by a function of its
// sequence, position and values, plus scale·dir on the rows of a Score
// (dir [N, d], nil for none).
func editBy(d int, dir []float32, scale float32) func(x []float32, seq []int, pos []int32) {
	return func(x []float32, seq []int, pos []int32) {
		for i := range seq {
			row := x[i*d : (i+1)*d]
			for j := range row {
				row[j] += 0.5*float32(math.Sin(float64(seq[i]+1)+0.3*float64(pos[i])+float64(j))) + 0.1*row[j]
				if dir != nil {
					row[j] += scale * dir[i*d+j]
				}
			}
		}
	}
}

// An intervention whose Edit leaves the rows alone gives the plain model's
// generation bit for bit; a real edit changes it, and sampling with it
// matches scoring with it (the slot of Generate's prompt b is b, the row
// of Score's is b: the same Edit sees the same sequence and position).
func TestInterventionSamplingMatchesScoring(t *testing.T) {
	m := genModel(t)
	d := m.Cfg.HiddenSize
	gen := func() *Generation { return sampleFixed(t, m) }
	plain := gen()
	if err := m.SetIntervention(&Intervention{Layer: 0, Edit: func([]float32, []int, []int32) {}}); err != nil {
		t.Fatal(err)
	}
	if !sameGeneration(plain, gen()) {
		t.Fatal("an intervention that edits nothing changed the generation")
	}
	for l := range m.Layers {
		if err := m.SetIntervention(&Intervention{Layer: l, Edit: editBy(d, nil, 0)}); err != nil {
			t.Fatal(err)
		}
		g := gen()
		if sameGeneration(plain, g) {
			t.Fatalf("layer %d: the edit left the generation unchanged", l)
		}
		if gap := rescore(t, m, prompts(), g, 1); gap > 1e-6 {
			t.Fatalf("layer %d: sampling and scoring with the intervention differ by %.3g", l, gap)
		}
	}
	_ = m.SetIntervention(nil)
	if !sameGeneration(plain, gen()) {
		t.Fatal("turning the intervention off did not restore the model")
	}
	if err := m.SetIntervention(&Intervention{Layer: 2, Edit: editBy(d, nil, 0)}); err == nil {
		t.Fatal("layer 2 of a 2-layer model accepted")
	}
	if err := m.SetIntervention(&Intervention{Layer: 0}); err == nil {
		t.Fatal("an intervention without Edit accepted")
	}
}

// ResidualGrad is d loss / d the edited rows: its inner product with a
// random direction matches the central finite difference of the loss
// along that direction, at every layer.
func TestInterventionResidualGradFiniteDifference(t *testing.T) {
	m := genModel(t)
	d := m.Cfg.HiddenSize
	B, T := 2, 7
	r := rand.New(rand.NewPCG(4, 9))
	b := &Batch{Rows: B, Len: T, Tokens: make([]int32, B*T), Mask: make([]float32, B*T), Temperature: 1}
	w := make([]float32, B*T)
	for i := range b.Tokens {
		b.Tokens[i] = int32(r.IntN(m.Cfg.VocabSize))
		b.Mask[i] = 1
		w[i] = float32(r.NormFloat64())
	}
	dir := make([]float32, B*T*d)
	for i := range dir {
		dir[i] = float32(r.NormFloat64())
	}
	loss := func(l int, eps float32) float64 {
		if err := m.SetIntervention(&Intervention{Layer: l, Edit: editBy(d, dir, eps)}); err != nil {
			t.Fatal(err)
		}
		s, err := m.Score(b)
		if err != nil {
			t.Fatal(err)
		}
		var L float64
		for i, lp := range s.LogProbs {
			L += float64(w[i] * lp)
		}
		return L
	}
	for l := range m.Layers {
		loss(l, 0)
		m.ZeroGrad()
		if err := m.Backward(w, nil, nil); err != nil {
			t.Fatal(err)
		}
		g, err := m.ResidualGrad()
		if err != nil {
			t.Fatal(err)
		}
		var analytic float64
		for i := range dir {
			analytic += float64(g[i] * dir[i])
		}
		const eps = 1e-2
		numeric := (loss(l, eps) - loss(l, -eps)) / (2 * eps)
		if math.Abs(analytic-numeric) > 1e-2*math.Max(1, math.Abs(numeric)) {
			t.Fatalf("layer %d: d loss / d residual · v = %.5f, finite difference %.5f", l, analytic, numeric)
		}
		t.Logf("layer %d: analytic %.5f, numeric %.5f", l, analytic, numeric)
	}
	_ = m.SetIntervention(nil)
	if _, err := m.ResidualGrad(); err == nil {
		t.Fatal("ResidualGrad without an intervention gave no error")
	}
}
