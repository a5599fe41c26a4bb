package episode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
)

// The self_judge environment plays single-turn episodes (the prompt, one
// completion, the task's grade, like single) for policies that also judge
// their own completions (SSR-Zero, card D1). What differs is what it
// demonstrates for pretraining: with probability judge_frac a judge
// example instead of a solution: the judge's prompt (judge_template with
// the question and a candidate completion) and the candidate's score as
// the policy's turn,
//
//	<bos>{judge_template rendered}{score}<eos>
//
// which is what a model judge with the same template reads and writes.
// The template should open differently from the task's prompt (default
// "judge {question}\n{response}\nScore: "), so that the policy knows
// whether it is answering or judging. The candidate is the
// noisy solver's, with its answer further corrupted (1-3 symbols) with
// probability corrupt; its score is round_half_up(max_score * q), q the
// positional agreement of its answer with the reference (task.Agreement).
// Each episode records q as Info["agreement_q"] (a measurement, not a
// reward).
type selfJudgeConfig struct {
	judgeFrac, corrupt float64
	template           string
	maxScore           int
}

func init() {
	register("self_judge", func(o Options, d Deps) (Factory, error) {
		if err := checkParams(o, "judge_frac", "judge_template", "max_score", "corrupt"); err != nil {
			return nil, err
		}
		c := selfJudgeConfig{}
		var err error
		if c.judgeFrac, err = param(o, "judge_frac", 0.5); err != nil {
			return nil, err
		}
		if c.corrupt, err = param(o, "corrupt", 0.5); err != nil {
			return nil, err
		}
		if c.template, c.maxScore, err = SelfJudgeTemplate(o); err != nil {
			return nil, err
		}
		switch {
		case c.judgeFrac < 0 || c.judgeFrac > 1:
			return nil, fmt.Errorf("params.judge_frac %v must be in [0, 1]", c.judgeFrac)
		case c.corrupt < 0 || c.corrupt > 1:
			return nil, fmt.Errorf("params.corrupt %v must be in [0, 1]", c.corrupt)
		case c.maxScore < 1:
			return nil, fmt.Errorf("params.max_score %d must be >= 1", c.maxScore)
		case !strings.Contains(c.template, "{response}"):
			return nil, fmt.Errorf("params.judge_template %q must contain {response}", c.template)
		}
		return func(p task.Problem) Env { return &selfJudge{single: single{d: d, p: p}, c: c} }, nil
	})
}

// SelfJudgeTemplate returns the judge template and score range of a
// self_judge environment's options (the defaults for unset ones), for
// checking a recipe's judge against them.
func SelfJudgeTemplate(o Options) (template string, maxScore int, err error) {
	if template, err = param(o, "judge_template", "judge {question}\n{response}\nScore: "); err != nil {
		return "", 0, err
	}
	maxScore, err = param(o, "max_score", 9)
	return template, maxScore, err
}

type selfJudge struct {
	single
	c selfJudgeConfig
}

func (e *selfJudge) Step(a Action) (Transition, error) {
	tr, err := e.single.Step(a)
	tr.Info = map[string]float64{"agreement_q": task.Agreement(e.d.Task, e.p, a.Text)}
	return tr, err
}

// Demo writes a solution, or (judge_frac of the time) a judge example.
func (e *selfJudge) Demo(solve func() string, r *rand.Rand) []DemoPart {
	if r.Float64() >= e.c.judgeFrac {
		return []DemoPart{{Text: solve(), Policy: true}}
	}
	cand := solve()
	if r.Float64() < e.c.corrupt {
		cand = corruptAnswer(cand, 1+r.IntN(3), r)
	}
	prompt := strings.ReplaceAll(strings.ReplaceAll(e.c.template, "{question}", e.p.Question), "{response}", cand)
	return []DemoPart{{Text: prompt, Prompt: true}, {Text: strconv.Itoa(JudgeTarget(e.d.Task, e.p, cand, e.c.maxScore)), Policy: true}}
}

// JudgeTarget is the score a judge demonstration teaches for a candidate:
// round_half_up(maxScore * q).
func JudgeTarget(t task.Task, p task.Problem, cand string, maxScore int) int {
	return int(math.Floor(float64(maxScore)*task.Agreement(t, p, cand) + 0.5))
}

// corruptAnswer changes n symbols of the text after the last "#### ":
// a letter becomes another lowercase letter, a digit another digit.
func corruptAnswer(s string, n int, r *rand.Rand) string {
	i := strings.LastIndex(s, task.DefaultTemplate.AnswerPrefix)
	if i < 0 {
		return s
	}
	head, ans := s[:i+len(task.DefaultTemplate.AnswerPrefix)], []byte(s[i+len(task.DefaultTemplate.AnswerPrefix):])
	if len(ans) == 0 {
		return s
	}
	for range n {
		k := r.IntN(len(ans))
		switch c := ans[k]; {
		case c >= 'a' && c <= 'z':
			ans[k] = byte('a' + (int(c-'a')+1+r.IntN(25))%26)
		case c >= '0' && c <= '9':
			ans[k] = byte('0' + (int(c-'0')+1+r.IntN(9))%10)
		}
	}
	return head + string(ans)
}
