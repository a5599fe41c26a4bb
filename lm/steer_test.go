package lm

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// sampleFixed samples prompts() at temperature 1, 20 new tokens, from a
// fixed seed.
func sampleFixed(t *testing.T, m *Model) *Generation {
	t.Helper()
	g, err := m.Generate(prompts(), SampleOptions{Temperature: 1, MaxNew: 20}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func sameGeneration(a, b *Generation) bool {
	for i := range a.Tokens {
		if !slices.Equal(a.Tokens[i], b.Tokens[i]) || !slices.Equal(a.LogProbs[i], b.LogProbs[i]) {
			return false
		}
	}
	return len(a.Tokens) == len(b.Tokens)
}

// Steering with a zero vector (alpha 0) and turning it off again give the
// unsteered model's tokens and log-probs bit for bit; a non-zero vector
// changes them; with Prompt set the training forward pass adds the same
// vector, so sampled log-probs still match Score's (<= 1e-6) and the
// residual after the layer is the unsteered one plus the vector exactly.
func TestSteering(t *testing.T) {
	m := genModel(t)
	gen := func() *Generation { return sampleFixed(t, m) }
	plain := gen()
	d := m.Cfg.HiddenSize
	for _, prompt := range []bool{false, true} {
		if err := m.SetSteering(&Steering{Layer: 0, Vec: make([]float32, d), Prompt: prompt}); err != nil {
			t.Fatal(err)
		}
		if !sameGeneration(plain, gen()) {
			t.Fatalf("zero steering vector (prompt %v) changed the generation", prompt)
		}
	}
	vec := make([]float32, d)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range vec {
		vec[i] = float32(r.NormFloat64())
	}
	for l := range m.Layers {
		for _, prompt := range []bool{false, true} {
			if err := m.SetSteering(&Steering{Layer: l, Vec: vec, Prompt: prompt}); err != nil {
				t.Fatal(err)
			}
			g := gen()
			if sameGeneration(plain, g) {
				t.Fatalf("layer %d (prompt %v): a unit-scale vector left the generation unchanged", l, prompt)
			}
			if prompt {
				if gap := rescore(t, m, prompts(), g, 1); gap > 1e-6 {
					t.Fatalf("layer %d: steered sampling and steered scoring differ by %.3g", l, gap)
				}
			}
		}
	}
	if err := m.SetSteering(nil); err != nil {
		t.Fatal(err)
	}
	if !sameGeneration(plain, gen()) {
		t.Fatal("turning steering off did not restore the model")
	}
	// Residuals: Score with and without Prompt steering at layer 0.
	b := &Batch{Rows: 1, Len: 4, Tokens: []int32{1, 2, 3, 4}, Mask: []float32{0, 1, 1, 1}, Temperature: 1}
	if _, err := m.Score(b); err != nil {
		t.Fatal(err)
	}
	h, _ := m.Residual(0)
	base := append([]float32(nil), h[:4*d]...)
	_ = m.SetSteering(&Steering{Layer: 0, Vec: vec, Prompt: true})
	if _, err := m.Score(b); err != nil {
		t.Fatal(err)
	}
	h, _ = m.Residual(0)
	for i := range base {
		if h[i] != base[i]+vec[i%d] {
			t.Fatalf("residual %d: %v, want %v + %v", i, h[i], base[i], vec[i%d])
		}
	}
	if m.SetSteering(&Steering{Layer: 2, Vec: vec}) == nil || m.SetSteering(&Steering{Layer: 0, Vec: vec[:3]}) == nil {
		t.Error("a bad layer or vector size was accepted")
	}
	if _, err := m.Residual(5); err == nil {
		t.Error("Residual accepted layer 5")
	}
}
