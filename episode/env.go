package episode

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
)

// Observation is what an environment shows next: a non-trainable segment
// appended to the context, and the settings of the turn that follows.
type Observation struct {
	Role   string // RolePrompt, RoleObservation, RoleTool, ...
	Source string // e.g. the tool's name
	Text   string
	IDs    []int32
	// MaxNew bounds the next generated segment (0: the rollout's default).
	MaxNew int
	// StopSeqs end the next generated segment early, besides EOS (e.g. a
	// tool call's closing tag).
	StopSeqs [][]int32
	// Actor is the role that writes the next segment ("" or "policy": the
	// policy; another name: a role of the recipe, e.g. a critic played by
	// the frozen reference model).
	Actor string
}

// Action is a generated segment as the environment sees it: its ids and
// its decoded text (without a final EOS).
type Action struct {
	Role    string
	IDs     []int32
	Text    string
	Stopped bool // ended on EOS or a stop sequence (false: hit the token budget)
	EOS     bool // ended on EOS
}

// Transition is the environment's answer to an action.
type Transition struct {
	Obs    *Observation // next observation; nil ends the episode
	Reward float64      // added to the episode's reward
	// Correct is the episode's outcome so far (the last graded answer).
	Correct bool
	Info    map[string]float64 // merged into the episode's Info
	Done    bool               // terminated: no further turns
	// RoleRewards are rewards of roles other than the policy (added to
	// the episode's RoleRewards): a role the policy plays is trained with
	// its own advantages from them.
	RoleRewards map[string]float64
}

// Env is one episode's environment, like Gymnasium's Env: Reset gives the
// first observation (the prompt), Step answers each generated segment.
// Environments are single-use: a Factory makes one per episode.
type Env interface {
	Reset() (Observation, error)
	Step(a Action) (Transition, error)
}

// Factory makes the environment of one episode for a problem.
type Factory func(p task.Problem) Env

// Deps is what environments are built from: the task and its template,
// the codec, and the special tokens around a prompt.
type Deps struct {
	Task     task.Task
	Template task.Template
	Codec    Codec
	BOS      int32
	// PromptIDs, when set, encodes a rendered prompt as the episode's first
	// observation (a Hugging Face tokenizer's special tokens or chat
	// template); nil: BOS followed by Codec.Encode(prompt).
	PromptIDs func(prompt string) ([]int32, error)
}

// Options configure an environment from a recipe's env section.
type Options struct {
	Name     string         `yaml:"name" json:"name"`
	MaxTurns int            `yaml:"max_turns" json:"max_turns"` // cut an episode after this many policy turns
	Params   map[string]any `yaml:"params" json:"params"`       // the environment's own settings
}

// builder makes a Factory from options.
type builder func(o Options, d Deps) (Factory, error)

var envs = map[string]builder{}

func register(name string, b builder) { envs[name] = b }

// Names lists the registered environments.
func Names() []string { return slices.Sorted(maps.Keys(envs)) }

// roleNeeds lists, per environment, the roles its settings call on.
var roleNeeds = map[string]func(o Options) []string{}

// NeededRoles returns the roles (besides the policy) that episodes of the
// environment will ask to act, so a recipe can be checked before any work.
func NeededRoles(o Options) []string {
	if f := roleNeeds[o.Name]; f != nil {
		return f(o)
	}
	return nil
}

// New builds the factory of the named environment; an unknown name is an
// error listing the known ones.
func New(o Options, d Deps) (Factory, error) {
	b, ok := envs[o.Name]
	if !ok {
		return nil, fmt.Errorf("env %q: unknown (known: %s)", o.Name, strings.Join(Names(), ", "))
	}
	f, err := b(o, d)
	if err != nil {
		return nil, fmt.Errorf("env %s: %w", o.Name, err)
	}
	return f, nil
}

// prompt is the first observation of every task environment: BOS and the
// rendered prompt.
func (d Deps) prompt(p task.Problem) (Observation, error) {
	if d.PromptIDs != nil {
		ids, err := d.PromptIDs(p.Prompt)
		if err != nil {
			return Observation{}, err
		}
		return Observation{Role: RolePrompt, Text: p.Prompt, IDs: ids}, nil
	}
	ids, err := d.Codec.Encode(p.Prompt)
	if err != nil {
		return Observation{}, fmt.Errorf("prompt %q: %w", p.Prompt, err)
	}
	return Observation{Role: RolePrompt, Text: p.Prompt, IDs: append([]int32{d.BOS}, ids...)}, nil
}

// param reads an optional parameter of an environment with a default,
// rejecting a value of the wrong type.
func param[T any](o Options, key string, def T) (T, error) {
	v, ok := o.Params[key]
	if !ok {
		return def, nil
	}
	t, ok := v.(T)
	if !ok {
		return def, fmt.Errorf("params.%s: %v is a %T, want %T", key, v, v, def)
	}
	return t, nil
}

// checkParams rejects parameters an environment does not know.
func checkParams(o Options, known ...string) error {
	for k := range o.Params {
		ok := false
		for _, n := range known {
			ok = ok || n == k
		}
		if !ok {
			return fmt.Errorf("params.%s: unknown (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

func init() {
	register("single", func(o Options, d Deps) (Factory, error) {
		if err := checkParams(o); err != nil {
			return nil, err
		}
		return func(p task.Problem) Env { return &single{d: d, p: p} }, nil
	})
}

// single is the one-turn environment of every task: the prompt, one
// completion, the task's grade. Every task works unchanged through it.
type single struct {
	d Deps
	p task.Problem
}

func (e *single) Reset() (Observation, error) { return e.d.prompt(e.p) }

func (e *single) Step(a Action) (Transition, error) {
	rw := e.d.Task.Grade(e.p, a.Text)
	return Transition{Reward: rw.Reward, Correct: rw.Correct, Done: true}, nil
}
