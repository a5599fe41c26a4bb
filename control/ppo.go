// Package control trains classic-control policies on the same engine as
// the language models: MLP actors and critics (package nn) with AdamW.
package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/tensor"
)

// PPOConfig holds every PPO hyperparameter in one place (CleanRL's
// defaults for classic control). The mini-batch size, NumEnvs*RolloutLen
// / MiniBatches, is the knob CaRL-style work scales.
type PPOConfig struct {
	Env         string  `json:"env"`
	Seed        uint64  `json:"seed"`
	Steps       int     `json:"steps"` // total environment steps
	NumEnvs     int     `json:"num_envs"`
	RolloutLen  int     `json:"rollout_len"`
	Epochs      int     `json:"epochs"`
	MiniBatches int     `json:"mini_batches"`
	LR          float64 `json:"lr"`
	AnnealLR    bool    `json:"anneal_lr"`
	Gamma       float64 `json:"gamma"`
	Lambda      float64 `json:"gae_lambda"`
	Clip        float64 `json:"clip"`
	ClipValue   bool    `json:"clip_value"`
	NormAdv     bool    `json:"norm_adv"`
	EntCoef     float64 `json:"ent_coef"`
	VFCoef      float64 `json:"vf_coef"`
	MaxGradNorm float64 `json:"max_grad_norm"`
	Hidden      []int   `json:"hidden"`
	// NormObs standardises observations with running statistics over
	// every copy's observations (Gymnasium's NormalizeObservation, clip
	// 10); the saved policy has them folded into its first layer (the
	// clip is not folded).
	NormObs bool `json:"norm_obs"`
	// NormReward divides rewards by the running std of each copy's
	// discounted return (Gymnasium's NormalizeReward, clip 10).
	NormReward bool `json:"norm_reward"`
	// CheckpointEvery is the period of state.gob in updates (0: none).
	CheckpointEvery int `json:"checkpoint_every"`
	// SRPO, when set, replaces each failed episode's return by SRPO's
	// progress reward before the advantages (control/srpo.go); it needs a
	// sparse-success environment (SparseEnvs).
	SRPO *rl.SRPO `json:"srpo,omitempty"`
}

// DefaultPPO returns CleanRL's ppo.py settings for env.
func DefaultPPO(envName string) PPOConfig {
	return PPOConfig{Env: envName, Seed: 1, Steps: 500_000, NumEnvs: 4, RolloutLen: 128, Epochs: 4, MiniBatches: 4,
		LR: 2.5e-4, AnnealLR: true, Gamma: 0.99, Lambda: 0.95, Clip: 0.2, ClipValue: true, NormAdv: true,
		EntCoef: 0.01, VFCoef: 0.5, MaxGradNorm: 0.5, Hidden: []int{64, 64}, CheckpointEvery: 50}
}

// Policy is a trained actor: a deterministic action for evaluation.
type Policy struct {
	Actor    *nn.MLP
	LogStd   *nn.Param // continuous PPO actions only
	Discrete int
	Low      []float64
	High     []float64
	// squash: the actor outputs [mean, log-std] and actions are
	// scale*tanh(mean) + bias (SAC).
	squash      bool
	scale, bias []float64
}

// Act returns the greedy action (argmax, or the mean clipped to the box).
func (p *Policy) Act(obs []float32) []float64 {
	out := p.Actor.Forward(obs, 1)
	if p.Discrete > 0 {
		best := 0
		for i := range out[:p.Discrete] {
			if out[i] > out[best] {
				best = i
			}
		}
		return []float64{float64(best)}
	}
	if p.squash {
		a := make([]float64, len(p.scale))
		for i := range a {
			a[i] = math.Tanh(float64(out[i]))*p.scale[i] + p.bias[i]
		}
		return a
	}
	a := make([]float64, len(out))
	for i, v := range out {
		a[i] = math.Max(p.Low[i], math.Min(p.High[i], float64(v)))
	}
	return a
}

