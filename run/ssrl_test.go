package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/tokenizer"
)

// TestSSRLMasksSelfWrittenResults: a self-search turn
// "<s>f 17</s><result>f 17=42</result>\n#### 42" (one policy segment) is
// cut into policy "<s>f 17</s>" (11 tokens), tool
// "<result>f 17=42</result>" (24 tokens, untrained) and policy
// "\n#### 42" (8 tokens): 19 trained tokens of 43, their sampling
// log-probs kept in place. Its reward with a right answer is
// 0.9 + 0.1·1 = 1.0; the same turn with the wrong answer "#### 41" gets
// 0.1 (format only); a direct answer "#### 42" without a search 0.95.
func TestSSRLMasksSelfWrittenResults(t *testing.T) {
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRecipe("ssrl")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	s := ms[0].(*ssrl)
	ru := &runner{r: r, tok: tok}
	e := retrievalEpisode(t, tok, "f(17)\n", "<s>f 17</s><result>f 17=42</result>\n#### 42")
	for k := range e.Segments[1].LogProbs {
		e.Segments[1].LogProbs[k] = -float32(k) // position marks
	}
	e.Segments[1].Stopped = true
	xs := []sample{{ep: e, correct: true}}
	xs[0].layout()
	if len(xs[0].pos) != 43 {
		t.Fatalf("before: %d trained tokens", len(xs[0].pos))
	}
	if err := s.rewriteEpisodes(ru, 0, xs); err != nil {
		t.Fatal(err)
	}
	want := "f(17)\n|<s>f 17</s>|<result>f 17=42</result>|\n#### 42"
	if got := policyTexts(e); got != want {
		t.Fatalf("cut\n%q\nwant\n%q", got, want)
	}
	if e.Segments[2].Trainable || !e.Segments[1].Trainable || !e.Segments[3].Trainable || !e.Segments[3].Stopped {
		t.Fatalf("trainable flags %+v", e.Segments)
	}
	if len(xs[0].pos) != 19 || len(xs[0].oldLogp) != 19 || xs[0].oldLogp[10] != -10 || xs[0].oldLogp[11] != -35 ||
		e.Info["ssrl_masked_tokens"] != 24 || e.Info["ssrl_unmasked"] != 0 {
		t.Fatalf("trained %d tokens, log-probs %v, info %v", len(xs[0].pos), xs[0].oldLogp, e.Info)
	}
	s.shapeReward(ru, &xs[0])
	if math.Abs(xs[0].reward-1.0) > 1e-12 || e.Info["ssrl_format"] != 1 {
		t.Fatalf("reward %v, format %v", xs[0].reward, e.Info["ssrl_format"])
	}
	for _, tc := range []struct {
		text    string
		correct bool
		want    float64
	}{
		{"<s>f 17</s><result>f 17=42</result>\n#### 41", false, 0.1},
		{"#### 42", true, 0.95},
		{"<s>f 17</s><result>f 17=42\n#### 42", true, 0.9}, // an unclosed result breaks the format
	} {
		x := sample{ep: retrievalEpisode(t, tok, "f(17)\n", tc.text), correct: tc.correct}
		x.layout()
		if err := s.rewriteEpisodes(ru, 0, []sample{x}); err != nil {
			t.Fatal(err)
		}
		s.shapeReward(ru, &x)
		if math.Abs(x.reward-tc.want) > 1e-12 {
			t.Fatalf("%q: reward %v, want %v", tc.text, x.reward, tc.want)
		}
	}
	// mask_information false leaves the turn whole.
	s.c.MaskInformation = false
	e2 := retrievalEpisode(t, tok, "f(17)\n", "<s>f 17</s><result>f 17=42</result>\n#### 42")
	x2 := []sample{{ep: e2}}
	x2[0].layout()
	if err := s.rewriteEpisodes(ru, 0, x2); err != nil || len(x2[0].pos) != 43 {
		t.Fatalf("unmasked: %v, %d trained tokens", err, len(x2[0].pos))
	}
}
