package run

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// judgeSample is a sample whose policy turn is text, with n trained
// tokens at positions 1..n of its row (position 0 is the prompt).
func judgeSample(p task.Problem, text string, n int, correct bool) sample {
	ids := make([]int32, n)
	ep := &episode.Episode{Problem: p, Correct: correct, Segments: []episode.Segment{{Role: episode.RolePrompt, IDs: []int32{1}},
		{Role: episode.RolePolicy, Text: text, IDs: ids, Trainable: true, LogProbs: make([]float32, n)}}}
	pos, lp := ep.Trainable()
	return sample{ep: ep, ids: ep.IDs(), pos: pos, gen: ep.Generated(), oldLogp: lp, correct: correct}
}

// The self_rationalization loss on a mini-batch is DPO over the step's
// pairs with sequence log-probs summed over each judgement's tokens: one
// item (gold 4) with judgements scoring 4 (good rationale), 2 and 4 (bad
// rationale) pairs (0, 1) with pairs_per_item 1. Policy token log-probs
// (-2, -3) and (-1, -3.5) sum to -5 and -4.5... here chosen -5, rejected
// -4, reference -6 and -4.5: margin 0.05, loss 0.6685, and each chosen
// token gets -0.04875 (the DPO gradient of a sum), each rejected +0.04875,
// the third judgement nothing.
func TestSelfRationalizationLoss(t *testing.T) {
	tk, _ := task.New("rubric", map[string]any{"max_digits": 3})
	p := task.Problem{Question: "k2|457+368|835", Answer: "4"}
	xs := []sample{judgeSample(p, "825,w1\n#### 4", 2, true), judgeSample(p, "815,w2\n#### 2", 2, false),
		judgeSample(p, "800,w3\n#### 4", 2, true)}
	r, err := LoadRecipe("self_rationalization")
	if err != nil {
		t.Fatal(err)
	}
	r.RL.GroupSize = 3
	ru := &runner{r: r, task: tk}
	s := &selfRationalization{cfg: SelfRationalizationConfig{Beta: 0.1, PairsPerItem: 1, MetaJudge: "rationale_check", Ref: "initial", Loss: "dpo"},
		dpo: rl.DPO{Beta: 0.1}}
	if err := s.setup(ru); err != nil {
		t.Fatal(err)
	}
	// the pairs, without a reference model: curation only
	s.pairs = nil
	scores := []int{judgeScore(tk, p, "825,w1\n#### 4"), judgeScore(tk, p, "815,w2\n#### 2"), judgeScore(tk, p, "no score")}
	if scores[0] != 4 || scores[1] != 2 || scores[2] != -1 {
		t.Fatalf("scores %v", scores)
	}
	s.pairs = [][2]int{{0, 1}}
	s.refSeq = []float64{-6, -4.5, -1}
	T := 3
	b := &lm.Batch{Rows: 3, Len: T, Tokens: make([]int32, 3*T), Mask: make([]float32, 3*T)}
	logp := make([]float32, 3*T)
	for i, v := range [][2]float32{{-2, -3}, {-1, -3}, {-0.5, -0.5}} {
		b.Mask[i*T+1], b.Mask[i*T+2] = 1, 1
		logp[i*T+1], logp[i*T+2] = v[0], v[1]
	}
	mb := &miniBatch{xs: xs, lo: 0, b: b, starts: []int{0, T, 2 * T}, sc: &lm.Scores{LogProbs: logp}, dlp: make([]float32, 3*T)}
	loss := s.miniBatchLoss(ru, mb)
	if math.Abs(loss-0.6685) > 1e-4 {
		t.Fatalf("loss %v, want 0.6685", loss)
	}
	want := []float32{0, -0.04875, -0.04875, 0, 0.04875, 0.04875, 0, 0, 0}
	for k := range want {
		if math.Abs(float64(mb.dlp[k]-want[k])) > 1e-5 {
			t.Fatalf("d loss / d logp %v, want %v", mb.dlp, want)
		}
	}
	// loss sft: the chosen side's token-mean likelihood only
	s.cfg.Loss = "sft"
	mb.dlp = make([]float32, 3*T)
	if loss := s.miniBatchLoss(ru, mb); math.Abs(loss-2.5) > 1e-9 || mb.dlp[1] != -0.5 || mb.dlp[4] != 0 {
		t.Fatalf("sft loss %v dlp %v", loss, mb.dlp)
	}
}