// Evaluate runs episodes with the greedy policy and returns their returns.
func (p *Policy) Evaluate(envName string, episodes int, seed uint64) ([]float64, error) {
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	var rets []float64
	for ep := 0; ep < episodes; ep++ {
		obs := e.Reset(seed*7919 + uint64(ep))
		var ret float64
		for {
			s := e.Step(p.Act(obs))
			ret += s.Reward
			obs = s.Obs
			if s.Terminated || s.Truncated {
				break
			}
		}
		rets = append(rets, ret)
	}
	return rets, nil
}

// TrainPPO runs PPO with GAE, clipped policy and value losses, advantage
// normalisation and an entropy bonus:
//
//	L = -mean min(rho A, clip(rho, 1-c, 1+c) A) + vf * 0.5 mean max((V-R)^2, (V_old + clip(V-V_old, -c, c) - R)^2) - ent * mean H
//
// Truncated episodes bootstrap: their last reward gets gamma * V(final obs).
// An EpisodeShaper (cfg.SRPO) may rewrite the returns of the rollout's
// finished episodes before GAE. log receives progress lines; metrics receives one map per update.
func TrainPPO(cfg PPOConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	return trainPPO(cfg, log, metrics, nil)
}

func trainPPO(cfg PPOConfig, log io.Writer, metrics func(map[string]any), ck *ckpt) (*Policy, error) {
	vec, err := env.NewVec(cfg.Env, cfg.NumEnvs, cfg.Seed)
	if err != nil {
		return nil, err
	}
	vec.Record = ck != nil
	shaper, err := episodeShaper(cfg)
	if err != nil {
		return nil, err
	}
	if shaper != nil && cfg.NormReward {
		return nil, fmt.Errorf("ppo: episode shaping (srpo) and norm_reward do not combine (the shaped returns are unscaled)")
	}
	var eps *episodeLog // each copy's current episode, kept for the shaper
	os, as := vec.Envs[0].ObservationSpace(), vec.Envs[0].ActionSpace()
	pcg := rand.NewPCG(cfg.Seed, 0x70706f)
	r := rand.New(pcg)
	N, T := cfg.NumEnvs, cfg.RolloutLen
	B := N * T
	mb := B / cfg.MiniBatches
	actDim := as.Dim
	outDim := as.Dim
	if as.Discrete > 0 {
		actDim, outDim = 1, as.Discrete
	}
	sizes := func(out int) []int { return append(append([]int{os.Dim}, cfg.Hidden...), out) }
	actor, err := nn.NewMLP("actor", sizes(outDim), nn.Tanh, max(mb, N), r)
	if err != nil {
		return nil, err
	}
	critic, err := nn.NewMLP("critic", sizes(1), nn.Tanh, max(mb, N), r)
	if err != nil {
		return nil, err
	}
	// Small policy head (CleanRL: std 0.01), unit value head.
	last := actor.Weights[len(actor.Weights)-1]
	last.InitNormal(r, 0.01/math.Sqrt(float64(cfg.Hidden[len(cfg.Hidden)-1])))
	params := append(actor.Params(), critic.Params()...)
	pol := &Policy{Actor: actor, Discrete: as.Discrete, Low: as.Low, High: as.High}
	if as.Discrete == 0 {
		pol.LogStd = nn.NewParam("actor.log_std", as.Dim)
		params = append(params, pol.LogStd)
	}
	opt := optim.NewAdamW(params, optim.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-5})

	obsBuf := make([]float32, B*os.Dim)
	actBuf := make([]float64, B*actDim)
	logpBuf, valBuf, rewBuf, doneBuf := make([]float64, B), make([]float64, B), make([]float64, B), make([]float64, B)
	adv, ret := make([]float64, B), make([]float64, B)
	var ostat *env.RunningStat
	if cfg.NormObs {
		ostat = env.NewRunningStat(os.Dim)
	}
	var rscale *env.RewardScaler
	if cfg.NormReward {
		rscale = env.NewRewardScaler(N, cfg.Gamma)
	}
	// obsFlat is the policy's input for rows: the observations, or with
	// NormObs their normalisation (after updating the statistics with
	// them when update).
	obsFlat := func(rows [][]float32, update bool) []float32 {
		out := make([]float32, 0, len(rows)*os.Dim)
		if ostat == nil {
			for _, o := range rows {
				out = append(out, o...)
			}
			return out
		}
		if update {
			r64 := make([][]float64, len(rows))
			for i, o := range rows {
				r64[i] = make([]float64, len(o))
				for d, v := range o {
					r64[i][d] = float64(v)
				}
			}
			ostat.Update(r64)
		}
		for _, o := range rows {
			out = append(out, ostat.NormalizeObs(o, 10)...)
		}
		return out
	}
	updates := cfg.Steps / B
	var recent []float64
	first := 0
	var cur []float32 // policy input of vec.Obs
	if ck != nil && ck.resume != nil {
		st := ck.resume
		if err := st.getParams(params); err != nil {
			return nil, err
		}
		if err := st.getAdam("ppo", opt); err != nil {
			return nil, err
		}
		if err := st.restoreRNG(pcg); err != nil {
			return nil, err
		}
		if st.Vec == nil {
			return nil, fmt.Errorf("checkpoint: no environment state")
		}
		if err := vec.Restore(*st.Vec); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if ostat != nil {
			if st.ObsStat == nil || len(st.ObsStat.Mean) != os.Dim {
				return nil, fmt.Errorf("checkpoint: no observation statistics")
			}
			copy(ostat.Mean, st.ObsStat.Mean)
			copy(ostat.Var, st.ObsStat.Var)
			ostat.Count = st.ObsStat.Count
		}
		if rscale != nil {
			if st.Scaler == nil {
				return nil, fmt.Errorf("checkpoint: no reward scaler state")
			}
			if err := rscale.Restore(*st.Scaler); err != nil {
				return nil, fmt.Errorf("checkpoint: %w", err)
			}
		}
		recent, first = st.Recent, st.Step
		cur = obsFlat(vec.Obs, false)
		if shaper != nil {
			if eps, err = replayEpisodeLog(cfg.Env, *st.Vec); err != nil {
				return nil, fmt.Errorf("checkpoint: %w", err)
			}
		}
	} else {
		vec.Reset()
		cur = obsFlat(vec.Obs, true)
		if shaper != nil {
			eps = newEpisodeLog(vec)
		}
	}
	for u := first; u < updates; u++ {
		lr := cfg.LR
		if cfg.AnnealLR {
			lr = cfg.LR * (1 - float64(u)/float64(updates))
		}
		// Rollout.
		for t := 0; t < T; t++ {
			x := cur
			copy(obsBuf[t*N*os.Dim:], x)
			out := actor.Forward(x, N)
			vals := critic.Forward(x, N)
			acts := make([][]float64, N)
			for i := 0; i < N; i++ {
				k := t*N + i
				valBuf[k] = float64(vals[i])
				a, lp := sample(out[i*outDim:(i+1)*outDim], pol, r)
				copy(actBuf[k*actDim:], a)
				logpBuf[k] = lp
				acts[i] = a
			}
			vec.Step(acts)
			cur = obsFlat(vec.Obs, true)
			rew := vec.Reward
			if rscale != nil {
				done := make([]bool, N)
				for i := range done {
					done[i] = vec.Term[i] || vec.Trunc[i]
				}
				rew = rscale.Scale(vec.Reward, done)
			}
			for i := 0; i < N; i++ {
				k := t*N + i
				rewBuf[k] = rew[i]
				doneBuf[k] = 0
				if vec.Term[i] || vec.Trunc[i] {
					doneBuf[k] = 1
				}
				if vec.Trunc[i] && !vec.Term[i] {
					v := critic.Forward(obsFlat([][]float32{vec.FinalObs[i]}, false), 1)
					rewBuf[k] += cfg.Gamma * float64(v[0])
				}
			}
			if eps != nil {
				eps.step(vec, t*N)
			}
		}
		for _, ep := range vec.Drain() {
			recent = append(recent, ep.Return)
		}
		var shaped map[string]float64
		if shaper != nil {
			if shaped, err = eps.shape(shaper, rewBuf); err != nil {
				return nil, fmt.Errorf("ppo update %d: %w", u+1, err)
			}
		}
		// GAE.
		next := critic.Forward(cur, N)
		lastAdv := make([]float64, N)
		for t := T - 1; t >= 0; t-- {
			for i := 0; i < N; i++ {
				k := t*N + i
				var nv float64
				if t == T-1 {
					nv = float64(next[i])
				} else {
					nv = valBuf[k+N]
				}
				nonterm := 1 - doneBuf[k]
				delta := rewBuf[k] + cfg.Gamma*nv*nonterm - valBuf[k]
				lastAdv[i] = delta + cfg.Gamma*cfg.Lambda*nonterm*lastAdv[i]
				adv[k] = lastAdv[i]
				ret[k] = adv[k] + valBuf[k]
			}
		}
		// Optimisation.
		var pgSum, vSum, entSum, clipFrac, kl float64
		nUpd := 0
		for e := 0; e < cfg.Epochs; e++ {
			perm := r.Perm(B)
			for lo := 0; lo < B; lo += mb {
				idx := perm[lo:min(lo+mb, B)]
				m := len(idx)
				x := make([]float32, m*os.Dim)
				for j, k := range idx {
					copy(x[j*os.Dim:], obsBuf[k*os.Dim:(k+1)*os.Dim])
				}
				var amean, astd float64
				if cfg.NormAdv {
					for _, k := range idx {
						amean += adv[k]
					}
					amean /= float64(m)
					for _, k := range idx {
						astd += (adv[k] - amean) * (adv[k] - amean)
					}
					astd = math.Sqrt(astd / float64(m-1))
				}
				for _, p := range params {
					p.ZeroGrad()
				}
				out := actor.Forward(x, m)
				dOut := make([]float32, m*outDim)
				for j, k := range idx {
					A := adv[k]
					if cfg.NormAdv {
						A = (A - amean) / (astd + 1e-8)
					}
					z := out[j*outDim : (j+1)*outDim]
					lp, ent, dLp, dEnt := logProb(z, actBuf[k*actDim:(k+1)*actDim], pol)
					ratio := math.Exp(lp - logpBuf[k])
					kl += (ratio - 1) - (lp - logpBuf[k])
					l1, l2 := -A*ratio, -A*math.Max(1-cfg.Clip, math.Min(1+cfg.Clip, ratio))
					g := 0.0 // d loss / d logp
					if l1 >= l2 {
						pgSum += l1 / float64(m)
						g = -A * ratio
					} else {
						pgSum += l2 / float64(m)
						clipFrac++
					}
					entSum += ent / float64(m)
					for v := 0; v < outDim; v++ { // head outputs; Gaussian log-stds follow
						dOut[j*outDim+v] = float32((g*dLp[v] - cfg.EntCoef*dEnt[v]) / float64(m))
					}
					if pol.LogStd != nil {
						for d := range pol.LogStd.G {
							pol.LogStd.G[d] += float32((g*dLp[outDim+d] - cfg.EntCoef*dEnt[outDim+d]) / float64(m))
						}
					}
				}
				actor.Backward(dOut, m)
				vals := critic.Forward(x, m)
				dv := make([]float32, m)
				for j, k := range idx {
					v := float64(vals[j])
					d1 := v - ret[k]
					grad := d1
					l := d1 * d1
					if cfg.ClipValue {
						vc := valBuf[k] + math.Max(-cfg.Clip, math.Min(cfg.Clip, v-valBuf[k]))
						if d2 := vc - ret[k]; d2*d2 > l {
							l, grad = d2*d2, 0
							if math.Abs(v-valBuf[k]) < cfg.Clip {
								grad = d2
							}
						}
					}
					vSum += 0.5 * l / float64(m)
					dv[j] = float32(cfg.VFCoef * grad / float64(m))
				}
				critic.Backward(dv, m)
				if _, err := optim.ClipGradNorm(params, cfg.MaxGradNorm); err != nil {
					return nil, fmt.Errorf("ppo update %d: %w", u+1, err)
				}
				opt.Step(lr)
				nUpd++
			}
		}
		mean := meanLast(recent, 20)
		if metrics != nil {
			m := map[string]any{"update": u + 1, "env_steps": (u + 1) * B, "episode_return": mean, "policy_loss": pgSum / float64(nUpd),
				"value_loss": vSum / float64(nUpd), "entropy": entSum / float64(nUpd), "clip_frac": clipFrac / float64(nUpd*mb), "approx_kl": kl / float64(nUpd*mb), "lr": lr}
			for k, v := range shaped {
				m[k] = v
			}
			metrics(m)
		}
		if log != nil && ((u+1)%10 == 0 || u+1 == updates) {
			fmt.Fprintf(log, "ppo %s update %d/%d  steps %d  return(last 20) %.1f\n", cfg.Env, u+1, updates, (u+1)*B, mean)
		}
		if ck.due(u+1) && u+1 < updates {
			st := newTrainState(ck.algo)
			st.putParams(params)
			st.putAdam("ppo", opt)
			vs := vec.State()
			st.Vec, st.Step, st.Recent = &vs, u+1, recent
			if ostat != nil {
				st.ObsStat = &env.RunningStat{Mean: ostat.Mean, Var: ostat.Var, Count: ostat.Count}
			}
			if rscale != nil {
				ss := rscale.State()
				st.Scaler = &ss
			}
			if err := ck.save(st, pcg); err != nil {
				return nil, err
			}
		}
		if ck.stop(u + 1) {
			return nil, errStopped
		}
	}
	if ostat != nil {
		m := &obsNorm{mu: ostat.Mean, sigma: make([]float64, os.Dim)}
		for d := range m.sigma {
			m.sigma[d] = math.Sqrt(ostat.Var[d] + 1e-8)
		}
		m.fold(actor)
	}
	return pol, nil
}

