package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
)

// The RLSP hook on card C7's group (α 0.8, S_cap 8): correct with 4
// steps 0.9, wrong with 8 steps 0.2, correct with no steps 0.8, no answer
// line with 6 steps 0. The step's exploration share is (0.1 + 0.2 + 0 +
// 0) / 1.9; the evaluation figures count the correct responses' one
// backtrack and one verification.
func TestRLSPHook(t *testing.T) {
	texts := []string{
		"3+5=8\n8*7=56\n|5*3=15\n?15=15\n#### 5*3",
		"1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2\n#### 2",
		"#### 5*3",
		"1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2\n1+1=2",
	}
	correct := []bool{true, false, true, false}
	ru, xs, ms := judgedSamples(t, "rlsp", 4, texts, correct)
	ru.r.RL.Steps = 10
	ru.prog.GStep = ru.sftEnd() + 1
	m := map[string]any{}
	if err := ms[0].(rewardHook).beforeAdvantages(ru, xs, m); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.9, 0.2, 0.8, 0} {
		if math.Abs(xs[i].reward-want) > 1e-12 {
			t.Errorf("reward %d = %v, want %v", i, xs[i].reward, want)
		}
	}
	checks := map[string]float64{"rlsp_alpha": 0.8, "rlsp_steps": 18.0 / 4, "rlsp_backtracks": 0.25, "rlsp_verifies": 0.25,
		"rlsp_explore_share": 0.3 / 1.9}
	for k, want := range checks {
		if got, _ := m[k].(float64); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	var eps []*episode.Episode
	for i := range xs {
		xs[i].ep.Correct = correct[i]
		eps = append(eps, xs[i].ep)
	}
	figs := ms[0].(evalVoter).voteFigures(ru, nil, [][]*episode.Episode{eps})
	for k, want := range map[string]float64{"rlsp_steps": 4.5, "rlsp_backtracks_correct": 0.5, "rlsp_verifies_correct": 0.5, "rlsp_search_correct": 0.5} {
		if math.Abs(figs[k]-want) > 1e-12 {
			t.Errorf("eval %s = %v, want %v", k, figs[k], want)
		}
	}
}