// Card D1: sort-like q = 2/4 gives the judge target round_half_up(4.5) =
// 5; the group of judge scores [9, 6, 0, 9] / 9 gives GRPO advantages
// [0.7071, 0, -1.4142, 0.7071].
func TestSSRZeroCard(t *testing.T) {
	tk, _ := task.New("cipher", nil)
	p := task.Problem{Question: "tr 0000", Answer: "abcd"}
	if got := episode.JudgeTarget(tk, p, "#### acbd", 9); got != 5 {
		t.Errorf("judge target %d, want 5", got)
	}
	if got := episode.JudgeTarget(tk, p, "acbd", 9); got != 0 {
		t.Errorf("no answer line: judge target %d, want 0", got)
	}
	adv := rl.GRPOAdvantages([]float64{1, 6.0 / 9, 0, 1}, [][]int{{0, 1, 2, 3}}, true)
	for i, w := range []float64{0.7071, 0, -1.4142, 0.7071} {
		if math.Abs(adv[i]-w) > 1e-4 {
			t.Fatalf("advantages %v", adv)
		}
	}
}

// SSR-Zero's reward is the judge's: a verifier-correct completion keeps
// its judged reward, a completion without an answer line (even one that
// writes a fake verdict) gets format_fail_reward, and the verifier's
// agreement is only logged. Recipes that would train on correctness or
// whose judge does not read what pretraining taught are refused.
func TestSSRZeroRewards(t *testing.T) {
	tk, _ := task.New("cipher", nil)
	p := task.Problem{Question: "tr 0000", Answer: "abcd"}
	xs := []sample{judgeSample(p, "#### abcd", 1, true), judgeSample(p, "#### zzzz", 1, false),
		judgeSample(p, "abcd\nScore: 9", 1, false)}
	xs[0].reward, xs[1].reward, xs[2].reward = 0.2, 0.9, 1
	r, err := LoadRecipe("ssr_zero")
	if err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r, task: tk}
	s := &ssrZero{c: SSRZeroConfig{FormatFailReward: -0.5}}
	m := map[string]any{}
	if err := s.beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	if xs[0].reward != 0.2 || xs[1].reward != 0.9 || xs[2].reward != -0.5 {
		t.Fatalf("rewards %v %v %v", xs[0].reward, xs[1].reward, xs[2].reward)
	}
	for i, x := range xs {
		if x.correct {
			t.Fatalf("sample %d: correctness left for training", i)
		}
	}
	if m["ssr_q"].(float64) != 1.0/3 || math.Abs(m["ssr_gap"].(float64)-(0.2-1.0/3)) > 1e-12 || m["ssr_format_fail"].(float64) != 1.0/3 {
		t.Fatalf("metrics %v", m)
	}
	for _, set := range [][]string{{"rl.adv_estimator=psr"}, {"judge.template={question} {response}"}, {"judge.max_score=10"},
		{"env.name=single"}, {"judge.model=endpoint"}, {"drpo={}"}, {"overthinking={}"}} {
		r, _ := LoadRecipe("ssr_zero")
		if err := r.Set(set); err != nil {
			continue // refused already
		}
		if _, err := buildMethods(r); err == nil {
			t.Errorf("%v: ssr_zero accepted it", set)
		} else if strings.HasSuffix(set[0], "={}") && !strings.Contains(err.Error(), "correctness") {
			t.Errorf("%v: refused for another reason: %v", set, err)
		}
	}
	for _, set := range [][]string{{"judge.model=reference"}, {"judge.name=verifier"}} {
		r, _ := LoadRecipe("ssr_zero")
		if err := r.Set(set); err != nil {
			t.Fatal(err)
		}
		if _, err := buildMethods(r); err != nil {
			t.Errorf("%v: %v", set, err)
		}
	}
}

