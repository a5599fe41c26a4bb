package run

// SCoRe plug-in (card C2; algebra and CHOICEs in rl/score.go): on the
// two_turn environment, Stage I (the first stage1_steps RL steps) trains
// the second attempt on r̂_2 while β2 · KL holds the first attempt near
// the reference (the base model taken when RL starts); Stage II trains both
// attempts, the second on r̂_2 + α (r̂_2 − r̂_1), with β1 · KL on both.
//
// The first trained policy segment of an episode is y1, the second y2
// (trained segments of other roles keep their advantages); r̂_1 is the
// environment's t1_correct, r̂_2 the episode's final reward (the verifier's,
// or a judge's). An episode cut before its second attempt keeps its first
// answer: r̂_2 = r̂_1 (as episode.Summarize counts it). The per-attempt
// advantages replace the estimator's (advantageHook); the KL is a
// mini-batch term weighted like the policy loss, against reference
// log-probs the plug-in scores itself when the loop's rl.kl_coef is 0 (the
// recipe's setting; a nonzero rl.kl_coef adds the loop's KL on every
// trained token on top). Metrics: score_stage,
// score_bonus (mean α (r̂_2 − r̂_1)), score_edit_rate (share of episodes
// whose y2 differs from y1), score_kl_y1 and score_kl_y2 (mean per-token
// estimator values). The evaluation's two_turn figures (t1_accuracy,
// t2_accuracy, delta_t1_t2, i2c, c2i) come from episode.Summarize.

import (
	"fmt"
	"slices"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("score", "SCoRe: two-stage self-correction RL (first attempt pinned to the base, then a progress bonus)",
		rl.SCoRe{Alpha: 10, Beta1: 0.01, Beta2: 0.1, Stage1Steps: 25, Turn1Credit: "own", KLEstimator: "k3", AdvStd: "population"},
		func(c *rl.SCoRe, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Env.Name != "two_turn" {
				return nil, fmt.Errorf("needs env two_turn (attempt, feedback, second attempt), not %q", r.Env.Name)
			}
			if e := r.RL.AdvEstimator; e == "gae" || e == "reinforcepp" || e == "reinforcepp_baseline" {
				return nil, fmt.Errorf("computes its own per-attempt advantages: needs an outcome estimator, not %s", e)
			}
			return &scoreMethod{c: *c}, nil
		}, "score.stage1_steps=3")
}

type scoreMethod struct {
	c    rl.SCoRe
	beta [][]float64 // this step's KL coefficient per sample, per trained token
	turn [][]int8    // 1 or 2 for y1 and y2 tokens, 0 for others
	kl   [3]float64  // estimator sums over a step's updates, by turn
	n    [3]float64
}

func (*scoreMethod) name() string { return "score" }

// attempts returns, for an episode, the trained-token index ranges of its
// first and second attempt ([lo, hi)) in Trainable order, and whether it
// has a second attempt.
func attempts(e *episode.Episode) (y1, y2 [2]int, has2 bool) {
	k, seen := 0, 0
	for _, s := range e.Segments {
		if !s.Trainable {
			continue
		}
		if s.Role == episode.RolePolicy {
			switch seen {
			case 0:
				y1 = [2]int{k, k + len(s.IDs)}
			case 1:
				y2 = [2]int{k, k + len(s.IDs)}
			}
			seen++
		}
		k += len(s.IDs)
	}
	return y1, y2, seen > 1
}

func (s *scoreMethod) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	step := ru.prog.GStep - ru.sftEnd()
	stage := s.c.Stage(step)
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	r1, r2 := make([]float64, len(xs)), make([]float64, len(xs))
	spans := make([][2][2]int, len(xs))
	var bonus, edits, both float64
	for i, x := range xs {
		y1, y2, has2 := attempts(x.ep)
		spans[i] = [2][2]int{y1, y2}
		r1[i] = x.ep.Info["t1_correct"]
		r2[i] = x.reward
		if !has2 { // cut before the second attempt: it keeps the first answer
			r2[i] = r1[i]
		} else {
			both++
			if !slices.Equal(x.gen[y1[0]:y1[1]], x.gen[y2[0]:y2[1]]) {
				edits++
			}
		}
		bonus += s.c.ShapedSecond(r1[i], r2[i]) - r2[i]
	}
	ret1, ret2, train1 := s.c.Returns(stage, r1, r2)
	a1, a2 := s.c.Advantages(ret1, groups), s.c.Advantages(ret2, groups)
	b1, b2 := s.c.KLCoefs(stage)
	s.beta, s.turn = make([][]float64, len(xs)), make([][]int8, len(xs))
	for i, x := range xs {
		s.beta[i], s.turn[i] = make([]float64, len(x.gen)), make([]int8, len(x.gen))
		y1, y2 := spans[i][0], spans[i][1]
		for t := y1[0]; t < y1[1]; t++ {
			a.tok[i][t] = 0
			if train1 {
				a.tok[i][t] = a1[i]
			}
			s.beta[i][t], s.turn[i][t] = b1, 1
		}
		for t := y2[0]; t < y2[1]; t++ {
			a.tok[i][t] = a2[i]
			s.beta[i][t], s.turn[i][t] = b2, 2
		}
		a.seq[i] = a2[i]
	}
	if a.refLogp == nil && (b1 > 0 || b2 > 0) {
		var err error
		if a.refLogp, err = ru.refLogProbs(xs, nil, nil); err != nil {
			return err
		}
	}
	n := float64(len(xs))
	m["score_stage"], m["score_bonus"] = stage, bonus/n
	if both > 0 {
		m["score_edit_rate"] = edits / both
	}
	return nil
}

// miniBatchTerm adds β_t · w_i · d KL_t / d logp at each trained token of
// the attempts, β_t the token's stage coefficient.
func (s *scoreMethod) miniBatchTerm(ru *runner, mb *miniBatch) error {
	if mb.adv.refLogp == nil {
		return nil
	}
	est, _ := rl.ParseKLEstimator(s.c.KLEstimator)
	for i, x := range mb.xs {
		beta, turn := s.beta[mb.lo+i], s.turn[mb.lo+i]
		for t, p := range x.pos {
			at := mb.starts[i] + p
			if mb.b.Mask[at] == 0 || turn[t] == 0 {
				continue
			}
			v, d := est.Token(float64(mb.sc.LogProbs[at]), mb.adv.refLogp[mb.lo+i][t])
			mb.dlp[at] += float32(beta[t] * mb.w[i] * d)
			s.kl[turn[t]] += v
			s.n[turn[t]]++
		}
	}
	return nil
}

func (s *scoreMethod) reportUpdate(m map[string]any, updates int) {
	for turn, key := range map[int]string{1: "score_kl_y1", 2: "score_kl_y2"} {
		if s.n[turn] > 0 {
			m[key] = s.kl[turn] / s.n[turn]
		}
	}
	s.kl, s.n = [3]float64{}, [3]float64{}
}
