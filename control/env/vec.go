package env

import "math"

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

// Reset starts an episode in every copy.
func (v *Vec) Reset() [][]float32 {
	for i, e := range v.Envs {
		v.Obs[i] = e.Reset(v.nextSeed())
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
			v.Obs[i] = e.Reset(v.nextSeed())
			v.ret[i], v.length[i] = 0, 0
			continue
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