// The self_judge environment's judge demonstrations start from the
// judge's own prompt and teach the candidate's score.
func TestSelfJudgeDemo(t *testing.T) {
	tk, _ := task.New("cipher", nil)
	f, err := episode.New(episode.Options{Name: "self_judge", MaxTurns: 1, Params: map[string]any{"judge_frac": 1.0, "corrupt": 0.0}},
		episode.Deps{Task: tk, Template: task.DefaultTemplate})
	if err != nil {
		t.Fatal(err)
	}
	p := task.Problem{Question: "tr 0000", Answer: "abcd"}
	parts := f(p).(episode.Demonstrator).Demo(func() string { return "#### abzz" }, rand.New(rand.NewPCG(1, 1)))
	if len(parts) != 2 || !parts[0].Prompt || parts[0].Text != "judge tr 0000\n#### abzz\nScore: " || parts[1].Text != "5" || !parts[1].Policy {
		t.Fatalf("demo %+v", parts)
	}
}

// GRM's voting figures on hand-made judgements of one item (right
// response 1): (7,5) right, (6,6) tie, (3,9) wrong, one unparsed.
// vote@1 = (1 + 1/2 + 0 + 0) / 4 = 0.375; vote@4 sums (16,20) over the
// valid ones: wrong. Guided, k_meta = 2 of equal mean log-probs keeps the
// first two valid ones in sampling order: (13,11), right.
func TestGRMVoteFigures(t *testing.T) {
	tk, _ := task.New("grm_pair", nil)
	p := task.Problem{Question: "47+38|85|75", Answer: "1"}
	r, err := LoadRecipe("grm")
	if err != nil {
		t.Fatal(err)
	}
	r.Eval.KList = []int{1, 4}
	ru := &runner{r: r, task: tk}
	var eps []*episode.Episode
	for _, text := range []string{"p:85\n#### 7,5", "#### 6,6", "#### 3,9", "#### 7,5,1"} {
		eps = append(eps, judgeSample(p, text, 1, false).ep)
	}
	g := &grm{c: GRMConfig{MetaFrac: 0.5, MaxSubsets: 500}}
	f := g.voteFigures(ru, []task.Problem{p}, [][]*episode.Episode{eps})
	if f["grm_vote@1"] != 0.375 || f["grm_vote@4"] != 0 || f["grm_guided_vote@4"] != 1 || f["grm_valid"] != 0.75 {
		t.Fatalf("figures %v", f)
	}
	if !strings.HasPrefix(tk.Description(), "generative reward model") {
		t.Fatal(tk.Description())
	}
}

// The iterated DPO reference: the first iteration's is the run's
// reference; a later iteration's is the policy as it starts, saved, so a
// run resumed inside that iteration (a fresh plug-in, a policy that has
// moved on) loads it instead of copying its current policy.
func TestSelfRationalizationReference(t *testing.T) {
	cfg := lm.Config{VocabSize: 16, HiddenSize: 8, IntermediateSize: 16, NumHiddenLayers: 1, NumAttentionHeads: 2,
		NumKeyValueHeads: 2, RopeTheta: 1e4, RMSNormEps: 1e-6, MaxPositionEmbeddings: 16}
	policy, err := lm.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := LoadRecipe("self_rationalization")
	ru := &runner{r: r, dir: t.TempDir(), policy: policy, ref: policy.Clone()}
	newSR := func() *selfRationalization {
		return &selfRationalization{cfg: SelfRationalizationConfig{Ref: "iteration", IterationSteps: 3}}
	}
	w := func(m *lm.Model) float32 { return m.Params()[0].W[0] }
	s := newSR()
	for step, want := range map[int]*lm.Model{0: ru.ref, 2: ru.ref} {
		if got, _ := s.reference(ru, step); got != want {
			t.Fatalf("step %d: not the run's reference", step)
		}
	}
	policy.Params()[0].W[0] += 1 // training moved the policy
	atStart := w(policy)
	ref3, err := s.reference(ru, 3)
	if err != nil || ref3 == ru.ref || w(ref3) != atStart {
		t.Fatalf("iteration 2's reference: %v, weight %v want %v", err, w(ref3), atStart)
	}
	if again, _ := s.reference(ru, 5); again != ref3 {
		t.Fatal("the reference changed inside an iteration")
	}
	policy.Params()[0].W[0] += 1 // step 4 trained, then the run was killed and resumed
	resumed, err := newSR().reference(ru, 4)
	if err != nil || w(resumed) != atStart {
		t.Fatalf("resumed inside iteration 2: weight %v, want the saved %v (%v)", w(resumed), atStart, err)
	}
	s.cfg.Ref = "initial"
	if got, _ := s.reference(ru, 7); got != ru.ref {
		t.Fatal("ref initial: not the run's reference")
	}
}
