package run

// SSR-Zero plug-in (card D1): the policy judges its own completions and the
// judgement is the RL reward; no reference answer reaches training. The
// judging is the loop's model judge (judge: {name: model, model: policy,
// format: score}); this plug-in checks that the recipe is wired so that
// the judge reads exactly what the self_judge environment's
// demonstrations taught (the environment's judge_template and
// max_score), applies the format rule
// (a completion without an answer line gets format_fail_reward instead of
// its judged score; the check reads the completion only), and measures,
// without training on it, how the self-reward tracks the truth:
// ssr_corr (Pearson of R_self with the verifier's positional agreement
// q), ssr_corr_correct (with exact correctness), ssr_gap (mean R_self -
// mean q: a growing gap is self-reward hacking).
//
// The judge modes of the card are the judge section's settings:
// model: policy (self, the current weights), model: reference (a frozen
// copy of the initial policy), name: verifier (the oracle: plain GRPO on
// the verifier, for comparison). Advantage estimators that read the
// verifier's correctness (psr, nsr, full, w_reinforce) and methods that
// do (correctnessReaders) are refused, and the samples' correctness is
// cleared once measured, so it is logged but never trained on (the step's
// accuracy and the evaluations are the verifier's). Not done: SSR-X (mixing
// an external quality-estimation metric).

import (
	"fmt"
	"math"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/task"
)

// SSRZeroConfig is the recipe's ssr_zero section.
type SSRZeroConfig struct {
	FormatFailReward float64 `yaml:"format_fail_reward"`
}

func init() {
	registerMethod("ssr_zero", "SSR-Zero: the policy's own judgement of its completions is the reward (no reference answers)",
		SSRZeroConfig{FormatFailReward: 0},
		func(c *SSRZeroConfig, r *Recipe) (method, error) {
			if err := checkSelfJudging(r); err != nil {
				return nil, err
			}
			return &ssrZero{c: *c}, nil
		})
}

// checkSelfJudging refuses a recipe whose judge would not read what the
// environment taught, or whose training would see correctness.
func checkSelfJudging(r *Recipe) error {
	switch r.RL.AdvEstimator {
	case "psr", "nsr", "full", "w_reinforce":
		return fmt.Errorf("rl.adv_estimator %s reads the verifier's correctness; SSR-Zero trains on the judge's reward only", r.RL.AdvEstimator)
	}
	for _, n := range correctnessReaders {
		if _, ok := r.Methods[n]; ok {
			return fmt.Errorf("method %s reads the verifier's correctness; SSR-Zero trains on the judge's reward only", n)
		}
	}
	if r.Env.Name != "self_judge" {
		return fmt.Errorf("needs env self_judge (its demonstrations teach the policy to judge), not %q", r.Env.Name)
	}
	if r.Judge.Name == "verifier" { // the oracle baseline: measured the same way
		return nil
	}
	want, maxScore, err := episode.SelfJudgeTemplate(episode.Options{Name: r.Env.Name, Params: r.Env.Params})
	if err != nil {
		return err
	}
	switch {
	case r.Judge.Name != "model":
		return fmt.Errorf("judge.name %q: want model (self-judging) or verifier (the oracle baseline)", r.Judge.Name)
	case r.Judge.Model == "endpoint":
		return fmt.Errorf("judge.model endpoint is an external judge; SSR-Zero judges with the policy (or its frozen copy)")
	case r.Judge.Format != "score" || r.Judge.MaxScore != maxScore:
		return fmt.Errorf("judge format %s max_score %d: want score with the environment's max_score %d", r.Judge.Format, r.Judge.MaxScore, maxScore)
	case r.Judge.Template != want:
		return fmt.Errorf("judge.template %q must be the self_judge environment's judge_template %q (what its demonstrations taught)", r.Judge.Template, want)
	}
	return nil
}

// correctnessReaders are the methods whose hooks or losses read a
// sample's verifier correctness.
var correctnessReaders = []string{"drpo", "efficiency_rl", "grpo_lambda", "laser", "overthinking"}

type ssrZero struct{ c SSRZeroConfig }

func (*ssrZero) name() string { return "ssr_zero" }

// beforeAdvantages applies the format rule and records how the judged
// rewards relate to the verifier's measurements.
func (s *ssrZero) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	self := make([]float64, len(xs))
	q := make([]float64, len(xs))
	corr := make([]float64, len(xs))
	fails := 0
	for i := range xs {
		x := &xs[i]
		text := lastPolicyText(x.ep)
		if !hasAnswerLine(text) {
			x.reward = s.c.FormatFailReward
			fails++
		}
		self[i] = x.reward
		q[i] = task.Agreement(ru.task, x.ep.Problem, text) // measured, never trained on
		if x.correct {
			corr[i] = 1
		}
		x.correct = false // measured above; from here on nothing in training can read it
	}
	m["ssr_reward_self"], m["ssr_q"] = mean(self), mean(q)
	m["ssr_gap"] = mean(self) - mean(q)
	m["ssr_format_fail"] = float64(fails) / float64(len(xs))
	if c, ok := pearson(self, q); ok {
		m["ssr_corr"] = c
	}
	if c, ok := pearson(self, corr); ok {
		m["ssr_corr_correct"] = c
	}
	return nil
}

// hasAnswerLine is the format check: the completion has the answer
// prefix (no reference is read).
func hasAnswerLine(text string) bool {
	return strings.Contains(text, strings.TrimSpace(task.DefaultTemplate.AnswerPrefix))
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// pearson is the correlation of xs and ys; ok is false when either is
// constant.
func pearson(xs, ys []float64) (float64, bool) {
	mx, my := mean(xs), mean(ys)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	return sxy / math.Sqrt(sxx*syy), true
}
