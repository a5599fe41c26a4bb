package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// FDVLConfig holds f-DVL's hyperparameters (Sikchi, Zheng, Zhang &
// Niekum 2023, "Dual RL: Unification and New Methods for Reinforcement
// and Imitation Learning", hari-sikchi/DVL offline/; card E2). F is the
// conjugate of the value loss: "chi-square" (default, the README's
// MuJoCo command), "total-variation" or "reverse-kl" (XQL's Gumbel
// loss). Temp is lambda (the code's --temp; 1 in the MuJoCo command; for
// reverse-kl a temperature; default 0.9, CHOICE: at 1 chi-square has no
// term pushing V down and V drifted up on Pendulum, see
// docs/results/control-2.md), MaxClip clips x/lambda in the Gumbel loss
// (5 in every README command), RandomTimes appends that many copies of
// the batch's states with uniform actions to V's batch
// (sample_random_times 1), AWRTemp is the policy-extraction beta (3,
// MuJoCo), MaxWeight clips the AWR weights (100), HuberDelta the Q
// loss's Huber threshold (20). CHOICEs: Steps 50000, Batch 256 (code
// 1024) and 64-64 nets (code 256-256) are the card's small-scale
// analog; the code's LayerNorm on V and cosine actor-lr decay are not
// used (nn.MLP has no LayerNorm); RewardScale multiplies rewards (the
// code's MuJoCo preprocessing 1000/(R_max - R_min) is one such scale).
// Dataset/Collect as TD3BCConfig.
type FDVLConfig struct {
	Env         string  `json:"env"`
	Dataset     string  `json:"dataset"`
	Collect     int     `json:"collect_random,omitempty"`
	Seed        uint64  `json:"seed"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch_size"`
	Gamma       float64 `json:"gamma"`
	Tau         float64 `json:"tau"`
	F           string  `json:"f"`
	Temp        float64 `json:"temp"`
	MaxClip     float64 `json:"max_clip"`
	RandomTimes int     `json:"sample_random_times"`
	AWRTemp     float64 `json:"awr_temperature"`
	MaxWeight   float64 `json:"awr_weight_clip"`
	HuberDelta  float64 `json:"huber_delta"`
	LR          float64 `json:"lr"`
	Normalize   bool    `json:"normalize"`
	RewardScale float64 `json:"reward_scale"`
	Hidden      []int   `json:"hidden"`
	LogEvery    int     `json:"log_every"`
}

