package run

import (
	"math"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// Self-PRM's evaluation figures on four hand-made samples of chain
// problem 7+3*2-5 = 15, step_score logprob (every token of line k sampled
// with probability q_k, so the line's score is q_k), aggregate min,
// threshold 0.5:
//
//	sample                       right  q_k                 min   first wrong (verifier)
//	7+3=10|10*2=20|20-5=15|#### 15  yes  .9 .8 .9 .9         0.8   -1 (-1)
//	7+3=10|10*2=21|21-5=16|#### 16  no   .9 .4 .9 .9         0.4    1 (1)
//	#### 14                         no   .95                 0.95  -1 (0)
//	#### 15                         yes  .3                  0.3    0 (-1)
//
// AUC of right {0.8, 0.3} over wrong {0.4, 0.95}: 1 of 4 pairs won = 0.25;
// best-of-n picks #### 14 (0), gain 0 - 0.5; the min-weighted vote gives
// 15 1.1, 14 0.95, 16 0.4: right (1), as plain majority (15 twice): vote
// gain 0; first-error accuracy 1/2 on the erroneous samples, 1/2 on the
// error-free ones, F1 0.5; mean score 0.6125.
func TestSelfPRMFigures(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	eos, _ := tok.Special("<eos>")
	r, err := LoadRecipe("self_prm")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"self_prm.step_score=logprob", "self_prm.aggregate=min", "self_prm.greedy=false"}); err != nil {
		t.Fatal(err)
	}
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := task.New("chain", nil)
	if err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r, tok: tok, eos: eos, task: tk}
	p := task.Problem{Question: "7+3*2-5", Answer: "15"}
	prompt, _ := tok.Encode(p.Question + "\n")
	var eps []*episode.Episode
	for _, c := range []struct {
		text    string
		correct bool
		q       []float64
	}{
		{"7+3=10\n10*2=20\n20-5=15\n#### 15", true, []float64{.9, .8, .9, .9}},
		{"7+3=10\n10*2=21\n21-5=16\n#### 16", false, []float64{.9, .4, .9, .9}},
		{"#### 14", false, []float64{.95}},
		{"#### 15", true, []float64{.3}},
	} {
		ids, err := tok.Encode(c.text)
		if err != nil {
			t.Fatal(err)
		}
		var lp []float32
		for k, line := range strings.Split(c.text, "\n") {
			n := len(line) + 1 // the newline belongs to its line
			if k == len(c.q)-1 {
				n = len(line)
			}
			for range n {
				lp = append(lp, float32(math.Log(c.q[k])))
			}
		}
		eps = append(eps, &episode.Episode{Problem: p, Correct: c.correct, Segments: []episode.Segment{
			{Role: episode.RolePrompt, IDs: prompt},
			{Role: episode.RolePolicy, Text: c.text, IDs: ids, Trainable: true, LogProbs: lp}}})
	}
	var sp *selfPRM
	for _, m := range ms {
		if s, ok := m.(*selfPRM); ok {
			sp = s
		}
	}
	f := sp.voteFigures(ru, []task.Problem{p}, [][]*episode.Episode{eps})
	want := map[string]float64{"self_prm_auc": 0.25, "self_prm_auc_pooled": 0.25, "self_prm_auc_n": 1,
		"self_prm_best_of_n": 0, "self_prm_gain": -0.5, "self_prm_vote": 1, "self_prm_vote_gain": 0,
		"self_prm_err_acc": 0.5, "self_prm_ok_acc": 0.5, "self_prm_f1": 0.5, "self_prm_score": 0.6125}
	for k, w := range want {
		if g, ok := f[k]; !ok || math.Abs(g-w) > 1e-6 {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
}

// Bad self_prm sections are refused, naming the field; task must be chain.
func TestSelfPRMValidate(t *testing.T) {
	for _, c := range []struct {
		set  string
		want string
	}{
		{"self_prm.step_score=judge", "step_score"},
		{"self_prm.aggregate=max", "aggregate"},
		{"self_prm.threshold=1.5", "threshold"},
		{"task.name=add", "needs task chain"},
	} {
		r, err := LoadRecipe("self_prm")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Set([]string{c.set}); err != nil {
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %v, want one naming %q", c.set, err, c.want)
			}
			continue
		}
		if _, err := buildMethods(r); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "self_prm") {
			t.Errorf("%v: error %v, want one naming %q", c.set, err, c.want)
		}
	}
}
