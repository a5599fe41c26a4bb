package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// SACConfig holds SAC's hyperparameters (CleanRL's sac_continuous_action
// defaults).
type SACConfig struct {
	Env           string  `json:"env"`
	Seed          uint64  `json:"seed"`
	Steps         int     `json:"steps"`
	Buffer        int     `json:"buffer_size"`
	Batch         int     `json:"batch_size"`
	LearningStart int     `json:"learning_starts"`
	Gamma         float64 `json:"gamma"`
	Tau           float64 `json:"tau"` // target smoothing
	PolicyLR      float64 `json:"policy_lr"`
	QLR           float64 `json:"q_lr"`
	PolicyEvery   int     `json:"policy_frequency"`
	Autotune      bool    `json:"autotune"`
	Alpha         float64 `json:"alpha"`
	Hidden        []int   `json:"hidden"`
}

// DefaultSAC returns the defaults for env.
func DefaultSAC(envName string) SACConfig {
	return SACConfig{Env: envName, Seed: 1, Steps: 20000, Buffer: 1_000_000, Batch: 256, LearningStart: 5000,
		Gamma: 0.99, Tau: 0.005, PolicyLR: 3e-4, QLR: 1e-3, PolicyEvery: 2, Autotune: true, Alpha: 0.2, Hidden: []int{256, 256}}
}

const (
	logStdMin = -5.0
	logStdMax = 2.0
)

