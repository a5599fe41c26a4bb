package dash

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/control/env"
)

// Rollout is one greedy episode of a control policy, for the page to
// animate (GET /api/rollout).
type Rollout struct {
	Env     string             `json:"env"`
	Seed    uint64             `json:"seed"`
	Obs     [][]float32        `json:"obs"`     // observation before each step, then the last one
	Actions [][]float64        `json:"actions"` // one per step
	Rewards []float64          `json:"rewards"`
	Return  float64            `json:"return"`
	Scenes  []env.DrivingScene `json:"scenes,omitempty"` // Driving-v0: the scene before each step, then the last
	Info    map[string]string  `json:"info,omitempty"`
}

// maxRolloutSteps bounds an episode (every registered env's time limit is
// shorter).
const maxRolloutSteps = 1000

// rollout loads policy.safetensors and plays one greedy episode.
func rollout(policyPath string, seed uint64) (*Rollout, error) {
	pol, envName, err := control.LoadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	e, err := env.Make(envName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", policyPath, err)
	}
	drv, _ := unwrap(e).(*env.Driving)
	ro := &Rollout{Env: envName, Seed: seed}
	obs := e.Reset(seed)
	for step := 0; step < maxRolloutSteps; step++ {
		ro.Obs = append(ro.Obs, obs)
		if drv != nil {
			sc := drv.Scene()
			if step > 0 { // the route does not change within an episode
				sc.Route, sc.Obstacles = nil, nil
			}
			ro.Scenes = append(ro.Scenes, sc)
		}
		a := pol.Act(obs)
		s := e.Step(a)
		ro.Actions = append(ro.Actions, a)
		ro.Rewards = append(ro.Rewards, s.Reward)
		ro.Return += s.Reward
		obs = s.Obs
		if s.Terminated || s.Truncated {
			break
		}
	}
	ro.Obs = append(ro.Obs, obs)
	if drv != nil {
		sc := drv.Scene()
		sc.Route, sc.Obstacles = nil, nil
		ro.Scenes = append(ro.Scenes, sc)
		ro.Info = map[string]string{"infraction": drv.Infracted, "route_completion": fmt.Sprintf("%.3f", drv.RouteCompletion())}
	}
	return ro, nil
}

// unwrap removes the TimeLimit wrapper env.Make adds.
func unwrap(e env.Env) env.Env {
	if t, ok := e.(*env.TimeLimit); ok {
		return t.Env
	}
	return e
}
