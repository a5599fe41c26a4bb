package run

// ExIt plug-in (card B5; algebra and CHOICEs in rl/exit.go): an
// autocurriculum whose new tasks are partial histories of the policy's own
// episodes. A step's prompt is, with probability p_select once the buffer
// holds min_size instances, an instance drawn from the buffer by
// learnability (problemSource), else a fresh training problem. An
// instance is a problem whose prompt is the original prompt followed by
// the first k lines of an earlier completion (k drawn uniformly from the
// lines before its last; the completion's own prefix included for deeper
// instances), so the policy continues its own partial solution; it is
// graded by the task on the continuation. After each step
// (rewardHook) the instances played get the variance of their group's
// returns as their score, and every completion with at least two lines
// becomes a new instance (depth + 1 <= max_depth). The buffer is saved in
// checkpoints. Metrics: exit_buffer (size), exit_replay (share of the
// step's prompts from the buffer), exit_score (mean score of the played
// instances), exit_depth (mean depth of the step's prompts).

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// ExItConfig is the recipe section `exit:`.
type ExItConfig struct {
	PSelect        float64 `yaml:"p_select"`
	BufferCapacity int     `yaml:"buffer_capacity"`
	BufferMinSize  int     `yaml:"buffer_min_size"`
	Priority       string  `yaml:"priority"` // softmax, rank or uniform
	Kappa          float64 `yaml:"kappa"`
	Reward         string  `yaml:"reward"` // verifier or improvement
	MaxDepth       int     `yaml:"max_depth"`
}

func init() {
	registerMethod("exit", "ExIt: autocurriculum over partial histories of the policy's own episodes, replayed by learnability",
		ExItConfig{PSelect: 0.5, BufferCapacity: 512, BufferMinSize: 128, Priority: "softmax", Kappa: 1, Reward: "verifier", MaxDepth: 4},
		func(c *ExItConfig, r *Recipe) (method, error) {
			if c.PSelect < 0 || c.PSelect > 1 {
				return nil, fmt.Errorf("p_select %v must be in [0, 1]", c.PSelect)
			}
			if c.BufferCapacity < 1 || c.BufferMinSize < 1 || c.BufferMinSize > c.BufferCapacity || c.MaxDepth < 1 {
				return nil, fmt.Errorf("need 1 <= buffer_min_size <= buffer_capacity and max_depth >= 1")
			}
			if _, err := rl.ExItProbs([]float64{0}, c.Priority, c.Kappa); err != nil {
				return nil, err
			}
			if c.Reward != "verifier" && c.Reward != "improvement" {
				return nil, fmt.Errorf("reward %q: want verifier or improvement", c.Reward)
			}
			if _, dyn := r.Methods["dapo"]; dyn {
				return nil, fmt.Errorf("does not combine with dapo's resampling rounds")
			}
			return &exitMethod{c: *c}, nil
		}, "exit.buffer_min_size=4", "exit.buffer_capacity=32")
}

// exitInstance is one buffered task instance.
type exitInstance struct {
	ID         int          `json:"id"`
	Problem    task.Problem `json:"problem"` // the prompt holds the partial history
	Prefix     string       `json:"prefix"`  // the partial history after the original prompt
	Depth      int          `json:"depth"`
	PrevReward float64      `json:"prev_reward"` // the reward of the attempt it was cut from
	Score      float64      `json:"score"`
	Played     bool         `json:"played"`
}

type exitState struct {
	Buffer []exitInstance `json:"buffer"`
	NextID int            `json:"next_id"`
}

type exitMethod struct {
	c  ExItConfig
	st exitState
}

func (*exitMethod) name() string { return "exit" }

func (e *exitMethod) state() any { return e.st }

func (e *exitMethod) restore(data json.RawMessage) error { return json.Unmarshal(data, &e.st) }

// instance metadata keys in task.Problem.Meta.
const (
	exitIDKey    = "exit_id"
	exitDepthKey = "exit_depth"
)

func metaInt(p task.Problem, k string) (int, bool) {
	switch v := p.Meta[k].(type) {
	case int:
		return v, true
	case float64: // after a JSON round trip
		return int(v), true
	}
	return 0, false
}

