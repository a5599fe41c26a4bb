package control

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// ARSQConfig holds ARSQ's hyperparameters (Auto-Regressive Soft
// Q-learning, arXiv 2502.00288; card E4). No ARSQ code was found: the
// coarse-to-fine discretisation is CQN's (younggyoseo/CQN), the
// auto-regressive soft-advantage parameterisation is the card's
// reconstruction, and nearly everything is a CHOICE kept as a knob:
// Levels 3 and Bins 5 (CQN), level-major order, a fixed temperature
// Alpha (0.05 after RewardScale 0.1), scalar MSE instead of C51, n-step
// 1 (CQN: 3), Tau 0.02 (CQN), LR 3e-4 (CQN 1e-4), one update per env
// step (CQN: every 2), 64-64 nets (CQN 512 + LayerNorm), Gaussian
// exploration noise ExplNoise 0.1 on the executed action (CQN), the
// first LearningStart env steps uniformly random, and offline data
// (Dataset) sampled as OfflineRatio of every batch (RLPD-style 0.5; no
// BC term). Autoregressive false is the factorised (CQN-like) ablation:
// a dimension's advantage does not see the bins chosen for earlier
// dimensions at the same level.
type ARSQConfig struct {
	Env            string  `json:"env"`
	Dataset        string  `json:"dataset"`
	Collect        int     `json:"collect_random,omitempty"`
	Seed           uint64  `json:"seed"`
	Steps          int     `json:"steps"` // environment steps
	Buffer         int     `json:"buffer_size"`
	Batch          int     `json:"batch_size"`
	LearningStart  int     `json:"learning_starts"`
	Gamma          float64 `json:"gamma"`
	Tau            float64 `json:"tau"`
	LR             float64 `json:"lr"`
	Levels         int     `json:"levels"`
	Bins           int     `json:"bins"`
	Alpha          float64 `json:"alpha"`
	ExplNoise      float64 `json:"expl_noise"`
	OfflineRatio   float64 `json:"offline_ratio"`
	Autoregressive bool    `json:"autoregressive"`
	RewardScale    float64 `json:"reward_scale"`
	Hidden         []int   `json:"hidden"`
	LogEvery       int     `json:"log_every"`
}

