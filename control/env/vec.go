package env

import (
	"fmt"
	"math"
)

// Vec steps N copies of an environment together. When a copy's episode
// ends (terminated or truncated) it is reset at once with the next episode
// seed; Obs then holds the first observation of the new episode and
// FinalObs the last observation of the finished one (for bootstrapping
// truncated episodes). Episode returns and lengths are recorded.
type Vec struct {
	Envs     []Env
	Obs      [][]float32 // current observation of each copy
	FinalObs [][]float32 // last observation of an episode that ended this step, else nil
	Reward   []float64
	Term     []bool
	Trunc    []bool

	seed     uint64
	episodes uint64
	seeds    []uint64      // reset seed of each copy's current episode
	acts     [][][]float64 // actions of each copy since its reset (Record)
	// Record keeps each copy's actions since its last reset, so that State
	// can describe the copies exactly (checkpoints).
	Record   bool
	ret      []float64
	length   []int
	finished []Episode
}

// Episode is a finished episode's statistics.
type Episode struct {
	Return float64
	Length int
}

// NewVec makes n copies of the named environment (with its time limit).
func NewVec(name string, n int, seed uint64) (*Vec, error) {
	v := &Vec{seed: seed, Obs: make([][]float32, n), FinalObs: make([][]float32, n), Reward: make([]float64, n),
		Term: make([]bool, n), Trunc: make([]bool, n), ret: make([]float64, n), length: make([]int, n)}
	for i := 0; i < n; i++ {
		e, err := Make(name)
		if err != nil {
			return nil, err
		}
		v.Envs = append(v.Envs, e)
	}
	return v, nil
}

func (v *Vec) nextSeed() uint64 {
	v.episodes++
	return v.seed*1_000_003 + v.episodes
}

// VecState describes a Vec between steps: each copy's episode reset seed
// and the actions taken since, its return and length so far, and the
// episode counter. Restore rebuilds the copies from it by resetting and
// replaying the actions (the dynamics are deterministic).
type VecState struct {
	Episodes uint64
	Seeds    []uint64
	Actions  [][][]float64
	Return   []float64
	Length   []int
}

// State returns the Vec's state; it needs Record set since the last Reset.
func (v *Vec) State() VecState {
	s := VecState{Episodes: v.episodes, Seeds: append([]uint64(nil), v.seeds...), Return: append([]float64(nil), v.ret...),
		Length: append([]int(nil), v.length...)}
	for _, a := range v.acts {
		s.Actions = append(s.Actions, append([][]float64(nil), a...))
	}
	return s
}

// Restore sets the Vec to a state from State (of a Vec of the same
// environment and size); finished episodes not yet drained are dropped.
func (v *Vec) Restore(s VecState) error {
	n := len(v.Envs)
	if len(s.Seeds) != n || len(s.Actions) != n || len(s.Return) != n || len(s.Length) != n {
		return fmt.Errorf("vec state of %d copies, the vec has %d", len(s.Seeds), n)
	}
	v.episodes = s.Episodes
	v.seeds = append(v.seeds[:0], s.Seeds...)
	v.acts = make([][][]float64, n)
	v.finished = nil
	for i, e := range v.Envs {
		v.Obs[i] = e.Reset(s.Seeds[i])
		for _, a := range s.Actions[i] {
			st := e.Step(a)
			if st.Terminated || st.Truncated {
				return fmt.Errorf("vec state: copy %d's episode ends while its actions are replayed", i)
			}
			v.Obs[i] = st.Obs
		}
		v.FinalObs[i] = nil
		v.acts[i] = append([][]float64(nil), s.Actions[i]...)
		v.ret[i], v.length[i] = s.Return[i], s.Length[i]
	}
	return nil
}

// Reset starts an episode in every copy.
func (v *Vec) Reset() [][]float32 {
	v.seeds, v.acts = make([]uint64, len(v.Envs)), make([][][]float64, len(v.Envs))
	for i, e := range v.Envs {
		v.seeds[i] = v.nextSeed()
		v.Obs[i] = e.Reset(v.seeds[i])
		v.ret[i], v.length[i] = 0, 0
	}
	return v.Obs
}

// Step applies actions[i] to copy i and auto-resets finished copies.
func (v *Vec) Step(actions [][]float64) {
	for i, e := range v.Envs {
		s := e.Step(actions[i])
		v.Reward[i], v.Term[i], v.Trunc[i] = s.Reward, s.Terminated, s.Truncated
		v.ret[i] += s.Reward
		v.length[i]++
		v.FinalObs[i] = nil
		if s.Terminated || s.Truncated {
			v.finished = append(v.finished, Episode{Return: v.ret[i], Length: v.length[i]})
			v.FinalObs[i] = s.Obs
			if v.seeds != nil {
				v.seeds[i] = v.nextSeed()
				v.Obs[i] = e.Reset(v.seeds[i])
				v.acts[i] = nil
			} else {
				v.Obs[i] = e.Reset(v.nextSeed())
			}
			v.ret[i], v.length[i] = 0, 0
			continue
		}
		if v.Record && v.acts != nil {
			v.acts[i] = append(v.acts[i], append([]float64(nil), actions[i]...))
		}
		v.Obs[i] = s.Obs
	}
}

// Drain returns the episodes finished since the last call.
func (v *Vec) Drain() []Episode {
	out := v.finished
	v.finished = nil
	return out
}

// RunningStat tracks a running mean and variance (Welford / parallel
// merge), per dimension.
type RunningStat struct {
	Mean, Var []float64
	Count     float64
}