// problems draws the step's prompts: buffered instances by learnability
// with probability p_select once the buffer is big enough, else fresh
// training problems.
func (e *exitMethod) problems(ru *runner, st, n int) ([]task.Problem, error) {
	fresh, err := task.Generate(ru.task, task.Train, ru.r.Seed*7_000_003+uint64(st), n, ru.r.Task.Template)
	if err != nil {
		return nil, err
	}
	if len(e.st.Buffer) < e.c.BufferMinSize {
		return fresh, nil
	}
	scores := make([]float64, len(e.st.Buffer))
	for i, b := range e.st.Buffer {
		scores[i] = b.Score
	}
	probs, err := rl.ExItProbs(scores, e.c.Priority, e.c.Kappa)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(st), 0x45784974))
	out := make([]task.Problem, n)
	for i := range out {
		if rng.Float64() >= e.c.PSelect {
			out[i] = fresh[i]
			continue
		}
		out[i] = e.st.Buffer[rl.DrawIndex(probs, rng)].Problem
	}
	return out, nil
}

// beforeAdvantages scores the instances played, rewrites their rewards
// (reward: improvement) and adds the step's partial histories.
func (e *exitMethod) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	byID := map[int]int{}
	for i, b := range e.st.Buffer {
		byID[b.ID] = i
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(ru.prog.GStep), 0x45784975))
	var replay, scoreSum, nScored, depthSum float64
	var fresh []exitInstance
	for _, g := range rl.Groups(len(xs), ru.r.RL.GroupSize) {
		p := xs[g[0]].ep.Problem
		depth, _ := metaInt(p, exitDepthKey)
		depthSum += float64(depth) * float64(len(g))
		prefix, prevReward := "", 0.0
		if id, ok := metaInt(p, exitIDKey); ok {
			replay += float64(len(g))
			if k, ok := byID[id]; ok {
				b := &e.st.Buffer[k]
				prefix, prevReward = b.Prefix, b.PrevReward
				if e.c.Reward == "improvement" {
					for _, i := range g {
						xs[i].reward = rl.ExItImprovement(xs[i].reward, prevReward)
						xs[i].ep.Reward = xs[i].reward
					}
				}
				returns := make([]float64, len(g))
				for j, i := range g {
					returns[j] = xs[i].reward
				}
				b.Score, b.Played = rl.ExItScore(returns), true
				scoreSum += b.Score
				nScored++
			}
		}
		if depth+1 > e.c.MaxDepth {
			continue
		}
		base := strings.TrimSuffix(p.Prompt, prefix)
		for _, i := range g {
			lines := strings.SplitAfter(lastPolicyText(xs[i].ep), "\n")
			if len(lines) < 2 {
				continue
			}
			k := 1 + rng.IntN(len(lines)-1) // keep lines[:k], at least one line left to write
			hist := prefix + strings.Join(lines[:k], "")
			q := p
			q.Prompt = base + hist
			q.Meta = map[string]any{exitIDKey: e.st.NextID, exitDepthKey: depth + 1}
			fresh = append(fresh, exitInstance{ID: e.st.NextID, Problem: q, Prefix: hist, Depth: depth + 1, PrevReward: xs[i].reward})
			e.st.NextID++
		}
	}
	e.st.Buffer = append(e.st.Buffer, fresh...)
	scores := make([]float64, len(e.st.Buffer))
	for i, b := range e.st.Buffer {
		scores[i] = b.Score
	}
	if drop := rl.ExItEvict(scores, e.c.BufferCapacity); len(drop) > 0 {
		keep := e.st.Buffer[:0]
		for i, b := range e.st.Buffer {
			if len(drop) > 0 && drop[0] == i {
				drop = drop[1:]
				continue
			}
			keep = append(keep, b)
		}
		e.st.Buffer = keep
	}
	n := float64(len(xs))
	m["exit_buffer"], m["exit_replay"], m["exit_depth"] = len(e.st.Buffer), replay/n, depthSum/n
	if nScored > 0 {
		m["exit_score"] = scoreSum / nScored
	}
	return nil
}
