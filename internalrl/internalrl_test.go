package internalrl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
)

func tinyModel(t *testing.T) *lm.Model {
	t.Helper()
	cfg := lm.Config{VocabSize: 8, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2, NumAttentionHeads: 2,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, MaxPositionEmbeddings: 40}
	m, err := lm.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	for _, p := range m.Params() {
		if len(p.Shape) == 2 {
			p.InitNormal(r, 0.5)
		}
	}
	return m
}

func TestGroupAdvantages(t *testing.T) {
	// Group [1, 0, 0, 1]: mean 0.5, population std 0.5 → ±1; an all-zero
	// group gives 0.
	got := groupAdvantages([]float64{1, 0, 0, 1, 0, 0, 0, 0}, 4)
	want := []float64{1, -1, -1, 1, 0, 0, 0, 0}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Fatalf("advantages %v, want %v", got, want)
		}
	}
}

// Discovery lowers the frozen model's NLL of a fixed set of sequences
// and leaves the model's weights untouched; rollouts draw at least one
// code each, and one update raises log π of the codes of rewarded
// rollouts and lowers it for the others.
func TestDiscoverAndUpdate(t *testing.T) {
	m := tinyModel(t)
	before := make([][]float32, 0)
	for _, p := range m.Params() {
		before = append(before, slices.Clone(p.W))
	}
	o := DefaultOptions()
	o.DiscoverSteps, o.DiscoverBatch, o.DiscoverLR = 60, 4, 1e-2
	o.Prompts, o.Group, o.MaxNew, o.Hidden = 2, 4, 10, 8
	c, err := New(m, o)
	if err != nil {
		t.Fatal(err)
	}
	seqs := []Sequence{{Tokens: []int32{1, 2, 3, 4, 5, 6}, PromptLen: 2}, {Tokens: []int32{1, 7, 6, 5, 4, 3}, PromptLen: 2}}
	steps, err := c.Discover(m, seqs)
	if err != nil {
		t.Fatal(err)
	}
	first, last := steps[0].NLL, steps[len(steps)-1].NLL
	if !(last < first-0.1) {
		t.Fatalf("discovery NLL %.4f -> %.4f: did not fall", first, last)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.W, before[i]) {
			t.Fatalf("discovery changed the frozen model's %s", p.Name)
		}
	}
	prompts := [][]int32{{1, 2}, {1, 2}, {1, 2}, {1, 2}, {1, 7}, {1, 7}, {1, 7}, {1, 7}}
	_, ds, err := c.Rollout(m, prompts, rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, d := range ds {
		seen[d.seq] = true
	}
	if len(seen) != len(prompts) {
		t.Fatalf("codes drawn for %d of %d rollouts", len(seen), len(prompts))
	}
	adv := []float64{1, -1, 1, -1, 1, -1, 1, -1}
	logp := func() []float64 {
		var out []float64
		for _, d := range ds {
			out = append(out, c.policyLogp(c.Policy.Forward(d.e, 1), d.z))
		}
		return out
	}
	lp0 := logp()
	o1 := c.o
	o1.Epochs = 1
	c.o = o1
	var st RLStep
	opt := newPolicyOptimizer(c)
	if err := c.update(opt, ds, adv, &st); err != nil {
		t.Fatal(err)
	}
	lp1 := logp()
	var up, down float64
	for i, d := range ds {
		if adv[d.seq] > 0 {
			up += lp1[i] - lp0[i]
		} else {
			down += lp1[i] - lp0[i]
		}
	}
	if !(up > 0 && down < 0) {
		t.Fatalf("log π change: rewarded %+.4f, others %+.4f (want > 0 and < 0)", up, down)
	}
}
