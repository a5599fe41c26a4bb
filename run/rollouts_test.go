package run

import (
	"math"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
)

// TestTISWeight: min(pi_old/mu, C) on hand-computed log-probs.
func TestTISWeight(t *testing.T) {
	for _, tc := range []struct {
		old, mu float32
		c, want float64
		cut     bool
	}{
		{-0.1, -0.5, 2, math.Exp(0.4), false}, // 1.4918: pi_old gives the token more mass than the sampler did
		{-1.5, -0.5, 2, math.Exp(-1), false},  // 0.3679: less mass
		{-0.25, -1.25, 2, 2, true},            // e^1 = 2.718 cut to C = 2
		{-0.25, -1.25, 3, math.Exp(1), false}, // under C = 3
		{-0.7, -0.7, 2, 1, false},             // on-policy: weight 1
	} {
		w, cut := tisWeight(float32(tc.old), float32(tc.mu), tc.c)
		if math.Abs(w-tc.want) > 1e-6 || cut != tc.cut {
			t.Errorf("tisWeight(%g, %g, %g) = %g, %v; want %g, %v", tc.old, tc.mu, tc.c, w, cut, tc.want, tc.cut)
		}
	}
}

// TestWeightsRoundTrip: EncodeWeights then DecodeWeights restores every
// parameter bit for bit; a wrong length is refused.
func TestWeightsRoundTrip(t *testing.T) {
	cfg := lm.Config{VocabSize: 11, HiddenSize: 8, IntermediateSize: 16, NumHiddenLayers: 1, NumAttentionHeads: 2, NumKeyValueHeads: 2,
		RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositionEmbeddings: 16}
	a, err := lm.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lm.New(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	data := EncodeWeights(a)
	if err := DecodeWeights(b, data); err != nil {
		t.Fatal(err)
	}
	for i, p := range a.Params() {
		q := b.Params()[i]
		for j := range p.W {
			if math.Float32bits(p.W[j]) != math.Float32bits(q.W[j]) {
				t.Fatalf("%s[%d]: %g, want %g", p.Name, j, q.W[j], p.W[j])
			}
		}
	}
	if err := DecodeWeights(b, data[:len(data)-4]); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("short weights: err = %v", err)
	}
}
