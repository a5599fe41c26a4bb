package run

// ReSeek plug-in (card C5; reward and CHOICEs in rl/reseek.go): on the
// retrieval environment, each sample's reward becomes R_ans + Σ r_i right
// after grading (sampleShaper), with the judge tag that opens the policy
// turn after each search result (episode.Judgements) scored against the
// usefulness label of that result. "Answered" is the task's answer line
// in the last turn; answer tags are counted over all policy turns. Info
// per episode (means in the step's metrics): reseek_judge_reward (Σ r_i),
// reseek_judged (results with a judge tag), reseek_judge_right (of those,
// the tag agrees with the label), reseek_shortcuts (Yes on a useless
// result, rewarded because the answer was right). The environment's own
// judge figures (judgements, judge_right, no_then_search, ...) are logged
// for every method, at evaluation too.

import (
	"fmt"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("reseek", "ReSeek: a judge tag after every search result, rewarded against the result's usefulness",
		rl.ReSeek{CorrectJudge: 0.3, AnswerBoost: 0.1, WrongYes: -0.6, WrongNo: -0.3, UsefulLabel: "answer_substring",
			SpamLimit: 10, SpamReward: 0.25},
		func(c *rl.ReSeek, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Env.Name != "retrieval" {
				return nil, fmt.Errorf("needs env retrieval (search results and judge tags), not %q", r.Env.Name)
			}
			if r.Judge.Name == "model" {
				return nil, fmt.Errorf("its reward replaces the verifier's outcome: needs judge verifier, not a model judge")
			}
			return &reseek{c: *c}, nil
		})
}

type reseek struct{ c rl.ReSeek }

func (*reseek) name() string { return "reseek" }

// useful is the label of a result's documents for problem p.
func (rs *reseek) useful(p task.Problem, info string) bool {
	if p.Answer != "" && strings.Contains(info, "="+p.Answer) {
		return true
	}
	if rs.c.UsefulLabel == "answer_or_bridge" {
		if _, gold, ok := task.LookupCorpus(p); ok {
			for _, g := range gold {
				for _, d := range strings.Split(info, ";") {
					if d == g {
						return true
					}
				}
			}
		}
	}
	return false
}

func (rs *reseek) shapeReward(ru *runner, x *sample) {
	e := x.ep
	var pairs []rl.JudgedInfo
	judged, right := 0, 0
	for _, j := range episode.Judgements(e) {
		if j.Info == "" {
			continue
		}
		u := rs.useful(e.Problem, j.Info)
		pairs = append(pairs, rl.JudgedInfo{Useful: u, Judge: j.Judge})
		if j.Judge != 0 {
			judged++
			if (j.Judge > 0) == u {
				right++
			}
		}
	}
	marker := strings.TrimSpace(ru.r.Task.Template.AnswerPrefix)
	if marker == "" {
		marker = strings.TrimSpace(task.DefaultTemplate.AnswerPrefix)
	}
	answered := strings.Contains(lastPolicyText(e), marker)
	tags := 0
	for _, s := range e.Segments {
		if s.Trainable {
			tags += strings.Count(s.Text, marker)
		}
	}
	total, judge, shortcuts := rs.c.Reward(answered, x.correct, tags, pairs)
	x.reward = total
	if e.Info == nil {
		e.Info = map[string]float64{}
	}
	e.Info["reseek_judge_reward"], e.Info["reseek_judged"] = judge, float64(judged)
	e.Info["reseek_judge_right"], e.Info["reseek_shortcuts"] = float64(right), float64(shortcuts)
}