// DefaultFDVL returns the defaults for a dataset file.
func DefaultFDVL(datasetPath string) FDVLConfig {
	return FDVLConfig{Dataset: datasetPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005, F: "chi-square",
		Temp: 0.9, MaxClip: 5, RandomTimes: 1, AWRTemp: 3, MaxWeight: 100, HuberDelta: 20, LR: 3e-4, Normalize: true,
		RewardScale: 1, Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeFDVL is a tiny run on 1000 random transitions of env.
func SmokeFDVL(envName string) FDVLConfig {
	c := DefaultFDVL("")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// dvlValueLoss is the dual value loss over residuals x = Q'(s,a) - V(s),
// L = mean_i l(x_i), and dL/dV_i = -l'(x_i)/n:
//
//	chi-square:      l(x) = lambda max(x + x^2/4, 0) - (1 - lambda) x
//	total-variation: l(x) = lambda max(x, 0) - (1 - lambda) x
//	reverse-kl:      z = min(x/lambda, maxClip), m = max(max_i z_i, -1) (held constant),
//	                 l = exp(z - m) - z exp(-m) - exp(-m)
//
// (the -(1 - lambda) x term is the dual's "push V down" part; with
// lambda = 1 chi-square only keeps V in [q, q + 4] for every sampled
// action).
func dvlValueLoss(f string, x []float64, lambda, maxClip float64) (float64, []float64, error) {
	n := float64(len(x))
	l, dV := 0.0, make([]float64, len(x))
	switch f {
	case "chi-square":
		for i, v := range x {
			g := -(1 - lambda)
			if v+v*v/4 > 0 {
				l += lambda * (v + v*v/4)
				g += lambda * (1 + v/2)
			}
			l -= (1 - lambda) * v
			dV[i] = -g / n
		}
	case "total-variation":
		for i, v := range x {
			g := -(1 - lambda)
			if v > 0 {
				l += lambda * v
				g += lambda
			}
			l -= (1 - lambda) * v
			dV[i] = -g / n
		}
	case "reverse-kl":
		z := make([]float64, len(x))
		m := math.Inf(-1)
		for i, v := range x {
			z[i] = math.Min(v/lambda, maxClip)
			m = math.Max(m, z[i])
		}
		m = math.Max(m, -1)
		em := math.Exp(-m)
		for i, v := range z {
			l += math.Exp(v-m) - v*em - em
			if x[i]/lambda < maxClip {
				dV[i] = -(math.Exp(v-m) - em) / lambda / n
			}
		}
	default:
		return 0, nil, fmt.Errorf("f %q: want chi-square, total-variation or reverse-kl", f)
	}
	return l / n, dV, nil
}

// huber is H(x) = x^2/2 for |x| <= delta, delta (|x| - delta) + delta^2/2
// beyond, and H'(x) = clip(x, -delta, delta).
func huber(x, delta float64) (float64, float64) {
	if math.Abs(x) <= delta {
		return x * x / 2, x
	}
	return delta*(math.Abs(x)-delta) + delta*delta/2, math.Copysign(delta, x)
}

// awrWeights are min(exp(beta u_i), maxW).
func awrWeights(u []float64, beta, maxW float64) []float64 {
	w := make([]float64, len(u))
	for i, v := range u {
		w[i] = math.Min(math.Exp(beta*v), maxW)
	}
	return w
}

// dvlNets are the networks of f-DVL and ReCOIL: twin critics with
// targets, a value network, and IQL's Gaussian actor (mean tanh(mu(s))
// in [-1, 1] units, state-independent log std).
type dvlNets struct {
	critic      *twinQ
	v           *nn.MLP
	vOpt        *optim.AdamW
	actor       *nn.MLP
	logStd      *nn.Param
	aOpt        *optim.AdamW
	box         boxSpec
	vRows, rows int
}

func newDVLNets(box boxSpec, hidden []int, rows, vRows int, r *rand.Rand) (*dvlNets, error) {
	n := &dvlNets{box: box, rows: rows, vRows: vRows}
	var err error
	if n.critic, err = newTwinQ(box.od, box.ad, hidden, max(rows, vRows), r); err != nil {
		return nil, err
	}
	if n.v, err = nn.NewMLP("v", mlpSizes(box.od, hidden, 1), nn.ReLU, max(rows, vRows), r); err != nil {
		return nil, err
	}
	n.vOpt = optim.NewAdamW(n.v.Params(), adam())
	if n.actor, err = nn.NewMLP("actor", mlpSizes(box.od, hidden, box.ad), nn.ReLU, rows, r); err != nil {
		return nil, err
	}
	n.logStd = nn.NewParam("actor.log_std", box.ad)
	n.aOpt = optim.NewAdamW(append(n.actor.Params(), n.logStd), adam())
	return n, nil
}

// vStep takes one Adam step on V with the gradient dV [rows] of the
// rows of obs (their forward is redone here).
func (n *dvlNets) vStep(obs []float32, dV []float64, lr float64) {
	rows := len(dV)
	n.v.Forward(obs, rows)
	d := make([]float32, rows)
	for i := range d {
		d[i] = float32(dV[i])
	}
	for _, p := range n.v.Params() {
		p.ZeroGrad()
	}
	n.v.Backward(d, rows)
	n.vOpt.Step(lr)
}

// values is V(obs) for rows (a copy).
func (n *dvlNets) values(obs []float32, rows int) []float64 {
	out := n.v.Forward(obs, rows)
	v := make([]float64, rows)
	for i := range v {
		v[i] = float64(out[i])
	}
	return v
}

// awrStep takes one actor step on L = -mean_i w_i log pi(a_i|s_i), w =
// awrWeights(u), for rows of obs and env-unit actions act; it returns L
// and the weights.
func (n *dvlNets) awrStep(obs []float32, act []float64, u []float64, beta, maxW, lr float64) (float64, []float64) {
	rows, ad := len(u), n.box.ad
	an := make([]float64, rows*ad)
	for k := range an {
		d := k % ad
		an[k] = math.Max(-1, math.Min(1, (act[k]-n.box.bias[d])/n.box.scale[d]))
	}
	out := n.actor.Forward(obs, rows)
	logp, dMu, dLs := gaussLogProb(out, n.logStd.W, an, rows, ad)
	l, w := iqlActorLoss(u, logp, beta, maxW)
	for _, p := range n.actor.Params() {
		p.ZeroGrad()
	}
	n.logStd.ZeroGrad()
	dOut := make([]float32, len(dMu))
	for k := range dMu {
		dOut[k] = float32(-w[k/ad] * dMu[k] / float64(rows))
		n.logStd.G[k%ad] += float32(-w[k/ad] * dLs[k] / float64(rows))
	}
	n.actor.Backward(dOut, rows)
	n.aOpt.Step(lr)
	return l, w
}

// huberRegress takes one Adam step on sum_j mean_i c_i H(Q_j(s_i,a_i) - y_i)
// (c nil: all 1; delta <= 0: squared error x^2/2) and returns the loss.
func (n *dvlNets) huberRegress(obs []float32, act []float64, y, c []float64, delta, lr float64) float64 {
	t := n.critic
	B := len(y)
	x := qIn(obs, act, B, t.od, t.ad)
	for _, p := range t.params {
		p.ZeroGrad()
	}
	var l float64
	for j := range t.q {
		out := t.q[j].Forward(x, B)
		d := make([]float32, B)
		for i := range d {
			w := 1.0
			if c != nil {
				w = c[i]
			}
			e := float64(out[i]) - y[i]
			h, g := e*e/2, e
			if delta > 0 {
				h, g = huber(e, delta)
			}
			l += w * h / float64(B)
			d[i] = float32(w * g / float64(B))
		}
		t.q[j].Backward(d, B)
	}
	t.opt.Step(lr)
	return l
}

func (n *dvlNets) policy() *Policy {
	return &Policy{Actor: n.actor, Low: n.box.low, High: n.box.high, squash: true, scale: n.box.scale, bias: n.box.bias}
}

// withRandomActions returns the batch's states repeated 1 + times and
// its actions followed by times blocks of uniform actions in the box.
func withRandomActions(b batch, times int, box boxSpec, r *rand.Rand) ([]float32, []float64) {
	obs, act := append([]float32(nil), b.obs...), append([]float64(nil), b.act...)
	for t := 0; t < times; t++ {
		obs = append(obs, b.obs...)
		for k := range b.act {
			d := k % box.ad
			act = append(act, box.bias[d]+box.scale[d]*(2*r.Float64()-1))
		}
	}
	return obs, act
}

// TrainFDVL runs f-DVL on a fixed dataset; one gradient step, in the
// code's order:
//
//	V:  x = min_j Q'_j(s, a) - V(s) over the batch plus RandomTimes copies with a ~ U(box),  L_V = dvlValueLoss
//	pi: L_pi = -mean min(exp(beta (min_j Q'_j(s,a) - V(s))), 100) log pi(a|s)   (with the new V)
//	Q:  y = r + gamma (1 - term) V(s'),  L_Q = sum_j mean H_20(Q_j(s,a) - y)       (with the new V)
//	Q' <- tau Q + (1 - tau) Q'
//
// States are normalised by the dataset statistics, folded into the
// returned actor (its greedy action is the mean).
func TrainFDVL(cfg FDVLConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("fdvl: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, fmt.Errorf("fdvl: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, fmt.Errorf("fdvl: %w", err)
	}
	if _, _, err := dvlValueLoss(cfg.F, nil, cfg.Temp, cfg.MaxClip); err != nil {
		return nil, fmt.Errorf("fdvl: %w", err)
	}
	if cfg.RandomTimes < 0 || cfg.Temp <= 0 {
		return nil, fmt.Errorf("fdvl: sample_random_times %d, temp %v: want >= 0 and > 0", cfg.RandomTimes, cfg.Temp)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	for i := range data.rew {
		data.rew[i] *= cfg.RewardScale
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6664766c))
	B := cfg.Batch
	vRows := B * (1 + cfg.RandomTimes)
	n, err := newDVLNets(box, cfg.Hidden, B, vRows, r)
	if err != nil {
		return nil, err
	}
	var vSum, qSum, aSum, wSum, vMean, qMax float64
	for step := 0; step < cfg.Steps; step++ {
		b := data.sample(r, B)
		vObs, vAct := withRandomActions(b, cfg.RandomTimes, box, r)
		tq := n.critic.targetMin(vObs, vAct, vRows)
		v := n.values(vObs, vRows)
		x := make([]float64, vRows)
		for i := range x {
			x[i] = tq[i] - v[i]
			qMax = math.Max(qMax, math.Abs(tq[i]))
		}
		vl, dV, _ := dvlValueLoss(cfg.F, x, cfg.Temp, cfg.MaxClip)
		n.vStep(vObs, dV, cfg.LR)
		vNew := n.values(b.obs, B)
		u := make([]float64, B)
		for i := range u {
			u[i] = tq[i] - vNew[i]
		}
		al, w := n.awrStep(b.obs, b.act, u, cfg.AWRTemp, cfg.MaxWeight, cfg.LR)
		nv := n.values(b.next, B)
		y := make([]float64, B)
		for i := range y {
			y[i] = b.rew[i] + cfg.Gamma*b.nd[i]*nv[i]
		}
		ql := n.huberRegress(b.obs, b.act, y, nil, cfg.HuberDelta, cfg.LR)
		n.critic.polyak(cfg.Tau)
		vSum, qSum, aSum = vSum+vl, qSum+ql, aSum+al
		for i := range w {
			wSum += w[i] / float64(B)
			vMean += vNew[i] / float64(B)
		}
		if math.IsNaN(vl) || math.IsNaN(ql) {
			return nil, fmt.Errorf("fdvl: step %d: the value or Q loss is NaN (diverged)", step+1)
		}
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			k := float64(cfg.LogEvery)
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "v_loss": vSum / k, "q_loss": qSum / k, "actor_loss": aSum / k,
					"v": vMean / k, "mean_weight": wSum / k, "max_abs_target_q": qMax})
			}
			if log != nil {
				fmt.Fprintf(log, "fdvl %s step %d  v_loss %.4f  q_loss %.4f  actor_loss %.4f  V %.2f  mean weight %.2f  max|Q'| %.1f\n",
					d.Env, step+1, vSum/k, qSum/k, aSum/k, vMean/k, wSum/k, qMax)
			}
			vSum, qSum, aSum, wSum, vMean, qMax = 0, 0, 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(n.actor)
	}
	return n.policy(), nil
}

// RunFDVL trains f-DVL into dir like RunSAC.
func RunFDVL(cfg FDVLConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("fdvl", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainFDVL(cfg, log, metrics)
	})
}
