package episode

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
)

// DemoPart is one part of a demonstration transcript used to pretrain a
// model on an environment's episode shape: a policy turn (Policy true,
// followed by EOS) or an observation the environment would show.
type DemoPart struct {
	Text   string
	Policy bool
	// NoEOS marks a policy turn that ends on a stop sequence (a tool
	// call's closing tag) rather than EOS.
	NoEOS bool
	// Prompt marks a first part that replaces the task's prompt: a
	// demonstration that starts from a prompt of its own (self_judge's
	// judge examples, which start from the judge's prompt).
	Prompt bool
}

// Demonstrator is implemented by environments whose episodes have a shape
// beyond prompt-then-solution, so pretraining and SFT can show it: Demo
// writes the parts after the prompt, drawing each policy turn from solve
// (the task's reference or noisy solver) and any choice of its own from r.
type Demonstrator interface {
	Demo(solve func() string, r *rand.Rand) []DemoPart
}

func init() {
	roleNeeds["two_turn"] = func(o Options) []string {
		if o.Params["feedback"] == "critic" {
			return []string{"critic"}
		}
		return nil
	}
	register("two_turn", func(o Options, d Deps) (Factory, error) {
		if err := checkParams(o, "feedback", "instruction", "right", "wrong", "critic_cue"); err != nil {
			return nil, err
		}
		fb, err := param(o, "feedback", "fixed")
		if err != nil {
			return nil, err
		}
		if fb != "fixed" && fb != "hint" && fb != "critic" {
			return nil, fmt.Errorf("params.feedback %q: want fixed (the same instruction after every first attempt), hint (the verifier says whether it was right) or critic (the recipe's critic role writes the feedback)", fb)
		}
		t := &twoTurnCfg{hint: fb == "hint", critic: fb == "critic"}
		for _, s := range []struct {
			key, def string
			dst      *[]int32
			text     *string
		}{{"instruction", "Check again.\n", &t.instr, &t.instrText},
			{"right", "Right.\n", &t.right, &t.rightText},
			{"wrong", "Wrong.\n", &t.wrong, &t.wrongText},
			{"critic_cue", "Critic: ", &t.cue, &t.cueText}} {
			v, err := param(o, s.key, s.def)
			if err != nil {
				return nil, err
			}
			if *s.dst, err = d.Codec.Encode(v); err != nil {
				return nil, fmt.Errorf("params.%s: %w", s.key, err)
			}
			*s.text = v
		}
		return func(p task.Problem) Env { return &twoTurn{d: d, p: p, c: t} }, nil
	})
}

type twoTurnCfg struct {
	hint, critic                             bool
	instr, right, wrong, cue                 []int32
	instrText, rightText, wrongText, cueText string
}

// twoTurn is the self-correction environment: a first attempt, feedback
// (a fixed instruction, the verifier's right/wrong hint, or a critic
// role's words after a cue), a second attempt. A critic's reward
// (RoleRewards["critic"]) is t2_correct - t1_correct. The reward is the grade of the final answer; Info records
// t1_correct and t2_correct (SCoRe's quantities come from them).
type twoTurn struct {
	d    Deps
	p    task.Problem
	c    *twoTurnCfg
	turn int
	t1   bool
}

func (e *twoTurn) Reset() (Observation, error) { return e.d.prompt(e.p) }

func (e *twoTurn) Step(a Action) (Transition, error) {
	if a.Role == "critic" {
		// The critic has written its feedback; the second attempt follows
		// on a new line.
		nl, _ := e.d.Codec.Encode("\n")
		if a.EOS {
			nl = nil // the critic's EOS already ends its line
		}
		return Transition{Correct: e.t1, Obs: &Observation{Role: RoleObservation, Text: "\n", IDs: nl}}, nil
	}
	rw := e.d.Task.Grade(e.p, a.Text)
	e.turn++
	if e.turn == 1 {
		e.t1 = rw.Correct
		if e.c.critic {
			return Transition{Correct: rw.Correct, Info: map[string]float64{"t1_correct": b2f(rw.Correct)},
				Obs: &Observation{Role: RoleObservation, Text: e.c.cueText, IDs: e.c.cue, Actor: "critic"}}, nil
		}
		ids, text := e.c.instr, e.c.instrText
		if e.c.hint {
			ids, text = e.c.wrong, e.c.wrongText
			if rw.Correct {
				ids, text = e.c.right, e.c.rightText
			}
		}
		return Transition{Correct: rw.Correct, Info: map[string]float64{"t1_correct": b2f(rw.Correct)},
			Obs: &Observation{Role: RoleObservation, Text: text, IDs: ids}}, nil
	}
	tr := Transition{Reward: rw.Reward, Correct: rw.Correct, Done: true,
		Info: map[string]float64{"t2_correct": b2f(rw.Correct)}}
	if e.c.critic {
		// The critic is rewarded for the improvement its feedback led to.
		tr.RoleRewards = map[string]float64{"critic": b2f(rw.Correct) - b2f(e.t1)}
	}
	return tr, nil
}

// Demo is a first attempt, the feedback it would get, a second attempt.
func (e *twoTurn) Demo(solve func() string, _ *rand.Rand) []DemoPart {
	first := solve()
	if e.c.critic { // a critic that asks to check again, ending its turn with EOS
		return []DemoPart{{Text: first, Policy: true}, {Text: e.c.cueText},
			{Text: strings.TrimSuffix(e.c.instrText, "\n"), Policy: true}, {Text: solve(), Policy: true}}
	}
	fb := e.c.instrText
	if e.c.hint {
		fb = e.c.wrongText
		if e.d.Task.Grade(e.p, first).Correct {
			fb = e.c.rightText
		}
	}
	return []DemoPart{{Text: first, Policy: true}, {Text: fb}, {Text: solve(), Policy: true}}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
