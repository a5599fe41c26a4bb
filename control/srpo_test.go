package control

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/autodidact-rl/autodidact/control/env"
)

// flat is an episode of 1-dimensional observations all equal to x (its
// embedding [mean; final] is (x, x)).
func flat(x float32, n int, ret float64, term bool) FinishedEpisode {
	ep := FinishedEpisode{Return: ret, Terminated: term}
	for range n {
		ep.Obs = append(ep.Obs, []float32{x})
	}
	return ep
}

// TestSRPOShapesTerminalRewards: the rollout buffer's last-step rewards
// after SRPO, derived by hand. One success S with e = (2, 2) (its own
// centre: a lone success is DBSCAN noise, so the centre is the successes'
// mean); failures A (1, 1), B (−2, −2), C (0.5, 0.5) at distances √2,
// 4√2, 1.5√2, so n = 0, 1, 1/6 and
//
//	R_A = 0.6 σ(10 · 0.5)      = 0.6 / (1 + e^−5)      = 0.595984
//	R_B = 0.6 σ(10 · (−0.5))   = 0.6 / (1 + e^5)       = 0.004016
//	R_C = 0.6 σ(10 · (1/3))    = 0.6 / (1 + e^(−10/3)) = 0.579333
//
// Each change R − G lands on the episode's last step; a truncated
// failure's bootstrap (0.3 here) stays.
func TestSRPOShapesTerminalRewards(t *testing.T) {
	S, A, B, C := flat(2, 3, 1, true), flat(1, 2, 0, true), flat(-2, 4, 0, true), flat(0.5, 2, 0, false)
	cases := []struct {
		name string
		eps  []FinishedEpisode
		last []int
		rew  []float64 // before
		want []float64 // after
	}{
		{"mixed", []FinishedEpisode{S, A, B, C}, []int{5, 2, 7, 0}, []float64{0.3, 0, 0, 0, 0, 1, 0, 0},
			[]float64{0.3 + 0.579333, 0, 0.595984, 0, 0, 1, 0, 0.004016}},
		{"no success keeps 0", []FinishedEpisode{A, B}, []int{1, 0}, []float64{0, 0}, []float64{0, 0}},
		{"no failure keeps 1", []FinishedEpisode{S, S}, []int{0, 1}, []float64{1, 1}, []float64{1, 1}},
		{"all failures equally far get 0.6 σ(0) = 0.3", []FinishedEpisode{S, A, A}, []int{0, 1, 2}, []float64{1, 0, 0},
			[]float64{1, 0.3, 0.3}},
	}
	c := DefaultSRPO()
	for _, tc := range cases {
		l := &episodeLog{done: tc.eps, last: tc.last}
		rew := append([]float64(nil), tc.rew...)
		if _, err := l.shape(srpoShaper{c}, rew); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for k := range rew {
			if math.Abs(rew[k]-tc.want[k]) > 1e-6 {
				t.Errorf("%s: rewards %v, want %v", tc.name, rew, tc.want)
				break
			}
		}
		if l.done != nil || l.last != nil {
			t.Errorf("%s: the log was not emptied", tc.name)
		}
	}
}

