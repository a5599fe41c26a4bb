package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// duelSample is a one-turn episode of the duel task playing text.
func duelSample(text string) sample {
	ep := &episode.Episode{Problem: task.Problem{Question: "duel 1", Prompt: "duel 1\n"},
		Segments: []episode.Segment{{Role: "prompt", IDs: []int32{1}}, {Role: "policy", Text: text, IDs: []int32{2, 3}, Trainable: true}}}
	pos, lp := ep.Trainable()
	return sample{ep: ep, ids: ep.IDs(), pos: pos, gen: ep.Generated(), oldLogp: lp}
}

// TestSPOHook: a group (paper, rock, rock, well) of the duel gets win
// rates paper (1 + 1 + 1)/3 = 1, rock (0 + 0.5 + 0)/3 = 1/6 twice, well
// (0 + 1 + 1)/3 = 2/3; INPO picks paper ≻ rock (Copeland 3 vs 0.5).
func TestSPOHook(t *testing.T) {
	r, err := LoadRecipe("spo")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"rl.group_size=4"}); err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r, task: &task.Duel{Mix: []float64{1, 1, 1, 1}}}
	s := &spo{c: SPOConfig{Opponent: "group", SymmetrizePositions: true}}
	if err := s.setup(ru); err != nil {
		t.Fatal(err)
	}
	xs := []sample{duelSample("#### paper"), duelSample("#### rock"), duelSample("#### rock"), duelSample("#### well")}
	m := map[string]any{}
	if err := s.beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 1. / 6, 1. / 6, 2. / 3}
	for i, x := range xs {
		if math.Abs(x.reward-want[i]) > 1e-12 {
			t.Fatalf("sample %d reward %v, want %v", i, x.reward, want[i])
		}
	}
	if got := m["spo_ties"].(float64); math.Abs(got-2./12) > 1e-12 {
		t.Fatalf("spo_ties %v, want 2/12", got)
	}
	n := &inpo{c: rl.INPO{Eta: 0.25, TauOverEta: 1. / 3, PairSelection: "copeland", LogpReduction: "sum"}, pref: s.pref}
	if err := n.beforeAdvantages(ru, xs, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if len(n.pairs) != 1 || n.pairs[0].w != 0 || n.pairs[0].l != 1 {
		t.Fatalf("INPO pairs %+v, want paper (0) over the first rock (1)", n.pairs)
	}
	// A task without a preference is refused at setup.
	if err := s.setup(&runner{r: r, task: &task.Chain{MinOps: 1, MaxOps: 2}}); err == nil {
		t.Fatal("spo accepted a task without a preference function")
	}
}

// TestExItHook: completions with lines become instances whose prompt is
// the original prompt plus a prefix of whole lines; replaying an instance
// scores it by its group's return variance (rewards 1, 0 → 0.25).
func TestExItHook(t *testing.T) {
	r, err := LoadRecipe("exit")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"rl.group_size=2"}); err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r}
	e := &exitMethod{c: ExItConfig{PSelect: 1, BufferCapacity: 8, BufferMinSize: 1, Priority: "softmax", Kappa: 1, Reward: "verifier", MaxDepth: 4}}
	p := task.Problem{Question: "7+3*2", Prompt: "7+3*2\n", Answer: "20"}
	mk := func(p task.Problem, text string, reward float64) sample {
		x := duelSample(text)
		x.ep.Problem, x.reward = p, reward
		return x
	}
	xs := []sample{mk(p, "7+3=10\n10*2=20\n#### 20", 1), mk(p, "#### 21", 0)}
	if err := e.beforeAdvantages(ru, xs, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if len(e.st.Buffer) != 1 {
		t.Fatalf("buffer %+v, want one instance (the one-line completion has no partial history)", e.st.Buffer)
	}
	b := e.st.Buffer[0]
	if b.Prefix != "7+3=10\n" && b.Prefix != "7+3=10\n10*2=20\n" || b.Problem.Prompt != p.Prompt+b.Prefix || b.Depth != 1 || b.PrevReward != 1 {
		t.Fatalf("instance %+v", b)
	}
	ys := []sample{mk(b.Problem, "10*2=20\n#### 20", 1), mk(b.Problem, "10*2=21\n#### 21", 0)}
	m := map[string]any{}
	if err := e.beforeAdvantages(ru, ys, m); err != nil {
		t.Fatal(err)
	}
	if got := e.st.Buffer[0]; !got.Played || got.Score != 0.25 {
		t.Fatalf("replayed instance %+v, want score 0.25", got)
	}
	if m["exit_replay"].(float64) != 1 || m["exit_depth"].(float64) != 1 {
		t.Fatalf("metrics %v", m)
	}
	for _, in := range e.st.Buffer[1:] {
		if in.Depth != 2 || len(in.Prefix) <= len(b.Prefix) || in.Problem.Prompt != p.Prompt+in.Prefix {
			t.Fatalf("deeper instance %+v", in)
		}
	}
}
