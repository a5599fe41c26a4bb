package lm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func genModel(t *testing.T) *Model {
	t.Helper()
	cfg := Config{VocabSize: 11, HiddenSize: 32, IntermediateSize: 48, NumHiddenLayers: 2, NumAttentionHeads: 4,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, TieWordEmbeddings: false, AttentionBias: true,
		MaxPositionEmbeddings: 64}
	m, err := New(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 8))
	for _, p := range m.Params() {
		if len(p.Shape) == 2 {
			p.InitNormal(r, 0.3)
		}
	}
	return m
}

func prompts() [][]int32 {
	return [][]int32{{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}, {2, 2}}
}

// rescore scores prompt+completion for every sequence and returns the
// largest |recorded - recomputed| log-prob gap.
func rescore(t *testing.T, m *Model, ps [][]int32, g *Generation, temp float32) float64 {
	t.Helper()
	T := 0
	for i, p := range ps {
		T = max(T, len(p)+len(g.Tokens[i]))
	}
	B := len(ps)
	b := &Batch{Rows: B, Len: T, Tokens: make([]int32, B*T), Mask: make([]float32, B*T), Temperature: temp}
	for i, p := range ps {
		copy(b.Tokens[i*T:], p)
		copy(b.Tokens[i*T+len(p):], g.Tokens[i])
		for j := range g.Tokens[i] {
			b.Mask[i*T+len(p)+j] = 1
		}
	}
	s, err := m.Score(b)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, p := range ps {
		for j, lp := range g.LogProbs[i] {
			worst = math.Max(worst, math.Abs(float64(lp-s.LogProbs[i*T+len(p)+j])))
		}
	}
	return worst
}