// TestSRPOShaperRefuses: a dense return, an empty episode, a non-batch
// group key and a dense environment are errors, not shaped rewards.
func TestSRPOShaperRefuses(t *testing.T) {
	s := srpoShaper{DefaultSRPO()}
	for name, eps := range map[string][]FinishedEpisode{
		"dense return": {flat(1, 2, 0.7, true)},
		"no obs":       {{Return: 0}},
	} {
		if _, _, err := s.Shape(eps); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	problem := DefaultSRPO()
	problem.GroupKey = "problem"
	for name, cfg := range map[string]PPOConfig{
		"group_key problem": {Env: "DrivingSparseShort-v0", SRPO: &problem},
		"dense env":         {Env: "Driving-v0", SRPO: &s.c},
	} {
		if _, err := episodeShaper(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSparseSuccessRewards: on DrivingSparseShort-v0 a pure-pursuit
// driver finishes with reward 1 on its last step and 0 before it; a car
// turning hard left leaves the road with 0 throughout.
func TestSparseSuccessRewards(t *testing.T) {
	pursuit := func(o []float32) []float64 {
		steer := 2 * math.Atan2(float64(o[4]), float64(o[3]))
		acc := 1.0
		if o[0] > 0.4 {
			acc = 0
		}
		return []float64{steer, acc}
	}
	left := func([]float32) []float64 { return []float64{1, 1} }
	for _, tc := range []struct {
		name   string
		act    func([]float32) []float64
		finish float64
	}{{"pursuit", pursuit, 1}, {"hard left", left, 0}} {
		e, err := env.Make("DrivingSparseShort-v0")
		if err != nil {
			t.Fatal(err)
		}
		obs := e.Reset(7)
		for k := 0; ; k++ {
			s := e.Step(tc.act(obs))
			obs = s.Obs
			if s.Terminated || s.Truncated {
				if s.Reward != tc.finish || !s.Terminated {
					t.Errorf("%s: last reward %v (terminated %v), want %v", tc.name, s.Reward, s.Terminated, tc.finish)
				}
				break
			}
			if s.Reward != 0 {
				t.Fatalf("%s: reward %v at step %d before the end", tc.name, s.Reward, k)
			}
		}
	}
}

// TestEpisodeLogMatchesReplay: the log kept while stepping a vector holds
// each finished episode whole (length + 1 observations, its return) and
// each current episode as a replay of the vector's state rebuilds it (so
// a resumed run embeds the same trajectories).
func TestEpisodeLogMatchesReplay(t *testing.T) {
	vec, err := env.NewVec("DrivingSparseShort-v0", 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	vec.Record = true
	vec.Reset()
	l := newEpisodeLog(vec)
	r := rand.New(rand.NewPCG(1, 2))
	var finished []env.Episode
	for step := 0; step < 300; step++ {
		acts := make([][]float64, 3)
		for i := range acts {
			acts[i] = []float64{r.NormFloat64(), r.NormFloat64()}
		}
		vec.Step(acts)
		l.step(vec, step*3)
		finished = append(finished, vec.Drain()...)
	}
	if len(finished) == 0 || len(finished) != len(l.done) {
		t.Fatalf("%d episodes finished, the log has %d", len(finished), len(l.done))
	}
	for j, ep := range finished {
		if got := l.done[j]; len(got.Obs) != ep.Length+1 || got.Return != ep.Return {
			t.Errorf("episode %d: %d observations, return %v; want %d, %v", j, len(got.Obs), got.Return, ep.Length+1, ep.Return)
		}
	}
	re, err := replayEpisodeLog("DrivingSparseShort-v0", vec.State())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(re.obs, l.obs) || !reflect.DeepEqual(re.ret, l.ret) {
		t.Fatal("the replayed log differs from the one kept while stepping")
	}
}

// TestPPOSRPOEndToEnd: PPO + SRPO on DrivingSparseShort-v0 meets groups
// with both outcomes, gives their failures rewards in (0, 0.6] (never
// the success's 1), and the shaping changes the training (same seed,
// different losses than sparse PPO).
func TestPPOSRPOEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end training")
	}
	cfg := DefaultPPO("DrivingSparseShort-v0")
	cfg.Steps, cfg.NumEnvs = 40_960, 16
	train := func(c PPOConfig) []map[string]any {
		var ms []map[string]any
		if _, err := TrainPPO(c, nil, func(m map[string]any) { ms = append(ms, m) }); err != nil {
			t.Fatal(err)
		}
		return ms
	}
	plain := train(cfg)
	srpo := DefaultSRPO()
	cfg.SRPO = &srpo
	shaped := train(cfg)
	mixed := 0
	for _, m := range shaped {
		if m["srpo_mixed"] != 1.0 {
			continue
		}
		mixed++
		lo, hi := m["srpo_fail_reward_min"].(float64), m["srpo_fail_reward_max"].(float64)
		if !(lo > 0 && hi <= 0.6) {
			t.Errorf("update %v: failure rewards in [%v, %v], want within (0, 0.6]", m["update"], lo, hi)
		}
		if m["srpo_successes"].(float64) < 1 || m["srpo_failures"].(float64) < 1 {
			t.Errorf("update %v: a mixed group without both outcomes: %v", m["update"], m)
		}
	}
	if mixed == 0 {
		t.Fatal("no update had both successes and failures; SRPO never acted")
	}
	if reflect.DeepEqual(plain[len(plain)-1]["policy_loss"], shaped[len(shaped)-1]["policy_loss"]) {
		t.Error("SRPO's shaping left the training unchanged")
	}
	t.Logf("%d of %d updates shaped", mixed, len(shaped))
}