func meanLast(x []float64, n int) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	x = x[max(0, len(x)-n):]
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// sample draws an action from the policy head output z and returns it
// with its log-probability.
func sample(z []float32, p *Policy, r *rand.Rand) ([]float64, float64) {
	if p.Discrete > 0 {
		_, lse := tensor.Softmax64(z)
		u := r.Float64()
		a := len(z) - 1
		for i, v := range z {
			u -= math.Exp(float64(v) - lse)
			if u < 0 {
				a = i
				break
			}
		}
		return []float64{float64(a)}, float64(z[a]) - lse
	}
	a := make([]float64, len(z))
	for i := range z {
		a[i] = float64(z[i]) + math.Exp(float64(p.LogStd.W[i]))*r.NormFloat64()
	}
	lp, _, _, _ := logProb(z, a, p)
	return a, lp
}

// logProb returns log pi(a), the entropy, and their gradients with respect
// to the head output (and, for Gaussians, appended, the log-stds).
// Categorical: d logp/dz = onehot - p, dH/dz = -p (log p + H).
// Diagonal Gaussian: d logp/d mu = (a-mu)/s^2, d logp/d log s = (a-mu)^2/s^2 - 1, dH/d log s = 1.
func logProb(z []float32, a []float64, p *Policy) (lp, ent float64, dLp, dEnt []float64) {
	if p.Discrete > 0 {
		_, lse := tensor.Softmax64(z)
		dLp, dEnt = make([]float64, len(z)), make([]float64, len(z))
		for _, zv := range z {
			lpv := float64(zv) - lse
			ent -= math.Exp(lpv) * lpv
		}
		act := int(a[0])
		lp = float64(z[act]) - lse
		for v, zv := range z {
			lpv := float64(zv) - lse
			pv := math.Exp(lpv)
			dLp[v] = -pv
			dEnt[v] = -pv * (lpv + ent)
		}
		dLp[act] += 1
		return lp, ent, dLp, dEnt
	}
	n := len(z)
	dLp, dEnt = make([]float64, 2*n), make([]float64, 2*n)
	for i := 0; i < n; i++ {
		ls := float64(p.LogStd.W[i])
		s := math.Exp(ls)
		d := (a[i] - float64(z[i])) / s
		lp += -0.5*d*d - ls - 0.5*math.Log(2*math.Pi)
		ent += ls + 0.5*math.Log(2*math.Pi*math.E)
		dLp[i] = d / s
		dLp[n+i] = d*d - 1
		dEnt[n+i] = 1
	}
	return lp, ent, dLp, dEnt
}
