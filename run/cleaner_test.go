package run

import (
	"math"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// retrievalEpisode builds a retrieval episode from alternating texts:
// prompt, then policy turn, observation, policy turn, ... (char tokens).
func retrievalEpisode(t *testing.T, tok *tokenizer.Char, texts ...string) *episode.Episode {
	t.Helper()
	e := &episode.Episode{Problem: task.Problem{Question: "f(17)", Answer: "42",
		Meta: map[string]any{"docs": "f 35=17;f 17=42;h 17=90", "gold": "f 17=42"}}}
	for i, s := range texts {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		seg := episode.Segment{Role: episode.RolePrompt, Text: s, IDs: ids}
		if i%2 == 1 {
			seg.Role, seg.Trainable = episode.RolePolicy, true
			seg.LogProbs = make([]float32, len(ids))
			for k := range seg.LogProbs {
				seg.LogProbs[k] = -float32(i) // marks the turn each token came from
			}
		} else if i > 0 {
			seg.Role, seg.Source = episode.RoleTool, "s"
		}
		e.Segments = append(e.Segments, seg)
	}
	return e
}

func policyTexts(e *episode.Episode) string {
	var out []string
	for _, s := range e.Segments {
		out = append(out, s.Text)
	}
	return strings.Join(out, "|")
}

// TestCLEANERRewritesEpisode: a malformed query answered by an error and
// retried is rolled back: s("f17", "f 17") = 6/7 >= 0.5, so the failed
// turn's reasoning (the judge tag <jy>) stays and only its call is
// replaced; the error leaves the trajectory; the sample's tokens and
// log-probs follow (without rescoring, the spliced tokens keep the
// log-probs recorded in their own turns).
func TestCLEANERRewritesEpisode(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRecipe("cleaner")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	cl := ms[0].(*cleaner)
	cl.c.Rescore = false
	ru := &runner{r: r, tok: tok}
	e := retrievalEpisode(t, tok, "f(17)\n", "<s>f 17</s>", "<result>f 35=17</result>\n",
		"<jn><s>f17</s>", "<error>no results</error>\n", "<s>f 17</s>", "<result>f 17=42</result>\n", "<jy>#### 42")
	xs := []sample{{ep: e, reward: 1, correct: true}}
	xs[0].layout()
	n0 := len(xs[0].ids)
	if err := cl.rewriteEpisodes(ru, 0, xs); err != nil {
		t.Fatal(err)
	}
	want := "f(17)\n|<s>f 17</s>|<result>f 35=17</result>\n|<jn><s>f 17</s>|<result>f 17=42</result>\n|<jy>#### 42"
	if got := policyTexts(e); got != want {
		t.Fatalf("purified\n%s\nwant\n%s", got, want)
	}
	removed := len("<s>f17</s>") + len("<error>no results</error>\n") // the retry replaced the failed call, same prefix
	if n0-len(xs[0].ids) != removed || e.Info["cleaner_rollbacks"] != 1 || e.Info["cleaner_deep"] != 0 ||
		e.Info["cleaner_removed_tokens"] != float64(removed) {
		t.Fatalf("removed %d tokens, info %v", n0-len(xs[0].ids), e.Info)
	}
	// The spliced turn: 4 tokens of turn 3 (<jn>), 11 of turn 5.
	lp := e.Segments[3].LogProbs
	if len(lp) != 15 || lp[0] != -3 || lp[3] != -3 || lp[4] != -5 || lp[14] != -5 || len(xs[0].oldLogp) != len(xs[0].pos) {
		t.Fatalf("spliced log-probs %v", lp)
	}
	if xs[0].reward != 1 || !xs[0].correct {
		t.Fatal("the outcome changed")
	}
	// An episode without a failed call is left alone.
	e2 := retrievalEpisode(t, tok, "f(17)\n", "<s>f 17</s>", "<result>f 17=42</result>\n", "<jy>#### 42")
	xs = []sample{{ep: e2}}
	xs[0].layout()
	before := policyTexts(e2)
	if err := cl.rewriteEpisodes(ru, 0, xs); err != nil || policyTexts(e2) != before || e2.Info["cleaner_rollbacks"] != 0 {
		t.Fatalf("clean episode changed: %v %s", err, policyTexts(e2))
	}
}

// TestReSeekShapesReward: the episode above (raw) has two judged results:
// "f 35=17" judged No (right: it lacks =42) and "f 17=42" judged Yes with
// a correct answer: R = 1 + 0.4 + 0.4 = 1.8. The same judgements with a
// wrong answer: 0 + 0.3 + 0.3 = 0.6 (both judgements right, no answer
// boost). No answer line: 0.
func TestReSeekShapesReward(t *testing.T) {
	tok, _ := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	r, err := LoadRecipe("reseek")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	rs := ms[0].(*reseek)
	ru := &runner{r: r, tok: tok}
	for _, k := range []struct {
		last    string
		correct bool
		want    float64
	}{{"<jy>#### 42", true, 1.8}, {"<jy>#### 35", false, 0.6}, {"<jy>42", false, 0}} {
		e := retrievalEpisode(t, tok, "f(17)\n", "<s>f 17</s>", "<result>f 35=17</result>\n",
			"<jn><s>f 17</s>", "<result>f 17=42</result>\n", k.last)
		x := sample{ep: e, correct: k.correct}
		rs.shapeReward(ru, &x)
		if math.Abs(x.reward-k.want) > 1e-12 || e.Info["reseek_judged"] != 2 || e.Info["reseek_judge_right"] != 2 {
			t.Errorf("%q: R %v info %v, want %v", k.last, x.reward, e.Info, k.want)
		}
	}
}