// DefaultARSQ returns the defaults for env with the offline data in
// datasetPath ("" for none).
func DefaultARSQ(envName, datasetPath string) ARSQConfig {
	return ARSQConfig{Env: envName, Dataset: datasetPath, Seed: 1, Steps: 10000, Buffer: 1_000_000, Batch: 256,
		LearningStart: 1000, Gamma: 0.99, Tau: 0.02, LR: 3e-4, Levels: 3, Bins: 5, Alpha: 0.05, ExplNoise: 0.1,
		OfflineRatio: 0.5, Autoregressive: true, RewardScale: 0.1, Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeARSQ is a tiny run with 1000 random offline transitions.
func SmokeARSQ(envName string) ARSQConfig {
	c := DefaultARSQ(envName, "")
	c.Collect, c.Steps, c.LearningStart, c.Batch, c.Hidden, c.LogEvery = 1000, 400, 100, 32, []int{16, 16}, 100
	return c
}

// c2fEncode maps an action a in [-1, 1] to its coarse-to-fine bins (CQN
// encode_action): per level, slice = (high - low)/bins, idx =
// clip(floor((a - low)/slice), 0, bins-1), then low <- max(-1, low +
// slice idx), high <- min(1, low + slice).
func c2fEncode(a float64, levels, bins int) []int {
	lo, hi := -1.0, 1.0
	idx := make([]int, levels)
	for l := range idx {
		slice := (hi - lo) / float64(bins)
		idx[l] = max(0, min(bins-1, int(math.Floor((a-lo)/slice))))
		lo, hi = c2fZoom(lo, hi, idx[l], bins)
	}
	return idx
}

// c2fZoom is the interval of bin idx of [lo, hi].
func c2fZoom(lo, hi float64, idx, bins int) (float64, float64) {
	slice := (hi - lo) / float64(bins)
	nlo := math.Max(-1, lo+slice*float64(idx))
	return nlo, math.Min(1, nlo+slice)
}

// c2fDecode is the centre of the final interval of bins idx.
func c2fDecode(idx []int, bins int) float64 {
	lo, hi := -1.0, 1.0
	for _, b := range idx {
		lo, hi = c2fZoom(lo, hi, b, bins)
	}
	return (lo + hi) / 2
}

// softAdvantage is the normalised soft advantage A(b) = f(b) - alpha
// log sum_b' exp(f(b')/alpha) of one sub-decision's logits f, and its
// policy pi(b) = exp(A(b)/alpha) = softmax(f/alpha)(b).
func softAdvantage(f []float64, alpha float64) (adv, pi []float64) {
	m := math.Inf(-1)
	for _, v := range f {
		m = math.Max(m, v/alpha)
	}
	var s float64
	for _, v := range f {
		s += math.Exp(v/alpha - m)
	}
	lse := alpha * (m + math.Log(s))
	adv, pi = make([]float64, len(f)), make([]float64, len(f))
	for b, v := range f {
		adv[b] = v - lse
		pi[b] = math.Exp(adv[b] / alpha)
	}
	return adv, pi
}

// arsqLoss is the soft Q regression of one row: Q = V + sum_k A_k(b_k),
// L = (Q - y)^2 (the caller averages), with dL/dV = 2 (Q - y) and
// dL/df_k(b) = 2 (Q - y) (1[b = b_k] - pi_k(b)).
func arsqLoss(v float64, f [][]float64, chosen []int, y, alpha float64) (loss, q, dV float64, dF [][]float64) {
	q = v
	pis := make([][]float64, len(f))
	for k := range f {
		adv, pi := softAdvantage(f[k], alpha)
		q += adv[chosen[k]]
		pis[k] = pi
	}
	delta := q - y
	dF = make([][]float64, len(f))
	for k := range f {
		dF[k] = make([]float64, len(f[k]))
		for b := range f[k] {
			ind := 0.0
			if b == chosen[k] {
				ind = 1
			}
			dF[k][b] = 2 * delta * (ind - pis[k][b])
		}
	}
	return delta * delta, q, 2 * delta, dF
}

// arsqNets are the value network V(s) (with a Polyak target) and the
// advantage network f(s, one-hot level, one-hot dim, interval centres of
// all dims, one-hot bins chosen at this level for earlier dims) -> bins
// logits, shared across sub-decisions.
type arsqNets struct {
	v, vt  *nn.MLP
	adv    *nn.MLP
	vOpt   *optim.AdamW
	aOpt   *optim.AdamW
	box    boxSpec
	levels int
	bins   int
	alpha  float64
	ar     bool
}

func (n *arsqNets) inDim() int {
	return n.box.od + n.levels + 2*n.box.ad + n.box.ad*n.bins
}

func newARSQNets(box boxSpec, cfg ARSQConfig, rows int, r *rand.Rand) (*arsqNets, error) {
	n := &arsqNets{box: box, levels: cfg.Levels, bins: cfg.Bins, alpha: cfg.Alpha, ar: cfg.Autoregressive}
	var err error
	if n.v, err = nn.NewMLP("v", mlpSizes(box.od, cfg.Hidden, 1), nn.ReLU, rows, r); err != nil {
		return nil, err
	}
	if n.vt, err = nn.NewMLP("v_target", mlpSizes(box.od, cfg.Hidden, 1), nn.ReLU, rows, r); err != nil {
		return nil, err
	}
	copyParams(n.vt, n.v)
	if n.adv, err = nn.NewMLP("adv", mlpSizes(n.inDim(), cfg.Hidden, cfg.Bins), nn.ReLU, rows*cfg.Levels*box.ad, r); err != nil {
		return nil, err
	}
	n.vOpt, n.aOpt = optim.NewAdamW(n.v.Params(), adam()), optim.NewAdamW(n.adv.Params(), adam())
	return n, nil
}

// input writes sub-decision (l, d)'s advantage input into x.
func (n *arsqNets) input(x []float32, obs []float32, l, d int, lo, hi []float64, chosen []int) {
	clear(x)
	od, ad := n.box.od, n.box.ad
	copy(x, obs)
	x[od+l] = 1
	x[od+n.levels+d] = 1
	for j := 0; j < ad; j++ {
		x[od+n.levels+ad+j] = float32((lo[j] + hi[j]) / 2)
	}
	if n.ar {
		for j := 0; j < d; j++ {
			x[od+n.levels+2*ad+j*n.bins+chosen[j]] = 1
		}
	}
}

// act picks an action for one observation by deciding the sub-decisions
// in level-major order, each from pi_k = softmax(f_k/alpha) (sample) or
// its argmax (greedy), zooming in after each level; the action is the
// final intervals' centres in env units.
func (n *arsqNets) act(obs []float32, greedy bool, r *rand.Rand) []float64 {
	ad := n.box.ad
	lo, hi := make([]float64, ad), make([]float64, ad)
	for j := range lo {
		lo[j], hi[j] = -1, 1
	}
	x := make([]float32, n.inDim())
	chosen := make([]int, ad)
	f := make([]float64, n.bins)
	for l := 0; l < n.levels; l++ {
		for d := 0; d < ad; d++ {
			n.input(x, obs, l, d, lo, hi, chosen)
			out := n.adv.Forward(x, 1)
			for b := range f {
				f[b] = float64(out[b])
			}
			if greedy {
				best := 0
				for b := range f {
					if f[b] > f[best] {
						best = b
					}
				}
				chosen[d] = best
			} else {
				_, pi := softAdvantage(f, n.alpha)
				u, c := r.Float64(), 0.0
				chosen[d] = len(pi) - 1
				for b, p := range pi {
					if c += p; u < c {
						chosen[d] = b
						break
					}
				}
			}
		}
		for d := 0; d < ad; d++ {
			lo[d], hi[d] = c2fZoom(lo[d], hi[d], chosen[d], n.bins)
		}
	}
	a := make([]float64, ad)
	for d := range a {
		a[d] = n.box.bias[d] + n.box.scale[d]*(lo[d]+hi[d])/2
	}
	return a
}

// update is one gradient step on a batch (actions in env units, rewards
// already scaled): with the replay action's bins b_k (teacher forcing),
// y = r + gamma (1 - term) V'(s') and L = mean_i (V(s_i) + sum_k A_k(b_ik) - y_i)^2;
// then V' <- tau V + (1 - tau) V'. It returns L and mean Q.
func (n *arsqNets) update(b batch, gamma, tau, lr float64) (float64, float64) {
	B, ad, L := len(b.rew), n.box.ad, n.levels
	K := L * ad
	in := n.inDim()
	x := make([]float32, B*K*in)
	chosen := make([][]int, B) // [B][K]
	lo, hi := make([]float64, ad), make([]float64, ad)
	cur := make([]int, ad)
	for i := 0; i < B; i++ {
		chosen[i] = make([]int, K)
		bins := make([][]int, ad)
		for d := 0; d < ad; d++ {
			an := math.Max(-1, math.Min(1, (b.act[i*ad+d]-n.box.bias[d])/n.box.scale[d]))
			bins[d] = c2fEncode(an, L, n.bins)
			lo[d], hi[d] = -1, 1
		}
		for l := 0; l < L; l++ {
			for d := 0; d < ad; d++ {
				k := l*ad + d
				n.input(x[(i*K+k)*in:(i*K+k+1)*in], b.obs[i*n.box.od:(i+1)*n.box.od], l, d, lo, hi, cur)
				cur[d] = bins[d][l]
				chosen[i][k] = bins[d][l]
			}
			for d := 0; d < ad; d++ {
				lo[d], hi[d] = c2fZoom(lo[d], hi[d], bins[d][l], n.bins)
			}
		}
	}
	nv := n.vt.Forward(b.next, B)
	y := make([]float64, B)
	for i := range y {
		y[i] = b.rew[i] + gamma*b.nd[i]*float64(nv[i])
	}
	vOut := append([]float32(nil), n.v.Forward(b.obs, B)...)
	fOut := n.adv.Forward(x, B*K)
	dVs := make([]float32, B)
	dFs := make([]float32, B*K*n.bins)
	var loss, meanQ float64
	f := make([][]float64, K)
	for i := 0; i < B; i++ {
		for k := range f {
			f[k] = make([]float64, n.bins)
			for bb := range f[k] {
				f[k][bb] = float64(fOut[(i*K+k)*n.bins+bb])
			}
		}
		l, q, dV, dF := arsqLoss(float64(vOut[i]), f, chosen[i], y[i], n.alpha)
		loss += l / float64(B)
		meanQ += q / float64(B)
		dVs[i] = float32(dV / float64(B))
		for k := range dF {
			for bb, g := range dF[k] {
				dFs[(i*K+k)*n.bins+bb] = float32(g / float64(B))
			}
		}
	}
	for _, p := range append(n.v.Params(), n.adv.Params()...) {
		p.ZeroGrad()
	}
	n.v.Backward(dVs, B)
	n.adv.Backward(dFs, B*K)
	n.vOpt.Step(lr)
	n.aOpt.Step(lr)
	polyak(n.vt, n.v, tau)
	return loss, meanQ
}

// TrainARSQ runs ARSQ online in cfg.Env with the offline transitions of
// cfg.Dataset (if any) in a second buffer: the first LearningStart env
// steps act uniformly at random, later ones sample the auto-regressive
// policy and add ExplNoise (half-ranges) of Gaussian noise; from
// LearningStart on, every env step takes one update on a batch of which
// OfflineRatio comes from the offline data (all of it while the online
// buffer is empty, none without data). Truncations bootstrap.
func TrainARSQ(cfg ARSQConfig, log io.Writer, metrics func(map[string]any)) (*arsqNets, error) {
	box, err := boxOf(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("arsq: %w", err)
	}
	if cfg.Levels < 1 || cfg.Bins < 2 || cfg.Alpha <= 0 || cfg.OfflineRatio < 0 || cfg.OfflineRatio > 1 {
		return nil, fmt.Errorf("arsq: levels %d, bins %d, alpha %v, offline_ratio %v: want >= 1, >= 2, > 0, in [0, 1]",
			cfg.Levels, cfg.Bins, cfg.Alpha, cfg.OfflineRatio)
	}
	var off *transitions
	if cfg.Dataset != "" || cfg.Collect > 0 {
		d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("arsq: %w", err)
		}
		if err := checkBox(d, box); err != nil {
			return nil, fmt.Errorf("arsq: %w", err)
		}
		off = fromDataset(d, nil)
		for i := range off.rew {
			off.rew[i] *= cfg.RewardScale
		}
	}
	e, _ := env.Make(cfg.Env)
	r := rand.New(rand.NewPCG(cfg.Seed, 0x61727371))
	n, err := newARSQNets(box, cfg, cfg.Batch, r)
	if err != nil {
		return nil, err
	}
	buf := newTransitions(max(1, min(cfg.Buffer, cfg.Steps)), box.od, box.ad)
	nOff := 0
	if off != nil {
		nOff = int(math.Round(cfg.OfflineRatio * float64(cfg.Batch)))
	}
	episode := uint64(0)
	obs := e.Reset(cfg.Seed*1_000_003 + episode)
	var ret, lossSum, qSum float64
	var recent []float64
	updates := 0
	for step := 0; step < cfg.Steps; step++ {
		var a []float64
		if step < cfg.LearningStart {
			a = make([]float64, box.ad)
			for d := range a {
				a[d] = box.low[d] + (box.high[d]-box.low[d])*r.Float64()
			}
		} else {
			a = n.act(obs, false, r)
			for d := range a {
				a[d] += cfg.ExplNoise * box.scale[d] * r.NormFloat64()
			}
			box.clip(a)
		}
		s := e.Step(a)
		buf.add(obs, s.Obs, a, s.Reward*cfg.RewardScale, s.Terminated)
		ret += s.Reward
		obs = s.Obs
		if s.Terminated || s.Truncated {
			recent = append(recent, ret)
			ret = 0
			episode++
			obs = e.Reset(cfg.Seed*1_000_003 + episode)
		}
		if step >= cfg.LearningStart {
			k := nOff
			if buf.n == 0 && off != nil {
				k = cfg.Batch
			}
			b := buf.sample(r, cfg.Batch-k)
			if k > 0 {
				b = joinBatches(b, off.sample(r, k))
			}
			l, q := n.update(b, cfg.Gamma, cfg.Tau, cfg.LR)
			lossSum, qSum = lossSum+l, qSum+q
			updates++
			if math.IsNaN(l) {
				return nil, fmt.Errorf("arsq: step %d: the loss is NaN", step+1)
			}
		}
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			m, u := meanLast(recent, 10), float64(max(updates, 1))
			if metrics != nil {
				metrics(map[string]any{"env_steps": step + 1, "episode_return": m, "q_loss": lossSum / u, "mean_q": qSum / u})
			}
			if log != nil {
				fmt.Fprintf(log, "arsq %s step %d  return(last 10) %.1f  loss %.4f  Q %.2f\n", cfg.Env, step+1, m, lossSum/u, qSum/u)
			}
			lossSum, qSum, updates = 0, 0, 0
		}
	}
	return n, nil
}

