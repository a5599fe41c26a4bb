package analyze

import (
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/tokenizer"
	"math"
	"testing"
)

// The card's numbers (D10).
func TestSelfCritiqueScore(t *testing.T) {
	cases := []struct {
		name   string
		h1, h2 []float64
		want   float64
	}{
		{"card", []float64{0.5, 0.2, 0.1}, []float64{0.4, 0.2}, 0.653197},
		{"empty", []float64{0.5, 0.2, 0.1}, nil, 0},
		{"zero norm", []float64{0, 0}, []float64{0.1, 0.2}, 0},
		{"identical", []float64{0.3, 0.1}, []float64{0.3, 0.1}, 1},
	}
	for _, c := range cases {
		if got := SelfCritiqueScore(c.h1, c.h2); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAUC(t *testing.T) {
	cases := []struct {
		m, n []float64
		want float64
	}{
		{[]float64{0.9, 0.8, 0.4}, []float64{0.5, 0.3, 0.7}, 7.0 / 9}, // the card's example
		{[]float64{1, 1}, []float64{1}, 0.5},                          // ties count one half
		{[]float64{0}, []float64{1, 2}, 0},
	}
	for _, c := range cases {
		if got := AUC(c.m, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %v, want %v", c.m, c.n, got, c.want)
		}
	}
	if !math.IsNaN(AUC(nil, []float64{1})) {
		t.Error("AUC with no members should be NaN")
	}
}

func TestMinK(t *testing.T) {
	lp := []float64{-0.1, -2, -0.5, -3, -0.2, -0.3, -0.4, -1, -0.05, -0.6}
	// k = 0.2 of 10 tokens: the two lowest, -3 and -2.
	if got := MinK(lp, 0.2); got != -2.5 {
		t.Errorf("MinK = %v, want -2.5", got)
	}
	// 0.2 of 3 tokens rounds up to one token.
	if got := MinK([]float64{-1, -4, -2}, 0.2); got != -4 {
		t.Errorf("MinK = %v, want -4", got)
	}
	if MinK(nil, 0.2) != 0 {
		t.Error("MinK of nothing should be 0")
	}
}

// The probe end to end on a small random model: every answer is scored,
// the AUCs are probabilities, the same prompts on both sides give AUC 1/2
// for every detector (identical scores tie), and bad options are errors.
func TestContaminationProbe(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.New(lm.Config{VocabSize: tok.VocabSize(), HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1,
		NumAttentionHeads: 2, NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositionEmbeddings: 40}, 3)
	if err != nil {
		t.Fatal(err)
	}
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	prompts := []string{"1+2=\n", "33+4=\n", "7+80=\n"}
	o := ContaminationOptions{MaxNew: 12, BOS: bos, EOS: eos}
	rep, err := Contamination(m, tok, prompts, prompts, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Items) != 6 {
		t.Fatalf("%d items, want 6", len(rep.Items))
	}
	for _, k := range Detectors {
		if rep.AUC[k] != 0.5 {
			t.Errorf("AUC[%s] = %v on identical sides, want 0.5", k, rep.AUC[k])
		}
	}
	for _, it := range rep.Items {
		if it.SelfCritique < 0 || it.SelfCritique > 1+1e-9 || it.NegEntropy > 0 || it.MinK > it.NegNLL+1e-9 {
			t.Errorf("item %+v: scores out of range", it)
		}
	}
	// A long first answer is cut to fit the 40 positions.
	o.MaxNew = 30
	if _, err := Contamination(m, tok, prompts[:1], prompts[1:], o); err != nil {
		t.Errorf("long answers: %v", err)
	}
	for name, bad := range map[string]ContaminationOptions{
		"no {prompt}":  {Template: "{y1}", BOS: bos, EOS: eos},
		"min-k over 1": {MinKRatio: 2, BOS: bos, EOS: eos},
	} {
		if _, err := Contamination(m, tok, prompts, prompts, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Contamination(m, tok, nil, prompts, o); err == nil {
		t.Error("no members: no error")
	}
	if _, err := Contamination(m, tok, []string{"ü"}, prompts, o); err == nil {
		t.Error("a prompt outside the alphabet: no error")
	}
}