func TestSamplingLogProbsMatchTraining(t *testing.T) {
	m := genModel(t)
	for _, temp := range []float32{1, 0.7, 0} {
		g, err := m.Generate(prompts(), SampleOptions{Temperature: temp, MaxNew: 20}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		scoreTemp := temp
		gap := rescore(t, m, prompts(), g, scoreTemp)
		t.Logf("temperature %v: max |logp_sample - logp_train| = %.3g", temp, gap)
		if gap > 1e-6 {
			t.Fatalf("temperature %v: sampled log-probs differ from recomputed ones by %.3g > 1e-6", temp, gap)
		}
	}
}

func TestGenerateIsSeededAndStops(t *testing.T) {
	m := genModel(t)
	opt := SampleOptions{Temperature: 1, MaxNew: 15, Stop: []int32{3}}
	a, _ := m.Generate(prompts(), opt, rand.New(rand.NewPCG(4, 4)))
	b, _ := m.Generate(prompts(), opt, rand.New(rand.NewPCG(4, 4)))
	stopped := 0
	for i := range a.Tokens {
		if len(a.Tokens[i]) != len(b.Tokens[i]) {
			t.Fatalf("seq %d: lengths %d and %d differ for the same seed", i, len(a.Tokens[i]), len(b.Tokens[i]))
		}
		for j := range a.Tokens[i] {
			if a.Tokens[i][j] != b.Tokens[i][j] || a.LogProbs[i][j] != b.LogProbs[i][j] {
				t.Fatalf("seq %d token %d differs for the same seed", i, j)
			}
			if a.Tokens[i][j] == 3 && j != len(a.Tokens[i])-1 {
				t.Fatalf("seq %d continues after stop token at %d", i, j)
			}
		}
		if a.Stopped[i] {
			stopped++
			if last := a.Tokens[i][len(a.Tokens[i])-1]; last != 3 {
				t.Fatalf("seq %d marked stopped but ends with %d", i, last)
			}
		} else if len(a.Tokens[i]) != 15 {
			t.Fatalf("seq %d neither stopped nor reached MaxNew (len %d)", i, len(a.Tokens[i]))
		}
	}
	t.Logf("%d of %d sequences stopped", stopped, len(a.Tokens))
}

func TestTruncationOptions(t *testing.T) {
	m := genModel(t)
	greedy, _ := m.Generate(prompts(), SampleOptions{MaxNew: 8}, nil)
	for name, opt := range map[string]SampleOptions{
		"top_k=1":      {Temperature: 1, TopK: 1, MaxNew: 8},
		"top_p=1e-6":   {Temperature: 1, TopP: 1e-6, MaxNew: 8},
		"min_p=0.9999": {Temperature: 1, MinP: 0.9999, MaxNew: 8},
	} {
		g, err := m.Generate(prompts(), opt, rand.New(rand.NewPCG(2, 2)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range g.Tokens {
			for j := range g.Tokens[i] {
				if g.Tokens[i][j] != greedy.Tokens[i][j] {
					t.Fatalf("%s: seq %d token %d = %d, greedy gives %d", name, i, j, g.Tokens[i][j], greedy.Tokens[i][j])
				}
			}
		}
	}
}

// TestSamplingFollowsTheDistribution draws the first token many times and
// compares frequencies with softmax(logits / temperature), and checks that
// top-k never leaves the k most likely tokens.
func TestSamplingFollowsTheDistribution(t *testing.T) {
	m := genModel(t)
	p := []int32{1, 2, 3}
	if _, err := m.Score(&Batch{Rows: 1, Len: 4, Tokens: []int32{1, 2, 3, 0}, Temperature: 0.8}); err != nil {
		t.Fatal(err)
	}
	z := append([]float32(nil), m.Logits(3)...)
	lse := logSumExp(z)
	const n = 4000
	ps := make([][]int32, n)
	for i := range ps {
		ps[i] = p
	}
	g, err := m.Generate(ps, SampleOptions{Temperature: 0.8, MaxNew: 1}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, len(z))
	for _, toks := range g.Tokens {
		counts[toks[0]]++
	}
	for v := range z {
		want := math.Exp(float64(z[v] - lse))
		got := counts[v] / n
		if sd := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 5*sd+1e-3 {
			t.Errorf("token %d: frequency %.4f, probability %.4f", v, got, want)
		}
	}
	gk, _ := m.Generate(ps[:500], SampleOptions{Temperature: 0.8, TopK: 3, MaxNew: 1}, rand.New(rand.NewPCG(3, 3)))
	rank := 0
	for _, toks := range gk.Tokens {
		rank = 0
		for v := range z {
			if z[v] > z[toks[0]] {
				rank++
			}
		}
		if rank >= 3 {
			t.Fatalf("top_k=3 sampled token %d of rank %d", toks[0], rank)
		}
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	m := genModel(t)
	for name, tc := range map[string]struct {
		ps  [][]int32
		opt SampleOptions
	}{
		"empty prompt":   {[][]int32{{}}, SampleOptions{MaxNew: 2}},
		"bad token":      {[][]int32{{1, 99}}, SampleOptions{MaxNew: 2}},
		"too long":       {[][]int32{{1}}, SampleOptions{MaxNew: 64}},
		"negative top_p": {[][]int32{{1}}, SampleOptions{MaxNew: 2, TopP: -1}},
		"no new tokens":  {[][]int32{{1}}, SampleOptions{}},
	} {
		if _, err := m.Generate(tc.ps, tc.opt, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestCloneIsIndependent(t *testing.T) {
	m := genModel(t)
	c := m.Clone()
	b := &Batch{Rows: 1, Len: 4, Tokens: []int32{1, 2, 3, 4}}
	s1, _ := m.Score(b)
	want := append([]float32(nil), s1.LogProbs...)
	s2, _ := c.Score(b)
	for i := range want {
		if want[i] != s2.LogProbs[i] {
			t.Fatalf("clone scores token %d as %v, original %v", i, s2.LogProbs[i], want[i])
		}
	}
	m.Params()[1].W[0] += 1 // changing the original leaves the clone alone
	if c.Params()[1].W[0] == m.Params()[1].W[0] {
		t.Fatal("clone shares weights with the original")
	}
}

// The Qwen3/Llama-3 options (explicit head_dim, q/k norms, o_proj bias,
// llama3 rope scaling) must keep sampling and training in agreement.
func TestSamplingLogProbsMatchTrainingWithHFOptions(t *testing.T) {
	cfg := Config{VocabSize: 11, HiddenSize: 32, IntermediateSize: 48, NumHiddenLayers: 2, NumAttentionHeads: 4,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, AttentionBias: true, MaxPositionEmbeddings: 64,
		HeadDimension: 12, QKNorm: true, OProjBias: true,
		RopeScaling: RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 16}}
	m, err := New(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 9))
	for _, p := range m.Params() {
		if len(p.Shape) == 2 {
			p.InitNormal(r, 0.3)
		} else {
			p.InitNormal(r, 0.2)
			for i := range p.W {
				p.W[i]++
			}
		}
	}
	for _, temp := range []float32{1, 0.7} {
		g, err := m.Generate(prompts(), SampleOptions{Temperature: temp, MaxNew: 20}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if gap := rescore(t, m, prompts(), g, temp); gap > 1e-6 {
			t.Fatalf("temperature %v: sampled log-probs differ from recomputed ones by %.3g > 1e-6", temp, gap)
		}
	}
}
