package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// The SRPO hook on one group with a random frozen reference model: the
// two successes keep 1; a failure whose text is a success's has distance 0
// (n = 0: 0.6 σ(5) = 0.59598), the farthest failure n = 1 (0.00402); an
// all-failure group keeps 0; the metrics count one mixed group of two.
func TestSRPOHook(t *testing.T) {
	texts := []string{"7+3=10\n#### 10", "7+3=10\n#### 10", "7+3=10\n#### 10", "99*99=1\n1-1=0\n#### 5", "7+3=11\n#### 11",
		"1\n#### 1", "2\n#### 2", "3\n#### 3", "4\n#### 4", "5\n#### 5"}
	correct := []bool{true, true, false, false, false, false, false, false, false, false}
	ru, xs, ms := judgedSamples(t, "srpo", 5, texts, correct)
	for i := range xs {
		xs[i].ids = append([]int32{1}, xs[i].gen...)
		xs[i].pos = nil
		for p := 1; p < len(xs[i].ids); p++ {
			xs[i].pos = append(xs[i].pos, p)
		}
	}
	tok, _ := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	ref, err := lm.New(lm.Config{VocabSize: tok.VocabSize(), HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 2,
		NumAttentionHeads: 2, NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64}, 4)
	if err != nil {
		t.Fatal(err)
	}
	ru.ref = ref
	m := map[string]any{}
	if err := ms[0].(rewardHook).beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	if xs[0].reward != 1 || xs[1].reward != 1 {
		t.Errorf("successes: %v %v", xs[0].reward, xs[1].reward)
	}
	if math.Abs(xs[2].reward-0.59598) > 5e-6 {
		t.Errorf("failure equal to a success: %v, want 0.59598", xs[2].reward)
	}
	far, other := xs[3].reward, xs[4].reward
	if math.Abs(math.Min(far, other)-0.00402) > 5e-6 || math.Max(far, other) > 0.59598 {
		t.Errorf("failures %v %v: the farther should get 0.00402", far, other)
	}
	for i := 5; i < 10; i++ {
		if xs[i].reward != 0 {
			t.Errorf("all-failure group: reward %v", xs[i].reward)
		}
	}
	if m["srpo_mixed_groups"] != 0.5 {
		t.Errorf("mixed groups %v, want 0.5", m["srpo_mixed_groups"])
	}
}
