package control

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/control/env"
)

// EpisodeShaper rewrites episode-level rewards before PPO computes its
// advantages (a plug-in of TrainPPO; SRPO, control/srpo.go, is one). After
// each rollout it receives the episodes that ended in it and returns each
// one's new return; the difference to the old return is added to the
// reward of the episode's last step (a truncated episode keeps its
// bootstrap), then GAE runs as usual. stats go into the update's metrics.
type EpisodeShaper interface {
	Shape(eps []FinishedEpisode) (returns []float64, stats map[string]float64, err error)
}

// FinishedEpisode is an episode as an EpisodeShaper sees it. An episode
// that began in an earlier rollout is whole here too (only its last step's
// reward can still change).
type FinishedEpisode struct {
	Obs        [][]float32 // the raw observations, from the reset's to the final one
	Return     float64     // the environment's undiscounted return
	Terminated bool        // ended in a terminal state, not by the time limit
}

// episodeLog keeps each copy's current episode for an EpisodeShaper and
// collects the episodes that end during a rollout.
type episodeLog struct {
	obs  [][][]float32 // each copy's observations since its reset
	ret  []float64     // each copy's return so far
	done []FinishedEpisode
	last []int // the rollout-buffer index of each finished episode's last step
}

// newEpisodeLog starts a log at the vector's current observations.
func newEpisodeLog(vec *env.Vec) *episodeLog {
	l := &episodeLog{obs: make([][][]float32, len(vec.Obs)), ret: make([]float64, len(vec.Obs))}
	for i, o := range vec.Obs {
		l.obs[i] = [][]float32{append([]float32(nil), o...)}
	}
	return l
}

// replayEpisodeLog rebuilds the log of a restored vector from its state
// (reset seeds and actions; the dynamics are deterministic).
func replayEpisodeLog(envName string, st env.VecState) (*episodeLog, error) {
	l := &episodeLog{obs: make([][][]float32, len(st.Seeds)), ret: append([]float64(nil), st.Return...)}
	for i, seed := range st.Seeds {
		e, err := env.Make(envName)
		if err != nil {
			return nil, fmt.Errorf("episode log: %w", err)
		}
		l.obs[i] = [][]float32{e.Reset(seed)}
		for _, a := range st.Actions[i] {
			l.obs[i] = append(l.obs[i], e.Step(a).Obs)
		}
	}
	return l, nil
}

// step records the vector's last step, whose rewards are at base+i of the
// rollout buffer.
func (l *episodeLog) step(vec *env.Vec, base int) {
	for i, o := range vec.Obs {
		l.ret[i] += vec.Reward[i]
		if vec.Term[i] || vec.Trunc[i] {
			ep := append(l.obs[i], append([]float32(nil), vec.FinalObs[i]...))
			l.done = append(l.done, FinishedEpisode{Obs: ep, Return: l.ret[i], Terminated: vec.Term[i]})
			l.last = append(l.last, base+i)
			l.obs[i], l.ret[i] = nil, 0
		}
		l.obs[i] = append(l.obs[i], append([]float32(nil), o...))
	}
}

// shape lets s rewrite the returns of the episodes finished since the last
// call, adding each change to rew at the episode's last step.
func (l *episodeLog) shape(s EpisodeShaper, rew []float64) (map[string]float64, error) {
	eps, last := l.done, l.last
	l.done, l.last = nil, nil
	if len(eps) == 0 {
		return nil, nil
	}
	rets, stats, err := s.Shape(eps)
	if err != nil {
		return nil, fmt.Errorf("episode shaping: %w", err)
	}
	if len(rets) != len(eps) {
		return nil, fmt.Errorf("episode shaping: %d returns for %d episodes", len(rets), len(eps))
	}
	for j, k := range last {
		rew[k] += rets[j] - eps[j].Return
	}
	return stats, nil
}
