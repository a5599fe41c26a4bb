package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
)

// twoAttempts is a two_turn episode: prompt, y1 (n1 tokens), feedback, y2
// (n2 tokens; none when n2 < 0).
func twoAttempts(n1, n2 int, t1 bool, r2 float64) sample {
	toks := func(n int, v int32) []int32 {
		ids := make([]int32, n)
		for i := range ids {
			ids[i] = v
		}
		return ids
	}
	e := &episode.Episode{Info: map[string]float64{"t1_correct": scoreB2F(t1)}, Reward: r2}
	e.Segments = append(e.Segments,
		episode.Segment{Role: episode.RolePrompt, IDs: toks(3, 1)},
		episode.Segment{Role: episode.RolePolicy, IDs: toks(n1, 5), Trainable: true, LogProbs: make([]float32, n1)})
	if n2 >= 0 {
		e.Segments = append(e.Segments,
			episode.Segment{Role: episode.RoleObservation, IDs: toks(2, 2)},
			episode.Segment{Role: episode.RolePolicy, IDs: toks(n2, 6), Trainable: true, LogProbs: make([]float32, n2)})
	}
	pos, lp := e.Trainable()
	return sample{ep: e, ids: e.IDs(), pos: pos, gen: e.Generated(), oldLogp: lp, reward: r2}
}

func scoreB2F(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The card's group (r1, r2) = (0,1), (0,0), (1,1), (1,0): Stage II's
// shaped second rewards [11, 0, 1, −10] give y2 the advantages
// [1.4126, −0.0673, 0.0673, −1.4126]; r1 = [0, 0, 1, 1] (mean 0.5,
// population std 0.5) gives y1 [−1, −1, 1, 1]. In Stage I, y1 gets 0 and y2
// the advantages of r2 = [1, 0, 1, 0]: [1, −1, 1, −1]; the KL coefficient
// is β2 on y1 and 0 on y2.
func TestSCoReCredit(t *testing.T) {
	r, err := LoadRecipe("score")
	if err != nil {
		t.Fatal(err)
	}
	r.RL.GroupSize = 4
	ms, err := buildMethods(r)
	if err != nil {
		t.Fatal(err)
	}
	s := ms[0].(*scoreMethod)
	ru := &runner{r: r}
	mk := func() ([]sample, *advantage) {
		xs := []sample{twoAttempts(2, 3, false, 1), twoAttempts(2, 3, false, 0), twoAttempts(2, 3, true, 1), twoAttempts(2, 3, true, 0)}
		a := &advantage{seq: make([]float64, 4), tok: make([][]float64, 4), refLogp: make([][]float64, 4)}
		for i := range xs {
			a.tok[i], a.refLogp[i] = make([]float64, 5), make([]float64, 5)
		}
		return xs, a
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-4 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	for _, tc := range []struct {
		step     int
		y1, y2   []float64
		b1, b2   float64
		stage    int
		bonusAvg float64
	}{
		{0, []float64{0, 0, 0, 0}, []float64{1, -1, 1, -1}, 0.1, 0, 1, 0},
		{25, []float64{-1, -1, 1, 1}, []float64{1.4126, -0.0673, 0.0673, -1.4126}, 0.01, 0.01, 2, 0},
	} {
		ru.prog.GStep = ru.sftEnd() + tc.step
		xs, a := mk()
		m := map[string]any{}
		if err := s.afterAdvantages(ru, xs, a, m); err != nil {
			t.Fatal(err)
		}
		if m["score_stage"] != tc.stage {
			t.Errorf("step %d: stage %v", tc.step, m["score_stage"])
		}
		near("bonus", m["score_bonus"].(float64), tc.bonusAvg)
		for i := range xs {
			for k := 0; k < 2; k++ {
				near("y1 advantage", a.tok[i][k], tc.y1[i])
				near("y1 beta", s.beta[i][k], tc.b1)
			}
			for k := 2; k < 5; k++ {
				near("y2 advantage", a.tok[i][k], tc.y2[i])
				near("y2 beta", s.beta[i][k], tc.b2)
			}
		}
	}
	// An episode cut before its second attempt keeps its first answer.
	xs := []sample{twoAttempts(2, -1, true, 0), twoAttempts(2, 3, true, 1)}
	r.RL.GroupSize = 2
	a := &advantage{seq: make([]float64, 2), tok: [][]float64{make([]float64, 2), make([]float64, 5)}, refLogp: [][]float64{make([]float64, 2), make([]float64, 5)}}
	m := map[string]any{}
	if err := s.afterAdvantages(ru, xs, a, m); err != nil {
		t.Fatal(err)
	}
	near("cut episode's y1", a.tok[0][0], 0) // both returns 1: no signal
	near("second's y2", a.tok[1][4], 0)
	near("edit rate", m["score_edit_rate"].(float64), 1)
}

// Card C2's metrics: 10 problems, right at t1 = {1..6}, right at t2 =
// {1..5, 7, 8}: Acc@t1 0.6, Acc@t2 0.7, Δ 0.1, Δ^{i→c} 0.2 (7, 8),
// Δ^{c→i} 0.1 (6).
func TestSCoReMetrics(t *testing.T) {
	var eps []*episode.Episode
	for p := 1; p <= 10; p++ {
		t1 := p <= 6
		t2 := p <= 5 || p == 7 || p == 8
		eps = append(eps, &episode.Episode{Info: map[string]float64{"t1_correct": scoreB2F(t1), "t2_correct": scoreB2F(t2)}})
	}
	got := episode.Summarize(eps)
	for k, want := range map[string]float64{"t1_accuracy": 0.6, "t2_accuracy": 0.7, "delta_t1_t2": 0.1, "i2c": 0.2, "c2i": 0.1} {
		if math.Abs(got[k]-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}
