// Package env is the environment API of autodidact's classic-control RL:
// seeded reset and step with termination kept apart from truncation,
// discrete and box spaces, vectorised copies stepped together with
// auto-reset, and episode statistics. The environments reproduce
// Gymnasium's dynamics, constants, termination rules and rewards.
package env

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Space describes observations or actions: N discrete choices (Discrete
// > 0), or a box of Dim float values within [Low, High].
type Space struct {
	Discrete  int
	Dim       int
	Low, High []float64
}

// Step is the outcome of one environment step. Terminated means the MDP
// reached a terminal state (no bootstrapping); Truncated means a time
// limit cut the episode (bootstrap from the last observation).
type Step struct {
	Obs        []float32
	Reward     float64
	Terminated bool
	Truncated  bool
}

// Env is one environment instance.
type Env interface {
	ObservationSpace() Space
	ActionSpace() Space
	// Reset starts an episode; the seed fixes the initial state (a fresh
	// seed per episode is the caller's choice).
	Reset(seed uint64) []float32
	// Step applies an action: for discrete spaces action[0] is the index;
	// box actions are clipped to the space as Gymnasium does.
	Step(action []float64) Step
	// MaxEpisodeSteps is the registered time limit (0: none).
	MaxEpisodeSteps() int
}

var registry = map[string]func() Env{}

// Names lists the registered environments.
func Names() []string {
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Register adds an environment under name (an error if the name is taken);
// packages that wrap environments (control's sparse-success variants)
// register theirs at init.
func Register(name string, f func() Env) error {
	if _, dup := registry[name]; dup {
		return fmt.Errorf("environment %q is already registered", name)
	}
	registry[name] = f
	return nil
}

// Make builds an environment by its Gymnasium id, wrapped in its time limit.
func Make(name string) (Env, error) {
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown environment %q (known: %v)", name, Names())
	}
	e := f()
	if n := e.MaxEpisodeSteps(); n > 0 {
		return &TimeLimit{Env: e, Max: n}, nil
	}
	return e, nil
}

// TimeLimit truncates episodes after Max steps.
type TimeLimit struct {
	Env
	Max   int
	steps int
}

// Reset starts an episode and the step count.
func (t *TimeLimit) Reset(seed uint64) []float32 {
	t.steps = 0
	return t.Env.Reset(seed)
}

// Step counts steps and sets Truncated at the limit (unless terminated).
func (t *TimeLimit) Step(a []float64) Step {
	s := t.Env.Step(a)
	t.steps++
	if t.steps >= t.Max && !s.Terminated {
		s.Truncated = true
	}
	return s
}

// uniform draws from [lo, hi) with the environment's generator.
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x656e76)) }

func clip(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }
