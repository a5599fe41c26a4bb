package run

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
)

// RolesDir holds the checkpoints of roles played by their own trained
// models, one directory per role.
const RolesDir = "roles"

// roleModel is a role played by a second model trained beside the policy
// (roles: {NAME: {model: trained}}): a copy of the policy taken when RL
// starts, with its own AdamW, trained on its own segments with the clipped
// surrogate and outcome advantages from the episodes' RoleRewards[NAME].
type roleModel struct {
	name  string
	model *lm.Model
	opt   *optim.AdamW
}

// trainedRoles lists the recipe's roles with their own trained model.
func (r *Recipe) trainedRoles() []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(r.Roles)) {
		if r.Roles[n].Model == "trained" {
			out = append(out, n)
		}
	}
	return out
}

// newRoleModels copies the policy into each trained role's model.
func (ru *runner) newRoleModels() {
	ru.roleModels = nil
	for _, n := range ru.r.trainedRoles() {
		m := ru.policy.Clone()
		ru.roleModels = append(ru.roleModels, &roleModel{name: n, model: m,
			opt: optim.NewAdamW(m.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: ru.r.RL.WeightDecay})})
	}
}

// roleModel returns the trained model of a role, or nil.
func (ru *runner) roleModelOf(name string) *roleModel {
	for _, rm := range ru.roleModels {
		if rm.name == name {
			return rm
		}
	}
	return nil
}

// saveRoleModels checkpoints every trained role at the current step.
func (ru *runner) saveRoleModels() error {
	for _, rm := range ru.roleModels {
		if _, err := checkpoint.Save(filepath.Join(ru.dir, RolesDir, rm.name), rm.model, rm.opt, checkpoint.State{Step: ru.prog.GStep}); err != nil {
			return fmt.Errorf("role %s: %w", rm.name, err)
		}
	}
	return nil
}

// loadRoleModels restores every trained role from the checkpoint of the
// same step as the policy's in run directory runDir (stepDir is its
// directory name).
func (ru *runner) loadRoleModels(runDir, stepDir string) error {
	ru.newRoleModels()
	for _, rm := range ru.roleModels {
		if _, err := checkpoint.Load(filepath.Join(runDir, RolesDir, rm.name, stepDir), rm.model, rm.opt); err != nil {
			return fmt.Errorf("role %s: %w", rm.name, err)
		}
	}
	return nil
}

// updateRoles takes, for each trained role, one pass of mini-batch updates
// on its segments of the kept episodes and records role_<name>_* metrics.
func (ru *runner) updateRoles(xs []sample, m map[string]any) error {
	c := ru.r.RL
	if len(ru.roleModels) == 0 || len(xs) == 0 {
		return nil
	}
	groups := rl.Groups(len(xs), c.GroupSize)
	mode, _ := rl.ParseAggMode(c.LossAggMode)
	lr := optim.Schedule{Kind: "constant", Warmup: c.Warmup}.LR(ru.prog.GStep-ru.sftEnd(), c.LR)
	mbSize := (len(xs) + c.MiniBatches - 1) / c.MiniBatches
	for _, rm := range ru.roleModels {
		rewards := make([]float64, len(xs))
		won := make([]bool, len(xs))
		var mean float64
		for i, x := range xs {
			rewards[i] = x.ep.RoleRewards[rm.name]
			won[i] = rewards[i] > 0
			mean += rewards[i] / float64(len(xs))
		}
		adv, _ := ru.outcomeAdvantages(rewards, won, groups)
		var lossSum, tokens float64
		updates := 0
		for lo := 0; lo < len(xs); lo += mbSize {
			mb := xs[lo:min(lo+mbSize, len(xs))]
			T := 0
			for _, x := range mb {
				T = max(T, len(x.ids))
			}
			b := &lm.Batch{Rows: len(mb), Len: T, Tokens: make([]int32, len(mb)*T), Mask: make([]float32, len(mb)*T), Temperature: ru.r.Roles[rm.name].Temperature}
			if b.Temperature == 0 {
				b.Temperature = 1
			}
			old := make([]float32, len(b.Tokens))
			lengths := make([]int, len(mb))
			for i, x := range mb {
				copy(b.Tokens[i*T:], x.ids)
				at := 0
				for _, s := range x.ep.Segments {
					if s.Role == rm.name && len(s.LogProbs) == len(s.IDs) {
						for t := range s.IDs {
							b.Mask[i*T+at+t], old[i*T+at+t] = 1, s.LogProbs[t]
						}
						lengths[i] += len(s.IDs)
					}
					at += len(s.IDs)
				}
			}
			if sumInts(lengths) == 0 {
				continue
			}
			sc, err := rm.model.Score(b)
			if err != nil {
				return fmt.Errorf("role %s: %w", rm.name, err)
			}
			w := mode.Weights(lengths, float64(mbSize*c.MaxNewTokens))
			dlp := make([]float32, len(b.Tokens))
			for i := range mb {
				for t := 0; t < T; t++ {
					at := i*T + t
					if b.Mask[at] == 0 {
						continue
					}
					l, d, _ := c.Clip.Token(adv[lo+i], float64(sc.LogProbs[at]), float64(old[at]))
					dlp[at] = float32(w[i] * d)
					lossSum += w[i] * l
					tokens++
				}
			}
			rm.model.ZeroGrad()
			if err := rm.model.Backward(dlp, nil, nil); err != nil {
				return fmt.Errorf("role %s: %w", rm.name, err)
			}
			if _, err := optim.ClipGradNorm(rm.model.Params(), c.GradClip); err != nil {
				return fmt.Errorf("role %s: %w", rm.name, err)
			}
			rm.opt.Step(lr)
			updates++
		}
		m["role_"+rm.name+"_reward"] = mean
		m["role_"+rm.name+"_tokens"] = tokens
		if updates > 0 {
			m["role_"+rm.name+"_loss"] = lossSum / float64(updates)
		}
		if math.IsNaN(lossSum) {
			return fmt.Errorf("role %s: the loss is NaN", rm.name)
		}
	}
	return nil
}

func sumInts(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// playerModel is the model that plays a role in rollouts.
func (ru *runner) playerModel(name string, rc RoleConfig) (*lm.Model, string, error) {
	switch rc.Model {
	case "reference":
		if ru.ref == nil {
			return nil, "", fmt.Errorf("role %s: the reference model exists once RL starts", name)
		}
		return ru.ref, "reference", nil
	case "trained":
		rm := ru.roleModelOf(name)
		if rm == nil {
			return nil, "", fmt.Errorf("role %s: its model exists once RL starts", name)
		}
		return rm.model, "trained:" + name, nil
	}
	return ru.policy, episode.RolePolicy, nil
}
