package run

// SALT plug-in (card B2; algebra and CHOICEs in rl/salt.go): the recipe's
// outcome advantages, one per trajectory, are replaced at each step (a
// line of a policy turn) by the mean advantage of the group's trajectories
// that share the step's node (advantageHook). Made for tasks whose
// solutions are lines of intermediate results (task chain). Metrics:
// salt_steps (mean steps per trajectory), salt_shared_frac (share of
// trained policy tokens in steps shared by two or more trajectories),
// salt_adv_abs (mean |advantage| over those tokens after merging, against
// the trajectory advantages' salt_traj_adv_abs).

import (
	"fmt"
	"math"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("salt", "SALT: step-level advantages from a graph of the group's shared steps (lines)",
		rl.SALT{MergeMode: "prefix", HistoryWindow: 0, MinSharedCount: 1, Normalize: true},
		func(c *rl.SALT, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if e := r.RL.AdvEstimator; e == "gae" || e == "reinforcepp" || e == "reinforcepp_baseline" {
				return nil, fmt.Errorf("merges per-trajectory outcome advantages: needs an outcome estimator, not %s", e)
			}
			return &salt{c: *c}, nil
		})
}

type salt struct{ c rl.SALT }

func (*salt) name() string { return "salt" }

// saltSteps splits an episode after its prompt into history elements: each
// line of a policy turn (cut after every token whose text holds a newline;
// a turn's remainder, its end token included, is its last line) is a step,
// every other segment one element. spans[k] is step k's range of trained
// tokens (Trainable order).
func saltSteps(e *episode.Episode, decode func([]int32) string) (hist []string, steps []int, spans [][2]int) {
	k := 0 // trained-token index
	started := false
	for _, s := range e.Segments {
		if !s.Trainable && !started {
			continue // the prompt, the same within a group
		}
		started = true
		if !s.Trainable || s.Role != episode.RolePolicy {
			hist = append(hist, s.Role+":"+decode(s.IDs))
			if s.Trainable {
				k += len(s.IDs)
			}
			continue
		}
		var line strings.Builder
		lo := k
		for t, id := range s.IDs {
			piece := decode([]int32{id})
			line.WriteString(piece)
			k++
			if strings.Contains(piece, "\n") || t == len(s.IDs)-1 {
				steps = append(steps, len(hist))
				hist = append(hist, line.String())
				spans = append(spans, [2]int{lo, k})
				line.Reset()
				lo = k
			}
		}
	}
	return hist, steps, spans
}

func (s *salt) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	keys := make([][]string, len(xs))
	spans := make([][][2]int, len(xs))
	nSteps := 0
	for i, x := range xs {
		hist, steps, sp := saltSteps(x.ep, ru.tok.Decode)
		keys[i], spans[i] = s.c.Keys(hist, steps), sp
		nSteps += len(steps)
	}
	step, shared := s.c.StepAdvantages(a.seq, keys, rl.Groups(len(xs), ru.r.RL.GroupSize))
	var tokens, sharedTok, absAfter, absBefore float64
	for i := range xs {
		for k, sp := range spans[i] {
			for t := sp[0]; t < sp[1]; t++ {
				tokens++
				if shared[i][k] >= 2 {
					sharedTok++
				}
				absBefore += math.Abs(a.tok[i][t])
				a.tok[i][t] = step[i][k]
				absAfter += math.Abs(step[i][k])
			}
		}
	}
	m["salt_steps"] = float64(nSteps) / float64(len(xs))
	if tokens > 0 {
		m["salt_shared_frac"], m["salt_adv_abs"], m["salt_traj_adv_abs"] = sharedTok/tokens, absAfter/tokens, absBefore/tokens
	}
	return nil
}