// joinBatches concatenates two batches' rows.
func joinBatches(a, b batch) batch {
	return batch{obs: append(a.obs, b.obs...), next: append(a.next, b.next...), act: append(a.act, b.act...),
		rew: append(a.rew, b.rew...), nd: append(a.nd, b.nd...)}
}

// RunARSQ trains ARSQ into dir (config.json, metrics.jsonl,
// arsq.safetensors with both networks, summary.json) and evaluates the
// greedy auto-regressive policy. `control eval` does not read ARSQ runs
// (its policy is not a single actor network).
func RunARSQ(cfg ARSQConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := checkpoint.LockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if names, err := checkpoint.DirEntries(dir); err != nil {
		return nil, err
	} else if len(names) > 0 {
		return nil, fmt.Errorf("%s is not empty (it holds %s); a control run needs a new or empty directory", dir, strings.Join(names, ", "))
	}
	start := time.Now()
	cj, _ := json.MarshalIndent(map[string]any{"algo": "arsq", "arsq": cfg}, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(dir, "config.json"), cj); err != nil {
		return nil, err
	}
	mf, err := os.Create(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	enc := json.NewEncoder(mf)
	n, err := TrainARSQ(cfg, log, func(m map[string]any) { enc.Encode(m) })
	if err != nil {
		return nil, err
	}
	var ts []checkpoint.Tensor
	for _, p := range append(n.v.Params(), n.adv.Params()...) {
		ts = append(ts, checkpoint.Tensor{Name: p.Name, Shape: p.Shape, Data: p.W})
	}
	meta := map[string]string{"env": cfg.Env, "levels": strconv.Itoa(cfg.Levels), "bins": strconv.Itoa(cfg.Bins),
		"autoregressive": strconv.FormatBool(cfg.Autoregressive)}
	if err := checkpoint.WriteSafetensors(filepath.Join(dir, "arsq.safetensors"), ts, meta); err != nil {
		return nil, err
	}
	rets, err := evalPolicy(cfg.Env, func(o []float32) []float64 { return n.act(o, true, nil) }, evalEpisodes, cfg.Seed+1_000_000)
	if err != nil {
		return nil, err
	}
	s := &Summary{Algo: "arsq", Env: cfg.Env, Seed: cfg.Seed, Steps: cfg.Steps, FinalReturn: mean(rets), EvalReturns: rets,
		WallSeconds: time.Since(start).Seconds()}
	sj, _ := json.MarshalIndent(s, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(dir, "summary.json"), append(sj, '\n')); err != nil {
		return nil, err
	}
	return s, nil
}
