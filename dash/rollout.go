package dash

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/autodidact-rl/autodidact/checkpoint"
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

// maxPolicyBytes bounds the policy file the dashboard loads.
const maxPolicyBytes = 256 << 20

// checkPolicy validates a policy file's layer sizes against its tensors
// and its environment before control.LoadPolicy allocates them, so a
// damaged or foreign file gives an error, not an exhausted memory or an
// index panic.
func checkPolicy(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() > maxPolicyBytes {
		return fmt.Errorf("%s: %d bytes, more than a control policy (limit %d)", path, st.Size(), maxPolicyBytes)
	}
	ts, meta, err := checkpoint.ReadSafetensors(path)
	if err != nil {
		return err
	}
	var sizes []int
	if err := json.Unmarshal([]byte(meta["sizes"]), &sizes); err != nil || len(sizes) < 2 {
		return fmt.Errorf("%s: metadata sizes %q: want a JSON list of at least two layer sizes", path, meta["sizes"])
	}
	total := 0
	for _, t := range ts {
		total += len(t.Data)
	}
	need := 0
	for i, n := range sizes {
		if n < 1 || n > total {
			return fmt.Errorf("%s: metadata sizes[%d] = %d is outside [1, %d]", path, i, n, total)
		}
		if i > 0 {
			need += sizes[i-1]*n + n
		}
	}
	if need > total {
		return fmt.Errorf("%s: layer sizes %v need %d weights, the file holds %d", path, sizes, need, total)
	}
	e, err := env.Make(meta["env"])
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	obs, act := e.ObservationSpace(), e.ActionSpace()
	out := act.Discrete
	if out == 0 {
		out = act.Dim
	}
	if sizes[0] != obs.Dim || (sizes[len(sizes)-1] != out && sizes[len(sizes)-1] != 2*out) {
		return fmt.Errorf("%s: layer sizes %v do not fit %s (%d observations, %d action outputs)", path, sizes, meta["env"], obs.Dim, out)
	}
	return nil
}

// rollout loads policy.safetensors and plays one greedy episode.
func rollout(policyPath string, seed uint64) (ro *Rollout, err error) {
	if err := checkPolicy(policyPath); err != nil {
		return nil, err
	}
	defer func() { // last line of defence: a policy file never takes the server down
		if p := recover(); p != nil {
			ro, err = nil, fmt.Errorf("%s: rollout failed: %v", policyPath, p)
		}
	}()
	pol, envName, err := control.LoadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	e, err := env.Make(envName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", policyPath, err)
	}
	drv, _ := unwrap(e).(*env.Driving)
	ro = &Rollout{Env: envName, Seed: seed}
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