// TrainSAC runs Soft Actor-Critic: a tanh-squashed Gaussian actor, twin Q
// critics with Polyak-averaged targets, and automatic entropy temperature:
//
//	y = r + gamma (1 - term) (min_j Q'_j(s', a') - alpha log pi(a'|s')),  a' ~ pi(s')
//	L_Q = mean (Q_j(s,a) - y)^2,   L_pi = mean (alpha log pi(a|s) - min_j Q_j(s, a)),  a = tanh(mu + sigma eps)
//	L_alpha = mean -log_alpha (log pi(a|s) + target_entropy),  target_entropy = -dim(A)
//
// Truncated transitions bootstrap (term = 0); terminal ones do not.
func TrainSAC(cfg SACConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	e, err := env.Make(cfg.Env)
	if err != nil {
		return nil, err
	}
	os, as := e.ObservationSpace(), e.ActionSpace()
	if as.Discrete > 0 {
		return nil, fmt.Errorf("sac: %s has a discrete action space; SAC here needs a box", cfg.Env)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x736163))
	ad, od, B := as.Dim, os.Dim, cfg.Batch
	scale, bias := make([]float64, ad), make([]float64, ad)
	for i := range scale {
		scale[i], bias[i] = (as.High[i]-as.Low[i])/2, (as.High[i]+as.Low[i])/2
	}
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }
	mk := func(name string, in, out int) (*nn.MLP, error) { return nn.NewMLP(name, sizes(in, out), nn.ReLU, B, r) }
	actor, err := mk("actor", od, 2*ad)
	if err != nil {
		return nil, err
	}
	var q, qt [2]*nn.MLP
	for j := range q {
		if q[j], err = mk(fmt.Sprintf("q%d", j), od+ad, 1); err != nil {
			return nil, err
		}
		if qt[j], err = mk(fmt.Sprintf("q%d_target", j), od+ad, 1); err != nil {
			return nil, err
		}
		copyParams(qt[j], q[j])
	}
	qParams := append(q[0].Params(), q[1].Params()...)
	qOpt := optim.NewAdamW(qParams, optim.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	aOpt := optim.NewAdamW(actor.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	logAlpha := math.Log(cfg.Alpha)
	var mAlpha, vAlpha float64 // Adam state of log_alpha
	targetEnt := -float64(ad)

	// Replay buffer.
	size := min(cfg.Buffer, cfg.Steps)
	bObs, bNext := make([]float32, size*od), make([]float32, size*od)
	bAct := make([]float32, size*ad)
	bRew, bTerm := make([]float64, size), make([]float64, size)
	n, pos := 0, 0

	// policySample maps actor outputs to squashed actions and log-probs
	// for rows of out; it returns the pre-tanh noise needed for gradients.
	type sampled struct {
		act, u, eps, std []float64 // [rows*ad]
		logp             []float64 // [rows]
	}
	policySample := func(out []float32, rows int) sampled {
		s := sampled{act: make([]float64, rows*ad), u: make([]float64, rows*ad), eps: make([]float64, rows*ad), std: make([]float64, rows*ad), logp: make([]float64, rows)}
		for i := 0; i < rows; i++ {
			for d := 0; d < ad; d++ {
				mu := float64(out[i*2*ad+d])
				ls := logStdMin + 0.5*(logStdMax-logStdMin)*(math.Tanh(float64(out[i*2*ad+ad+d]))+1)
				std := math.Exp(ls)
				eps := r.NormFloat64()
				u := mu + std*eps
				t := math.Tanh(u)
				k := i*ad + d
				s.u[k], s.eps[k], s.std[k] = u, eps, std
				s.act[k] = t*scale[d] + bias[d]
				s.logp[i] += -0.5*eps*eps - ls - 0.5*math.Log(2*math.Pi) - math.Log(scale[d]*(1-t*t)+1e-6)
			}
		}
		return s
	}
	qInput := func(obs []float32, act []float64, rows int) []float32 {
		x := make([]float32, rows*(od+ad))
		for i := 0; i < rows; i++ {
			copy(x[i*(od+ad):], obs[i*od:(i+1)*od])
			for d := 0; d < ad; d++ {
				x[i*(od+ad)+od+d] = float32(act[i*ad+d])
			}
		}
		return x
	}

	episode := uint64(0)
	obs := e.Reset(cfg.Seed*1_000_003 + episode)
	var ret float64
	var recent []float64
	var qLossSum, aLossSum float64
	updates := 0
	for step := 0; step < cfg.Steps; step++ {
		var a []float64
		if step < cfg.LearningStart {
			a = make([]float64, ad)
			for d := range a {
				a[d] = as.Low[d] + (as.High[d]-as.Low[d])*r.Float64()
			}
		} else {
			out := actor.Forward(obs, 1)
			a = policySample(out, 1).act
		}
		s := e.Step(a)
		copy(bObs[pos*od:], obs)
		copy(bNext[pos*od:], s.Obs)
		for d := range a {
			bAct[pos*ad+d] = float32(a[d])
		}
		bRew[pos] = s.Reward
		bTerm[pos] = 0
		if s.Terminated {
			bTerm[pos] = 1
		}
		pos = (pos + 1) % size
		n = min(n+1, size)
		ret += s.Reward
		obs = s.Obs
		if s.Terminated || s.Truncated {
			recent = append(recent, ret)
			ret = 0
			episode++
			obs = e.Reset(cfg.Seed*1_000_003 + episode)
		}
		if step < cfg.LearningStart {
			continue
		}
		// Sample a batch.
		o, no := make([]float32, B*od), make([]float32, B*od)
		act := make([]float64, B*ad)
		rew, term := make([]float64, B), make([]float64, B)
		for i := 0; i < B; i++ {
			k := r.IntN(n)
			copy(o[i*od:], bObs[k*od:(k+1)*od])
			copy(no[i*od:], bNext[k*od:(k+1)*od])
			for d := 0; d < ad; d++ {
				act[i*ad+d] = float64(bAct[k*ad+d])
			}
			rew[i], term[i] = bRew[k], bTerm[k]
		}
		alpha := math.Exp(logAlpha)
		// Targets.
		ns := policySample(actor.Forward(no, B), B)
		nx := qInput(no, ns.act, B)
		t0 := append([]float32(nil), qt[0].Forward(nx, B)...)
		t1 := qt[1].Forward(nx, B)
		y := make([]float64, B)
		for i := range y {
			y[i] = rew[i] + cfg.Gamma*(1-term[i])*(math.Min(float64(t0[i]), float64(t1[i]))-alpha*ns.logp[i])
		}
		// Critic step.
		x := qInput(o, act, B)
		for _, p := range qParams {
			p.ZeroGrad()
		}
		var ql float64
		for j := range q {
			out := q[j].Forward(x, B)
			d := make([]float32, B)
			for i := range d {
				diff := float64(out[i]) - y[i]
				ql += diff * diff / float64(B)
				d[i] = float32(2 * diff / float64(B))
			}
			q[j].Backward(d, B)
		}
		qOpt.Step(cfg.QLR)
		qLossSum += ql
		// Actor and temperature, every PolicyEvery steps (as many times).
		if step%cfg.PolicyEvery == 0 {
			for rep := 0; rep < cfg.PolicyEvery; rep++ {
				out := actor.Forward(o, B)
				ps := policySample(out, B)
				xa := qInput(o, ps.act, B)
				qa0 := append([]float32(nil), q[0].Forward(xa, B)...)
				qa1 := q[1].Forward(xa, B)
				// dL/da flows through the smaller critic of each row.
				dQ := make([]float64, B*ad)
				var al float64
				for i := 0; i < B; i++ {
					al += (alpha*ps.logp[i] - math.Min(float64(qa0[i]), float64(qa1[i]))) / float64(B)
				}
				for j := range q {
					out := q[j].Forward(xa, B)
					d := make([]float32, B)
					for i := range d {
						other := qa1[i]
						if j == 1 {
							other = qa0[i]
						}
						if (j == 0 && out[i] <= other) || (j == 1 && out[i] < other) {
							d[i] = float32(-1.0 / float64(B))
						}
					}
					dx := q[j].Backward(d, B)
					for i := 0; i < B; i++ {
						for dd := 0; dd < ad; dd++ {
							dQ[i*ad+dd] += float64(dx[i*(od+ad)+od+dd])
						}
					}
				}
				for _, p := range qParams {
					p.ZeroGrad() // the actor step must not move the critics
				}
				// Chain rule to the actor's mean and log-std pre-activations.
				dOut := make([]float32, B*2*ad)
				for i := 0; i < B; i++ {
					for d := 0; d < ad; d++ {
						k := i*ad + d
						t := math.Tanh(ps.u[k])
						// a = scale*tanh(u) + bias, u = mu + std*eps
						da := dQ[k] * scale[d] * (1 - t*t) // dL/du from the Q term
						// logp = -eps^2/2 - log std - log(scale(1 - tanh(u)^2)) + c, with eps fixed
						dlogpdu := 2 * t * scale[d] * (1 - t*t) / (scale[d]*(1-t*t) + 1e-6)
						dU := da + alpha*dlogpdu/float64(B)
						dMu := dU
						// d/d log std: u depends on std (du/dls = std*eps), plus -1 from -log std
						dLs := dU*ps.std[k]*ps.eps[k] + alpha*(-1)/float64(B)
						raw := float64(out[i*2*ad+ad+d])
						dRaw := dLs * 0.5 * (logStdMax - logStdMin) * (1 - math.Tanh(raw)*math.Tanh(raw))
						dOut[i*2*ad+d] = float32(dMu)
						dOut[i*2*ad+ad+d] = float32(dRaw)
					}
				}
				for _, p := range actor.Params() {
					p.ZeroGrad()
				}
				actor.Forward(o, B) // restore the actor's saved activations
				actor.Backward(dOut, B)
				aOpt.Step(cfg.PolicyLR)
				aLossSum += al
				if cfg.Autotune {
					var g float64
					for i := 0; i < B; i++ {
						g += -(ps.logp[i] + targetEnt) / float64(B)
					}
					// Adam on log_alpha (lr = q_lr, as CleanRL).
					mAlpha = 0.9*mAlpha + 0.1*g
					vAlpha = 0.999*vAlpha + 0.001*g*g
					updates++
					mh := mAlpha / (1 - math.Pow(0.9, float64(updates)))
					vh := vAlpha / (1 - math.Pow(0.999, float64(updates)))
					logAlpha -= cfg.QLR * mh / (math.Sqrt(vh) + 1e-8)
					alpha = math.Exp(logAlpha)
				}
			}
		}
		// Polyak averaging of the targets.
		for j := range q {
			src, dst := q[j].Params(), qt[j].Params()
			for pi := range src {
				for k := range src[pi].W {
					dst[pi].W[k] = float32(cfg.Tau)*src[pi].W[k] + float32(1-cfg.Tau)*dst[pi].W[k]
				}
			}
		}
		if (step+1)%1000 == 0 {
			m := meanLast(recent, 10)
			if metrics != nil {
				metrics(map[string]any{"env_steps": step + 1, "episode_return": m, "q_loss": qLossSum / 1000,
					"actor_loss": aLossSum / 1000, "alpha": math.Exp(logAlpha)})
			}
			if log != nil {
				fmt.Fprintf(log, "sac %s step %d  return(last 10) %.1f  alpha %.3f\n", cfg.Env, step+1, m, math.Exp(logAlpha))
			}
			qLossSum, aLossSum = 0, 0
		}
	}
	return &Policy{Actor: actor, Low: as.Low, High: as.High, squash: true, scale: scale, bias: bias}, nil
}

func copyParams(dst, src *nn.MLP) {
	s, d := src.Params(), dst.Params()
	for i := range s {
		copy(d[i].W, s[i].W)
	}
}
