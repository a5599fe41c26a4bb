package control

// SRPO for control rollouts (card B4, Self-Referential Policy
// Optimization; the algebra is rl.SRPO, rl/srpo.go). On a sparse-success
// environment (SparseSuccess: return 1 for a success, 0 for a failure)
// PPO's episodes are grouped per PPO update: the group is every episode
// that ended in the update's rollout (group_key batch). For a group with
// both outcomes, with e_i the embedding of episode i:
//
//	centres  = DBSCAN(standardised {e_s : s a success}, eps 0.5, min 2) means, in raw space
//	           (no cluster: the successes' mean)
//	d_f      = min_c ||e_f − c||                    for each failure f
//	n_f      = (d_f − min d) / (max d − min d)      (0.5 for all when max d − min d < 1e-6)
//	R_f      = 0.6 · σ(10 · (0.5 − n_f))            ∈ (0.004, 0.596]
//	R_s      = 1
//
// and the episode's return is replaced by R: the change R − G (G its
// sparse return, 0 for a failure) is added to the reward of its last step
// (EpisodeShaper), then GAE and PPO run as usual. A group without a
// success or without a failure keeps its returns. An episode that began
// in an earlier rollout is embedded whole; only its last step's reward,
// in this rollout, changes (the earlier steps were trained on with the
// critic's bootstrap). A truncated failure keeps its bootstrap γ·V.
//
// Embedding (CHOICE): a frozen, parameter-free trajectory encoder, the
// mean of the episode's raw observations over its steps followed by its
// final observation, e = [mean_t o_t ; o_T] (2 × the observation size; for
// the driving task speed, lateral offset, heading error, the route ahead
// and the next obstacle, so both how the car drove and where it ended).
// The paper embeds the rollout's video with a frozen world model (V-JEPA
// 2); the driving task has no pixels, and its observation already is a
// bird's-eye summary of the scene.

import (
	"fmt"
	"math"

	"github.com/autodidact-rl/autodidact/rl"
)

// DefaultSRPO is the paper's setting (rl/srpo.go) with one group per PPO
// update.
func DefaultSRPO() rl.SRPO {
	return rl.SRPO{Eps: 0.5, MinSamples: 2, Steepness: 10, Offset: 0.5, FailScale: 0.6, GroupKey: "batch"}
}

// srpoShaper is SRPO as an EpisodeShaper.
type srpoShaper struct{ c rl.SRPO }

// episodeShaper returns cfg's EpisodeShaper, nil when it has none.
func episodeShaper(cfg PPOConfig) (EpisodeShaper, error) {
	if cfg.SRPO == nil {
		return nil, nil
	}
	if err := cfg.SRPO.Validate(); err != nil {
		return nil, fmt.Errorf("ppo: %w", err)
	}
	if cfg.SRPO.GroupKey != "batch" {
		return nil, fmt.Errorf("ppo: srpo group_key %q: control groups the episodes of a PPO update (batch)", cfg.SRPO.GroupKey)
	}
	if err := checkSparse("ppo srpo", cfg.Env); err != nil {
		return nil, err
	}
	return srpoShaper{*cfg.SRPO}, nil
}

// TrajectoryEmbedding is SRPO's frozen encoder of an episode's
// observations: their mean followed by the last one (nil for none).
func TrajectoryEmbedding(obs [][]float32) []float64 {
	if len(obs) == 0 {
		return nil
	}
	D := len(obs[0])
	e := make([]float64, 2*D)
	for _, o := range obs {
		for j, v := range o[:D] {
			e[j] += float64(v) / float64(len(obs))
		}
	}
	for j, v := range obs[len(obs)-1][:D] {
		e[D+j] = float64(v)
	}
	return e
}

// Shape returns 1 for the successes (a terminal return of 1) and SRPO's
// progress reward for the failures. stats: srpo_mixed (1 when the group
// had both outcomes), srpo_successes, srpo_failures and, for a mixed
// group, srpo_fail_reward_{mean,min,max}.
func (s srpoShaper) Shape(eps []FinishedEpisode) ([]float64, map[string]float64, error) {
	success := make([]bool, len(eps))
	emb := make([][]float64, len(eps))
	var nSucc float64
	for i, ep := range eps {
		if len(ep.Obs) == 0 {
			return nil, nil, fmt.Errorf("srpo: episode %d has no observations", i)
		}
		if ep.Return != 0 && ep.Return != 1 {
			return nil, nil, fmt.Errorf("srpo: episode %d has return %v; SRPO needs a sparse-success environment (0 or 1)", i, ep.Return)
		}
		success[i] = ep.Terminated && ep.Return == 1
		emb[i] = TrajectoryEmbedding(ep.Obs)
		if success[i] {
			nSucc++
		}
	}
	rets := s.c.Rewards(success, emb)
	nFail := float64(len(eps)) - nSucc
	stats := map[string]float64{"srpo_successes": nSucc, "srpo_failures": nFail, "srpo_mixed": 0}
	if nSucc == 0 || nFail == 0 {
		return rets, stats, nil
	}
	stats["srpo_mixed"] = 1
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for i, r := range rets {
		if !success[i] {
			lo, hi, sum = math.Min(lo, r), math.Max(hi, r), sum+r
		}
	}
	stats["srpo_fail_reward_mean"], stats["srpo_fail_reward_min"], stats["srpo_fail_reward_max"] = sum/nFail, lo, hi
	return rets, stats, nil
}
