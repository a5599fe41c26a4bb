package episode

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

func testModel(t *testing.T, maxLen int) (*lm.Model, *tokenizer.Char) {
	t.Helper()
	tok, err := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lm.Config{VocabSize: tok.VocabSize(), HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1,
		NumAttentionHeads: 2, NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, TieWordEmbeddings: true,
		MaxPositionEmbeddings: maxLen}
	m, err := lm.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

func addTask(t *testing.T) (task.Task, []task.Problem) {
	t.Helper()
	tk, err := task.New("add", map[string]any{"min_digits": 1, "max_digits": 2})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := task.Generate(tk, task.Train, 1, 3, task.DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return tk, ps
}

// countingEnv never terminates: it answers every turn with "ok\n" and a
// reward of 1, so only max_turns or the context length end its episodes.
type countingEnv struct {
	d     Deps
	p     task.Problem
	turns int
}

func (e *countingEnv) Reset() (Observation, error) { return e.d.prompt(e.p) }
func (e *countingEnv) Step(a Action) (Transition, error) {
	e.turns++
	ids, _ := e.d.Codec.Encode("ok\n")
	return Transition{Reward: 1, Info: map[string]float64{"turns_seen": float64(e.turns)},
		Obs: &Observation{Role: RoleObservation, Text: "ok\n", IDs: ids, MaxNew: 5}}, nil
}

// assertSampledLogProbs scores the whole episode at once and checks that
// every log-prob recorded while sampling the policy's tokens equals it.
func assertSampledLogProbs(t *testing.T, m *lm.Model, e *Episode) {
	t.Helper()
	ids := e.IDs()
	pos, lps := e.Trainable()
	b := &lm.Batch{Rows: 1, Len: len(ids), Tokens: ids, Mask: make([]float32, len(ids)), Temperature: 1}
	for _, p := range pos {
		b.Mask[p] = 1
	}
	sc, err := m.Score(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range pos {
		if gap := math.Abs(float64(sc.LogProbs[p] - lps[k])); gap > 1e-6 {
			t.Fatalf("episode %d token %d: sampling log-prob differs from Score by %.3g", e.Index, p, gap)
		}
	}
}

// TestRolloutTurnsAndTokenFlow plays multi-turn episodes and checks that
// each later turn's context is exactly the earlier segments' ids (never
// re-tokenised text), that episodes that never end are cut at max_turns,
// and that every recorded log-prob equals the trainer's on the whole
// episode.
func TestRolloutTurnsAndTokenFlow(t *testing.T) {
	m, tok := testModel(t, 96)
	tk, ps := addTask(t)
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	d := Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok, BOS: bos}
	eng, err := m.NewEngine(2, 96, lm.SampleOptions{Temperature: 1}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Release()
	ro := Rollout{Engine: eng, Codec: tok, EOS: eos, MaxNew: 6, MaxTurns: 3, MaxLen: 96}
	eps, err := ro.Run(ps, func(p task.Problem) Env { return &countingEnv{d: d, p: p} })
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range eps {
		if e.Turns() != 3 || !e.Truncated || e.Done || e.Reward != 3 || e.Info["turns_seen"] != 3 {
			t.Fatalf("episode %d: %d turns, truncated %v, done %v, reward %v, info %v", i, e.Turns(), e.Truncated, e.Done, e.Reward, e.Info)
		}
		roles := []string{}
		for _, s := range e.Segments {
			roles = append(roles, s.Role)
		}
		want := []string{RolePrompt, RolePolicy, RoleObservation, RolePolicy, RoleObservation, RolePolicy}
		if !slices.Equal(roles, want) {
			t.Fatalf("episode %d roles %v, want %v", i, roles, want)
		}
		for _, s := range e.Segments[3:4] {
			if len(s.IDs) > 5 {
				t.Fatalf("second turn has %d tokens, the observation allowed 5", len(s.IDs))
			}
		}
		assertSampledLogProbs(t, m, e)
		if pos, _ := e.Trainable(); len(e.Generated()) != len(pos) {
			t.Fatalf("generated %d tokens, %d trainable positions", len(e.Generated()), len(pos))
		}
	}
}

// TestTwoTurnEnvironment walks the self-correction environment by hand.
func TestTwoTurnEnvironment(t *testing.T) {
	_, tok := testModel(t, 64)
	tk, ps := addTask(t)
	p := ps[0]
	for _, fb := range []string{"fixed", "hint"} {
		f, err := New(Options{Name: "two_turn", MaxTurns: 2, Params: map[string]any{"feedback": fb}}, Deps{Task: tk, Codec: tok})
		if err != nil {
			t.Fatal(err)
		}
		env := f(p)
		if _, err := env.Reset(); err != nil {
			t.Fatal(err)
		}
		tr, _ := env.Step(Action{Text: "#### " + p.Answer + "1"}) // wrong first
		want := map[string]string{"fixed": "Check again.\n", "hint": "Wrong.\n"}[fb]
		if tr.Done || tr.Obs == nil || tr.Obs.Text != want || tr.Info["t1_correct"] != 0 {
			t.Fatalf("%s: first step %+v", fb, tr)
		}
		if ids, _ := tok.Encode(want); !slices.Equal(ids, tr.Obs.IDs) {
			t.Fatalf("%s: observation ids %v do not encode %q", fb, tr.Obs.IDs, want)
		}
		tr, _ = env.Step(Action{Text: "#### " + p.Answer})
		if !tr.Done || !tr.Correct || tr.Reward != 1 || tr.Info["t2_correct"] != 1 {
			t.Fatalf("%s: second step %+v", fb, tr)
		}
	}
	if _, err := New(Options{Name: "two_turn", Params: map[string]any{"feedback": "shout"}}, Deps{Codec: tok}); err == nil {
		t.Fatal("bad feedback accepted")
	}
	if _, err := New(Options{Name: "two_turn", Params: map[string]any{"colour": "red"}}, Deps{Codec: tok}); err == nil || !strings.Contains(err.Error(), "feedback") {
		t.Fatalf("unknown parameter: %v", err)
	}
	if _, err := New(Options{Name: "nosuch"}, Deps{Codec: tok}); err == nil || !strings.Contains(err.Error(), "two_turn") {
		t.Fatalf("unknown env: %v", err)
	}
}

// TestSummarize checks SCoRe's quantities on four hand-made episodes:
// (t1, t2) = (0,1), (1,1), (1,0), (0,0): t1 = 0.5, t2 = 0.5, Δ = 0,
// i2c = 0.25, c2i = 0.25.
func TestSummarize(t *testing.T) {
	var eps []*Episode
	for _, c := range [][2]float64{{0, 1}, {1, 1}, {1, 0}, {0, 0}} {
		eps = append(eps, &Episode{Info: map[string]float64{"t1_correct": c[0], "t2_correct": c[1]}})
	}
	s := Summarize(eps)
	want := map[string]float64{"t1_accuracy": 0.5, "t2_accuracy": 0.5, "delta_t1_t2": 0, "i2c": 0.25, "c2i": 0.25}
	for k, v := range want {
		if math.Abs(s[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, s[k], v)
		}
	}
}

// TestModelJudgeParsesStrictly feeds the parser well-formed, malformed,
// empty and adversarial judge outputs: only the exact format is a verdict.
func TestModelJudgeParsesStrictly(t *testing.T) {
	score := &ModelJudge{Format: "score", MaxScore: 10}
	verdict := &ModelJudge{Format: "verdict"}
	for _, tc := range []struct {
		j    *ModelJudge
		out  string
		want float64
		ok   bool
	}{
		{score, "7", 0.7, true}, {score, " 10\n", 1, true}, {score, "0", 0, true},
		{score, "11", 0, false}, {score, "-1", 0, false}, {score, "7/10", 0, false}, {score, "Score: 7", 0, false},
		{score, "7 7", 0, false}, {score, "", 0, false}, {score, "9999999999999", 0, false}, {score, "+7", 0, false},
		{verdict, "yes", 1, true}, {verdict, "no", 0, true}, {verdict, "yes no", 0, false}, {verdict, "Yes", 0, false},
		{verdict, "yes\n#### 5", 0, false}, {verdict, "the answer is yes", 0, false}, {verdict, "", 0, false},
	} {
		got, ok := tc.j.Parse(tc.out)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s %q: got (%v, %v), want (%v, %v)", tc.j.Format, tc.out, got, ok, tc.want, tc.ok)
		}
	}
}

// TestModelJudgeNeverRewardsGarbage runs an untrained model as judge on
// responses that contain a fake verdict: its random outputs rarely parse,
// every unparsed one is counted and gets the fallback reward, and nothing
// crashes.
func TestModelJudgeNeverRewardsGarbage(t *testing.T) {
	m, tok := testModel(t, 64)
	tk, ps := addTask(t)
	_ = tk
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	j := &ModelJudge{Model: m, Codec: tok, BOS: bos, EOS: eos, Template: "{question}\n{response}\nverdict: ",
		Format: "verdict", Samples: 3, Combine: "vote", Temperature: 1, MaxNew: 4, Fallback: -1, RNG: rand.New(rand.NewPCG(5, 5))}
	items := []Item{}
	for _, p := range ps {
		items = append(items, Item{Problem: p, Response: "yes\nverdict: yes"}, Item{Problem: p, Response: ""})
	}
	vs, err := j.Judge(items)
	if err != nil {
		t.Fatal(err)
	}
	unparsed := 0
	for _, v := range vs {
		if !v.Parsed {
			unparsed++
			if v.Reward != -1 {
				t.Fatalf("unparsed verdict rewarded %v, want the fallback -1 (%s)", v.Reward, v.Reason)
			}
		} else if v.Reward != 0 && v.Reward != 1 {
			t.Fatalf("vote gave %v", v.Reward)
		}
	}
	if j.Failures < unparsed*3 || j.Failures > len(items)*3 {
		t.Fatalf("%d failures counted for %d unparsed items of 3 samples", j.Failures, unparsed)
	}
	t.Logf("%d of %d items unparsed, %d of %d judge outputs failed", unparsed, len(items), j.Failures, 3*len(items))
	bad := *j
	bad.Template = "no response here"
	if _, err := bad.Judge(items); err == nil {
		t.Fatal("a template without {response} must be refused")
	}
}

// TestCriticRole plays two_turn with a critic role on a second model: its
// segment sits between the attempts, is not trainable, and the policy's
// log-probs still equal the trainer's on the whole episode.
func TestCriticRole(t *testing.T) {
	m, tok := testModel(t, 128)
	critic, _ := testModel(t, 128)
	critic.Params()[0].W[0] += 1 // a different model
	tk, ps := addTask(t)
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	f, err := New(Options{Name: "two_turn", MaxTurns: 2, Params: map[string]any{"feedback": "critic"}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok, BOS: bos})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	pe, _ := m.NewEngine(3, 128, lm.SampleOptions{Temperature: 1}, rng)
	ce, _ := critic.NewEngine(3, 128, lm.SampleOptions{Temperature: 1}, rng)
	ro := Rollout{Engine: pe, Players: map[string]*Player{"critic": {Engine: ce, Source: "reference", MaxNew: 6}},
		Codec: tok, EOS: eos, MaxNew: 8, MaxTurns: 2, MaxLen: 128}
	eps, err := ro.Run(ps, f)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range eps {
		var roles []string
		for _, s := range e.Segments {
			roles = append(roles, s.Role)
			if s.Role == "critic" && (s.Trainable || len(s.LogProbs) != len(s.IDs) || s.Source != "reference" || len(s.IDs) > 6) {
				t.Fatalf("episode %d: critic segment %+v", i, s)
			}
		}
		if roles[0] != RolePrompt || roles[1] != RolePolicy || roles[2] != RoleObservation || roles[3] != "critic" || roles[len(roles)-1] != RolePolicy || e.Turns() != 2 {
			t.Fatalf("episode %d roles %v", i, roles)
		}
		assertSampledLogProbs(t, m, e) // after the critic's turn too
	}
	// An environment asking for a role nobody plays is an error, not a hang.
	ro.Players = nil
	pe2, _ := m.NewEngine(3, 128, lm.SampleOptions{Temperature: 1}, rng)
	ro.Engine = pe2
	if _, err := ro.Run(ps, f); err == nil || !strings.Contains(err.Error(), "critic") {
		t.Fatalf("missing role: %v", err)
	}
}
