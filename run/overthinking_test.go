package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// judgedSamples builds samples of the chain completions texts (EOS
// appended), each with reward 1 when correct.
func judgedSamples(t *testing.T, recipe string, group int, texts []string, correct []bool) (*runner, []sample, []method) {
	t.Helper()
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	eos, _ := tok.Special("<eos>")
	r, err := LoadRecipe(recipe)
	if err != nil {
		t.Fatal(err)
	}
	r.RL.GroupSize = group
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r, tok: tok, eos: eos}
	var xs []sample
	for i, text := range texts {
		ids, err := tok.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, eos)
		e := &episode.Episode{Segments: []episode.Segment{{Role: episode.RolePrompt, IDs: []int32{1}}, {Role: episode.RolePolicy, IDs: ids, Trainable: true}}}
		x := sample{ep: e, gen: ids, correct: correct[i]}
		if correct[i] {
			x.reward = 1
		}
		xs = append(xs, x)
	}
	return ru, xs, ms
}

// A group of four chain completions for 7+3*2+0 = 20 (the char tokenizer:
// one token per character):
//
//	"7+3=10\n10*2=20\n#### 20"          no redundancy: reward 1
//	"7+3=10\n7+3=10\n10*2=20\n#### 20"  IRD (1 + 0)/2 = 0.5, ERD 0: 0.5 (0.98197 + 1) = 0.99099
//	"7+3=10\n10*2=20\n20+0=20\n#### 20" IRD 0, ERD 8/22 = 0.36: 0.5 (1 + 0.64) = 0.82
//	"7+3=10\n10*2=21\n#### 21"          wrong: reward 0 stays
//
// metrics: internal (0 + 0.5 + 0)/3, external (0 + 0 + 0.36)/3, score
// (1 + 0.99099 + 0.82)/3, zeroed 0.
func TestOverthinkingHook(t *testing.T) {
	texts := []string{"7+3=10\n10*2=20\n#### 20", "7+3=10\n7+3=10\n10*2=20\n#### 20", "7+3=10\n10*2=20\n20+0=20\n#### 20", "7+3=10\n10*2=21\n#### 21"}
	ru, xs, ms := judgedSamples(t, "overthinking", 4, texts, []bool{true, true, true, false})
	m := map[string]any{}
	if err := ms[0].(rewardHook).beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1, 0.99099, 0.82, 0} {
		if math.Abs(xs[i].reward-want) > 5e-6 {
			t.Errorf("reward %d = %.6f, want %.5f", i, xs[i].reward, want)
		}
	}
	for k, want := range map[string]float64{"overthinking_internal": 0.5 / 3, "overthinking_external": 0.36 / 3, "overthinking_score": (1 + 0.99099 + 0.82) / 3, "overthinking_zeroed": 0} {
		if got := m[k].(float64); math.Abs(got-want) > 5e-6 {
			t.Errorf("%s = %.6f, want %.6f", k, got, want)
		}
	}
}

// Card B9 on hand-made chain samples: a group of four whose correct
// completions are "#### 10" (7 characters + EOS = 8 tokens) and
// "7+3=10\n#### 10" (14 + EOS = 15 tokens), the other two wrong: acc_g =
// 0.5, w_g = 0.5 * 0.5 = 0.25; the short one gets 1 + 0.25 (15 - 8)/(15 -
// 8) = 1.25, the long one 1 + 0, the wrong ones keep 0.
func TestEfficiencyHook(t *testing.T) {
	texts := []string{"#### 10", "7+3=10\n#### 10", "#### 11", "7+3=11\n#### 11"}
	ru, xs, ms := judgedSamples(t, "efficiency_rl", 4, texts, []bool{true, true, false, false})
	m := map[string]any{}
	if err := ms[0].(rewardHook).beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1.25, 1, 0, 0} {
		if math.Abs(xs[i].reward-want) > 1e-12 {
			t.Errorf("reward %d = %v, want %v", i, xs[i].reward, want)
		}
	}
	// lengths 8 and 15 tokens (EOS included): mean 11.5; bonus mean 0.125.
	for k, want := range map[string]float64{"efficiency_bonus": 0.125, "efficiency_w": 0.25, "efficiency_len_correct": 11.5} {
		if got := m[k].(float64); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}