// NewRunningStat starts with mean 0, variance 1 and a tiny count, as
// Gymnasium's normalisation wrappers do.
func NewRunningStat(dim int) *RunningStat {
	r := &RunningStat{Mean: make([]float64, dim), Var: make([]float64, dim), Count: 1e-4}
	for i := range r.Var {
		r.Var[i] = 1
	}
	return r
}

// Update merges a batch of rows into the statistics.
func (r *RunningStat) Update(rows [][]float64) {
	if len(rows) == 0 {
		return
	}
	n := float64(len(rows))
	for d := range r.Mean {
		var mean, m2 float64
		for _, x := range rows {
			mean += x[d]
		}
		mean /= n
		for _, x := range rows {
			m2 += (x[d] - mean) * (x[d] - mean)
		}
		delta := mean - r.Mean[d]
		tot := r.Count + n
		r.Mean[d] += delta * n / tot
		r.Var[d] = (r.Var[d]*r.Count + m2 + delta*delta*r.Count*n/tot) / tot
	}
	r.Count += n
}

// NormalizeObs returns (x - mean) / sqrt(var + 1e-8), clipped to [-clip, clip].
func (r *RunningStat) NormalizeObs(x []float32, clipAt float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(clip((float64(v)-r.Mean[i])/math.Sqrt(r.Var[i]+1e-8), -clipAt, clipAt))
	}
	return out
}

// RewardScaler scales rewards by the running std of the discounted return
// (Gymnasium's NormalizeReward): G = gamma*G*(1-done) + r; r / sqrt(var(G) + eps).
type RewardScaler struct {
	Gamma  float64
	ret    []float64
	stat   *RunningStat
	Eps    float64
	ClipAt float64
}

// NewRewardScaler makes a scaler for n copies.
func NewRewardScaler(n int, gamma float64) *RewardScaler {
	return &RewardScaler{Gamma: gamma, ret: make([]float64, n), stat: NewRunningStat(1), Eps: 1e-8, ClipAt: 10}
}

// Scale updates the return statistics with this step's rewards and
// returns the scaled rewards; done[i] resets copy i's running return.
func (s *RewardScaler) Scale(rewards []float64, done []bool) []float64 {
	rows := make([][]float64, len(rewards))
	for i, r := range rewards {
		s.ret[i] = s.ret[i]*s.Gamma + r
		rows[i] = []float64{s.ret[i]}
	}
	s.stat.Update(rows)
	out := make([]float64, len(rewards))
	for i, r := range rewards {
		out[i] = clip(r/math.Sqrt(s.stat.Var[0]+s.Eps), -s.ClipAt, s.ClipAt)
		if done[i] {
			s.ret[i] = 0
		}
	}
	return out
}

// ScalerState is a RewardScaler's running returns and statistics.
type ScalerState struct {
	Return    []float64
	Mean, Var []float64
	Count     float64
}

// State returns the scaler's state (copies).
func (s *RewardScaler) State() ScalerState {
	return ScalerState{Return: append([]float64(nil), s.ret...), Mean: append([]float64(nil), s.stat.Mean...),
		Var: append([]float64(nil), s.stat.Var...), Count: s.stat.Count}
}

// Restore sets the scaler's state from State.
func (s *RewardScaler) Restore(st ScalerState) error {
	if len(st.Return) != len(s.ret) || len(st.Mean) != 1 || len(st.Var) != 1 {
		return fmt.Errorf("reward scaler state of %d copies, the scaler has %d", len(st.Return), len(s.ret))
	}
	copy(s.ret, st.Return)
	s.stat.Mean[0], s.stat.Var[0], s.stat.Count = st.Mean[0], st.Var[0], st.Count
	return nil
}

// NormalizeObservation wraps an environment so that observations are
// standardised with running statistics, updated with every observation it
// returns unless Frozen (Gymnasium's NormalizeObservation), clipped to
// [-Clip, Clip].
type NormalizeObservation struct {
	Env
	Stat   *RunningStat
	Clip   float64
	Frozen bool
}

// NewNormalizeObservation wraps e with fresh statistics and clip 10.
func NewNormalizeObservation(e Env) *NormalizeObservation {
	return &NormalizeObservation{Env: e, Stat: NewRunningStat(e.ObservationSpace().Dim), Clip: 10}
}

func (n *NormalizeObservation) normalize(o []float32) []float32 {
	if !n.Frozen {
		row := make([]float64, len(o))
		for i, v := range o {
			row[i] = float64(v)
		}
		n.Stat.Update([][]float64{row})
	}
	return n.Stat.NormalizeObs(o, n.Clip)
}

// Reset resets the wrapped environment and normalises its observation.
func (n *NormalizeObservation) Reset(seed uint64) []float32 {
	return n.normalize(n.Env.Reset(seed))
}

// Step steps the wrapped environment and normalises the observation.
func (n *NormalizeObservation) Step(a []float64) Step {
	s := n.Env.Step(a)
	s.Obs = n.normalize(s.Obs)
	return s
}

// NormalizeReward wraps an environment so that rewards are divided by the
// running standard deviation of the discounted return (Gymnasium's
// NormalizeReward).
type NormalizeReward struct {
	Env
	scaler *RewardScaler
}

// NewNormalizeReward wraps e with discount gamma.
func NewNormalizeReward(e Env, gamma float64) *NormalizeReward {
	return &NormalizeReward{Env: e, scaler: NewRewardScaler(1, gamma)}
}

// Step steps the wrapped environment and scales the reward.
func (n *NormalizeReward) Step(a []float64) Step {
	s := n.Env.Step(a)
	s.Reward = n.scaler.Scale([]float64{s.Reward}, []bool{s.Terminated || s.Truncated})[0]
	return s
}
