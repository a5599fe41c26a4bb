package episode

import (
	"fmt"
	"maps"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
)

// Rollout runs environments against a model: every episode's next turn is
// a job of one lm.Engine, so episodes of different lengths and turn
// counts are generated together and a finished turn frees its slot for
// waiting work (continuous batching). A later turn continues the earlier
// context in the same cache slot, so only the observation's tokens are
// computed anew.
type Rollout struct {
	Engine   *lm.Engine
	Codec    Codec
	EOS      int32
	MaxNew   int // token budget of a turn unless the observation sets one
	MaxTurns int // policy turns before an episode is cut (truncated)
	MaxLen   int // positions of the model: an episode that would outgrow it is cut
}

// Run plays one episode per problem with the environments the factory
// makes and returns them in problem order. Each job's Tag is its episode.
func (r *Rollout) Run(problems []task.Problem, newEnv Factory) ([]*Episode, error) {
	eps := make([]*Episode, len(problems))
	for i := range eps {
		eps[i] = &Episode{}
	}
	envs := make([]Env, len(problems))
	maxTurns := max(1, r.MaxTurns)
	submit := func(i int, obs Observation, prev *lm.Job) error {
		e := eps[i]
		e.Segments = append(e.Segments, Segment{Role: obs.Role, Source: obs.Source, Text: obs.Text, IDs: obs.IDs})
		ctx := e.IDs()
		budget := r.MaxNew
		if obs.MaxNew > 0 {
			budget = obs.MaxNew
		}
		budget = min(budget, r.MaxLen-len(ctx))
		if budget <= 0 {
			e.Truncated = true
			return nil
		}
		return r.Engine.Submit(&lm.Job{Context: ctx, MaxNew: budget, Stop: []int32{r.EOS}, StopSeqs: obs.StopSeqs, Tag: i, Continues: prev})
	}
	for i, p := range problems {
		eps[i].Problem, eps[i].Index = p, i
		envs[i] = newEnv(p)
		obs, err := envs[i].Reset()
		if err != nil {
			return nil, fmt.Errorf("episode %d: reset: %w", i, err)
		}
		if err := submit(i, obs, nil); err != nil {
			return nil, fmt.Errorf("episode %d: %w", i, err)
		}
	}
	for r.Engine.Busy() {
		for _, j := range r.Engine.Step() {
			i := j.Tag.(int)
			e := eps[i]
			eos := len(j.Tokens) > 0 && j.Tokens[len(j.Tokens)-1] == r.EOS
			text := j.Tokens
			if eos {
				text = text[:len(text)-1]
			}
			a := Action{Role: RolePolicy, IDs: j.Tokens, Text: r.Codec.Decode(text), Stopped: j.Stopped, EOS: eos}
			e.Segments = append(e.Segments, Segment{Role: RolePolicy, Text: a.Text, IDs: j.Tokens, Trainable: true,
				LogProbs: j.LogProbs, Stopped: j.Stopped})
			tr, err := envs[i].Step(a)
			if err != nil {
				return nil, fmt.Errorf("episode %d turn %d: %w", i, e.Turns(), err)
			}
			e.Reward += tr.Reward
			e.Correct = tr.Correct
			if tr.Info != nil {
				if e.Info == nil {
					e.Info = map[string]float64{}
				}
				maps.Copy(e.Info, tr.Info)
			}
			switch {
			case tr.Done || tr.Obs == nil:
				e.Done = true
			case e.Turns() >= maxTurns:
				e.Truncated = true
			default:
				if err := submit(i, *tr.Obs, j); err != nil {
					return nil, fmt.Errorf("episode %d: %w", i, err)
				}
			}
		}
	}
	return eps, nil
}
