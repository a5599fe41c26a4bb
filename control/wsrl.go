package control

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// WSRL — Warm-Start RL (Zhou et al. 2024, "Efficient online reinforcement
// learning fine-tuning need not retain offline data"; code
// zhouzypaul/wsrl). Three phases:
//
//  1. offline pre-training of a SAC actor, critic ensemble and temperature
//     on a dataset (OfflineSteps gradient steps);
//  2. warm-up: the first Warmup online steps act with the pre-trained
//     stochastic policy a ~ pi(.|s) and only fill a new, empty replay
//     buffer (no updates);
//  3. online SAC on that buffer alone (OfflineRatio 0: no offline data),
//     UTD critic steps per environment step.
//
// Updates start after online step max(Warmup, Batch (1 - OfflineRatio))
// (1-based; wsrlFirstUpdate). Per environment step afterwards, a batch of
// Batch transitions is split into UTD consecutive mini-batches; each gets
// one critic step and a Polyak update (tau), then the actor and the
// temperature take one step on the whole batch:
//
//	y = r + gamma mask (min_{i in S} Q'_i(s', a') [- alpha log pi(a'|s') if BackupEntropy]),  a' ~ pi(s')
//	    S: Subsample indices drawn uniformly with replacement from the K target critics (REDQ)
//	L_Q = mean over the K members and the batch of (Q_i(s, a) - y)^2
//	L_pi = mean(alpha log pi(a|s) - min_{i=1..K} Q_i(s, a)),  a = tanh(mu + sigma eps) (reparameterised)
//	alpha = softplus(rho),  L_alpha = alpha (H - Hbar),  H = -mean log pi(a'|s') over the batch's next states
//
// with mask = 1 - terminated (time-limit truncations bootstrap).
//
// CHOICEs (the card's small-scale analog and where we differ): the
// offline phase is not CQL but SAC with a behaviour-cloning term on the
// actor, L_pi + BCWeight * mean(-log pi(a_data|s)) (this repository's CQL
// does not learn yet, docs/results/control.md; WSRL works with any
// offline method that yields an actor and Q of the online architecture);
// the critics have no LayerNorm; the ensemble is small (Ensemble 2,
// Subsample 2 by default; 10/2 in the paper); Adam for rho; SAC from
// scratch is the same learner with OfflineSteps 0, whose warm-up acts
// uniformly at random (CleanRL's learning_starts) instead of with a
// pre-trained policy. OfflineRatio > 0 is the "retain offline data" arm:
// that fraction of every online batch is drawn from the dataset.
type WSRLConfig struct {
	Env           string  `json:"env"`
	Dataset       string  `json:"dataset"`
	Collect       int     `json:"collect_random,omitempty"` // no dataset: this many random transitions
	Seed          uint64  `json:"seed"`
	OfflineSteps  int     `json:"offline_steps"`
	OnlineSteps   int     `json:"online_steps"`
	Warmup        int     `json:"warmup_steps"`
	UTD           int     `json:"utd"`
	Batch         int     `json:"batch_size"`
	Ensemble      int     `json:"critic_ensemble_size"`
	Subsample     int     `json:"critic_subsample_size"`
	BackupEntropy bool    `json:"backup_entropy"`
	TempInit      float64 `json:"temperature_init"`
	ActorLR       float64 `json:"actor_lr"`
	CriticLR      float64 `json:"critic_lr"`
	TempLR        float64 `json:"temperature_lr"`
	Gamma         float64 `json:"discount"`
	Tau           float64 `json:"tau"`
	BCWeight      float64 `json:"offline_bc_weight"`
	BCQ           float64 `json:"offline_q_alpha"` // lambda = offline_q_alpha / mean|Q| (0: pure BC)
	OfflineLR     float64 `json:"offline_actor_lr"`
	OfflineRatio  float64 `json:"offline_data_ratio"`
	Hidden        []int   `json:"hidden"`
	Buffer        int     `json:"replay_capacity"`
	EvalEvery     int     `json:"eval_every"`
	EvalEpisodes  int     `json:"eval_episodes"`
	// CheckpointEvery is the period of state.gob in online steps (0: none).
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultWSRL returns the card's small-scale Pendulum settings (64-64
// networks, warm-up 1000 ≈ 5% of 20k online steps, UTD 4, batch 256 in
// mini-batches of 64) with the paper's learning rates and temperature.
func DefaultWSRL(datasetPath string) WSRLConfig {
	return WSRLConfig{Dataset: datasetPath, Seed: 1, OfflineSteps: 20000, OnlineSteps: 20000, Warmup: 1000, UTD: 4, Batch: 256,
		Ensemble: 2, Subsample: 2, TempInit: 1, ActorLR: 1e-4, CriticLR: 3e-4, TempLR: 1e-4, Gamma: 0.99, Tau: 0.005,
		BCWeight: 1, BCQ: 2.5, OfflineLR: 1e-3, Hidden: []int{64, 64}, Buffer: 2_000_000, EvalEvery: 1000, EvalEpisodes: 5, CheckpointEvery: 5000}
}

// SmokeWSRL is a tiny run on 1000 random transitions of env.
func SmokeWSRL(envName string) WSRLConfig {
	c := DefaultWSRL("")
	c.Env, c.Collect, c.OfflineSteps, c.OnlineSteps, c.Warmup, c.Batch, c.Hidden = envName, 1000, 100, 600, 200, 32, []int{16, 16}
	c.EvalEvery, c.EvalEpisodes, c.CheckpointEvery = 300, 1, 300
	return c
}

func (c WSRLConfig) validate() error {
	switch {
	case c.UTD < 1 || c.Batch < c.UTD || c.Batch%c.UTD != 0:
		return fmt.Errorf("wsrl: batch_size %d must be a positive multiple of utd %d", c.Batch, c.UTD)
	case c.Ensemble < 1 || c.Subsample < 1:
		return fmt.Errorf("wsrl: critic_ensemble_size %d and critic_subsample_size %d must be positive", c.Ensemble, c.Subsample)
	case c.OfflineRatio < 0 || c.OfflineRatio >= 1:
		return fmt.Errorf("wsrl: offline_data_ratio %v: want [0, 1)", c.OfflineRatio)
	case c.OnlineSteps < 1 || c.OfflineSteps < 0 || c.Warmup < 0:
		return fmt.Errorf("wsrl: online_steps %d, offline_steps %d, warmup_steps %d: want positive, >= 0, >= 0", c.OnlineSteps, c.OfflineSteps, c.Warmup)
	case c.TempInit <= 0:
		return fmt.Errorf("wsrl: temperature_init %v: want > 0", c.TempInit)
	}
	return nil
}

// wsrlFirstUpdate is the 1-based online step of the first update:
// updates start once online_step > max(warmup, batch (1 - ratio)).
func wsrlFirstUpdate(warmup, batch int, ratio float64) int {
	return max(warmup, int(math.Ceil(float64(batch)*(1-ratio)))) + 1
}

// redqTarget is r + gamma mask min_{i in idx} q[i] (REDQ's subsampled
// min over target critics; no entropy term).
func redqTarget(q []float64, idx []int, r, gamma, mask float64) float64 {
	m := math.Inf(1)
	for _, i := range idx {
		m = math.Min(m, q[i])
	}
	return r + gamma*mask*m
}

// redqBackup is redqTarget minus gamma mask alpha log pi(a'|s') when
// backup (the entropy backup of SAC and FastRLAP's sim config).
func redqBackup(q []float64, idx []int, r, gamma, mask, alphaLogp float64, backup bool) float64 {
	y := redqTarget(q, idx, r, gamma, mask)
	if backup {
		y -= gamma * mask * alphaLogp
	}
	return y
}

// softplusTemp is the temperature alpha = softplus(rho) with loss
// L = alpha (H - Hbar), H = -mean logp; it returns L and dL/drho =
// sigmoid(rho) (H - Hbar).
func softplusTemp(rho float64, logp []float64, targetEntropy float64) (loss, grad float64) {
	var h float64
	for _, lp := range logp {
		h -= lp / float64(len(logp))
	}
	alpha := softplus(rho)
	return alpha * (h - targetEntropy), sigmoid(rho) * (h - targetEntropy)
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// qEnsemble is K critics with Polyak targets and one Adam (REDQ style).
type qEnsemble struct {
	net, targ *ensemble
	params    []*nn.Param
	opt       *optim.AdamW
	od, ad, K int
	x         []float32
	d         []float32
}

func newQEnsemble(od, ad, K int, hidden []int, rows int, r *rand.Rand) (*qEnsemble, error) {
	q := &qEnsemble{od: od, ad: ad, K: K}
	var err error
	if q.net, err = newEnsemble("q", K, mlpSizes(od+ad, hidden, 1), rows, r); err != nil {
		return nil, err
	}
	if q.targ, err = newEnsemble("qt", K, mlpSizes(od+ad, hidden, 1), rows, r); err != nil {
		return nil, err
	}
	q.targ.copyFrom(q.net)
	q.params = q.net.params()
	q.opt = optim.NewAdamW(q.params, adam())
	return q, nil
}

func (q *qEnsemble) input(obs []float32, act []float64, rows int) []float32 {
	w := q.od + q.ad
	if len(q.x) < rows*w {
		q.x = make([]float32, rows*w)
	}
	x := q.x[:rows*w]
	for i := 0; i < rows; i++ {
		copy(x[i*w:], obs[i*q.od:(i+1)*q.od])
		for d := 0; d < q.ad; d++ {
			x[i*w+q.od+d] = float32(act[i*q.ad+d])
		}
	}
	return x
}

func (q *qEnsemble) grad(rows int) []float32 {
	if len(q.d) < q.K*rows {
		q.d = make([]float32, q.K*rows)
	}
	d := q.d[:q.K*rows]
	clear(d)
	return d
}

// targets returns the K target critics' values [rows, K] as float64.
func (q *qEnsemble) targets(obs []float32, act []float64, rows int) []float64 {
	out := q.targ.forward(q.input(obs, act, rows), rows, q.K)
	v := make([]float64, len(out))
	for i, o := range out {
		v[i] = float64(o)
	}
	return v
}

// regress takes one Adam step on mean_{i, rows} (Q_i(s,a) - y)^2 and
// returns that loss.
func (q *qEnsemble) regress(obs []float32, act []float64, y []float64, lr float64) float64 {
	B, K := len(y), q.K
	out := q.net.forward(q.input(obs, act, B), B, K)
	d := q.grad(B)
	var l float64
	n := float64(B * K)
	for i := 0; i < B; i++ {
		for k := 0; k < K; k++ {
			diff := float64(out[i*K+k]) - y[i]
			l += diff * diff / n
			d[i*K+k] = float32(2 * diff / n)
		}
	}
	q.net.zeroGrad()
	q.net.backward(d, true, false)
	q.opt.Step(lr)
	return l
}

// actionGrad returns d(-mean_rows agg_i Q_i(s, a))/da with agg the min
// over members (useMin) or their mean, and mean agg Q.
func (q *qEnsemble) actionGrad(obs []float32, act []float64, rows int, useMin bool) ([]float64, float64) {
	K := q.K
	out := q.net.forward(q.input(obs, act, rows), rows, K)
	d := q.grad(rows)
	var mq float64
	for i := 0; i < rows; i++ {
		row := out[i*K : (i+1)*K]
		if useMin {
			sel := 0
			for k := range row {
				if row[k] < row[sel] {
					sel = k
				}
			}
			mq += float64(row[sel]) / float64(rows)
			d[i*K+sel] = float32(-1 / float64(rows))
		} else {
			for k := range row {
				mq += float64(row[k]) / float64(rows*K)
				d[i*K+k] = float32(-1 / float64(rows*K))
			}
		}
	}
	dx := q.net.backward(d, false, true)
	w := q.od + q.ad
	dA := make([]float64, rows*q.ad)
	for i := 0; i < rows; i++ {
		for dd := 0; dd < q.ad; dd++ {
			dA[i*q.ad+dd] = float64(dx[i*w+q.od+dd])
		}
	}
	return dA, mq
}

// redqSAC is the learner of WSRL and FastRLAP: a tanh-Gaussian actor, a
// K-critic ensemble with subsampled-min targets and a softplus
// temperature.
type redqSAC struct {
	actor                      *gaussActor
	q                          *qEnsemble
	box                        boxSpec
	rho, rhoM, rhoV            float64 // softplus temperature and its Adam moments
	rhoT                       int
	targetEntropy              float64
	gamma, tau                 float64
	actorLR, criticLR, tempLR  float64
	utd, subsample             int
	backupEntropy              bool
	actorMin                   bool    // actor loss on min over members (WSRL) or their mean (FastRLAP)
	actorLastOnly              bool    // actor/temperature step on the last mini-batch only (FastRLAP)
	bc, bcQ                    float64 // offline BC weight and the Q term's alpha (lambda = bcQ / mean|Q|)
	r                          *rand.Rand
	qLoss, aLoss, meanQ, alpha float64
	n                          int
	idx                        []int
}

func (s *redqSAC) temp() float64 { return softplus(s.rho) }

// step is one update on b: UTD critic mini-batches with Polyak updates,
// then one actor and one temperature step (on the whole batch, or on the
// last mini-batch). With bc > 0 (offline pre-training) the actor loss
// adds bc * mean(-log pi(a_data|s)).
func (s *redqSAC) step(b batch) {
	B, od, ad := len(b.rew), s.box.od, s.box.ad
	mb := B / s.utd
	alpha := s.temp()
	var nextLogp []float64
	for u := 0; u < s.utd; u++ {
		lo, hi := u*mb, (u+1)*mb
		obs, next := b.obs[lo*od:hi*od], b.next[lo*od:hi*od]
		act := b.act[lo*ad : hi*ad]
		ns := s.actor.sample(next, mb, s.r)
		nextLogp = append(nextLogp, ns.logp...)
		tq := s.q.targets(next, ns.act, mb)
		s.idx = s.idx[:0]
		for j := 0; j < s.subsample; j++ {
			s.idx = append(s.idx, s.r.IntN(s.q.K))
		}
		y := make([]float64, mb)
		for i := range y {
			y[i] = redqBackup(tq[i*s.q.K:(i+1)*s.q.K], s.idx, b.rew[lo+i], s.gamma, b.nd[lo+i], alpha*ns.logp[i], s.backupEntropy)
		}
		s.qLoss += s.q.regress(obs, act, y, s.criticLR)
		s.q.targ.polyakFrom(s.q.net, s.tau)
	}
	lo := 0
	if s.actorLastOnly {
		lo = B - mb
		nextLogp = nextLogp[lo:]
	}
	rows := B - lo
	obs := b.obs[lo*od:]
	ps := s.actor.sample(obs, rows, s.r)
	dQ, mq := s.q.actionGrad(obs, ps.act, rows, s.actorMin)
	var extra []float64
	var lp float64
	for _, v := range ps.logp {
		lp += v / float64(rows)
	}
	aLoss := alpha*lp - mq
	if s.bc > 0 {
		// Offline: the Q term scaled by lambda = 2.5 / mean|Q| (TD3+BC's
		// normalisation), so that BC dominates where Q is unreliable.
		lam := s.bcQ / math.Max(math.Abs(mq), 1)
		for k := range dQ {
			dQ[k] *= lam
		}
		aLoss = alpha*lp - lam*mq
		blp, dlp := s.actor.bcLogProb(ps, b.act[lo*ad:])
		extra = make([]float64, len(dlp))
		for k := range dlp {
			extra[k] = -s.bc * dlp[k] / float64(rows)
		}
		aLoss -= s.bc * mean(blp)
	}
	s.actor.sacStep(ps, dQ, alpha, s.actorLR, extra)
	// Temperature: Adam on rho (no weight decay, the paper's lr).
	_, g := softplusTemp(s.rho, nextLogp, s.targetEntropy)
	s.rhoT++
	s.rhoM = 0.9*s.rhoM + 0.1*g
	s.rhoV = 0.999*s.rhoV + 0.001*g*g
	mh := s.rhoM / (1 - math.Pow(0.9, float64(s.rhoT)))
	vh := s.rhoV / (1 - math.Pow(0.999, float64(s.rhoT)))
	s.rho -= s.tempLR * mh / (math.Sqrt(vh) + 1e-8)
	s.aLoss += aLoss
	s.meanQ += mq
	s.n++
}

func (s *redqSAC) save(st *trainState) {
	st.putParams(s.actor.net.Params())
	st.putParams(s.q.net.params())
	st.putParams(s.q.targ.params())
	st.putAdam("actor", s.actor.opt)
	st.putAdam("critic", s.q.opt)
	st.Floats["rho"], st.Floats["rho.m"], st.Floats["rho.v"] = s.rho, s.rhoM, s.rhoV
	st.Ints["rho.t"], st.Ints["n"] = s.rhoT, s.n
	st.Floats["q_loss"], st.Floats["actor_loss"], st.Floats["mean_q"] = s.qLoss, s.aLoss, s.meanQ
}

func (s *redqSAC) load(st *trainState) error {
	for _, ps := range [][]*nn.Param{s.actor.net.Params(), s.q.net.params(), s.q.targ.params()} {
		if err := st.getParams(ps); err != nil {
			return err
		}
	}
	if err := st.getAdam("actor", s.actor.opt); err != nil {
		return err
	}
	if err := st.getAdam("critic", s.q.opt); err != nil {
		return err
	}
	s.rho, s.rhoM, s.rhoV = st.Floats["rho"], st.Floats["rho.m"], st.Floats["rho.v"]
	s.rhoT, s.n = st.Ints["rho.t"], st.Ints["n"]
	s.qLoss, s.aLoss, s.meanQ = st.Floats["q_loss"], st.Floats["actor_loss"], st.Floats["mean_q"]
	return nil
}

// wsrlAgent drives redqSAC in the online loop, with periodic greedy
// evaluation and, with OfflineRatio > 0, offline rows in every batch.
type wsrlAgent struct {
	*redqSAC
	cfg     WSRLConfig
	envName string
	offline *transitions
	pol     *Policy
}

func (w *wsrlAgent) explore(obs []float32) []float64 { return w.actor.sample(obs, 1, w.r).act }

func (w *wsrlAgent) update(b batch, _ int) {
	if w.offline != nil {
		off := w.offline.sample(w.r, w.cfg.Batch-len(b.rew))
		b = batch{obs: append(b.obs, off.obs...), next: append(b.next, off.next...), act: append(b.act, off.act...),
			rew: append(b.rew, off.rew...), nd: append(b.nd, off.nd...)}
	}
	w.step(b)
}

func (w *wsrlAgent) report(done int, ret float64) (map[string]any, string) {
	n := float64(max(w.n, 1))
	m := map[string]any{"env_steps": done, "episode_return": ret, "q_loss": w.qLoss / n, "actor_loss": w.aLoss / n,
		"mean_q": w.meanQ / n, "alpha": w.temp(), "updates": w.n}
	if w.cfg.EvalEpisodes > 0 {
		rets, _ := w.pol.Evaluate(w.envName, w.cfg.EvalEpisodes, w.cfg.Seed+2_000_000)
		m["eval_return"] = mean(rets)
	}
	ev, _ := m["eval_return"].(float64)
	line := fmt.Sprintf("wsrl %s step %d  return(last 10) %.1f  eval %.1f  mean_q %.2f  alpha %.3f", w.envName, done, ret, ev, w.meanQ/n, w.temp())
	w.qLoss, w.aLoss, w.meanQ, w.n = 0, 0, 0, 0
	return m, line
}

// TrainWSRL runs the three phases (see WSRLConfig) and returns the
// fine-tuned policy. metrics gets one map every EvalEvery online steps
// (with eval_return, the greedy return over EvalEpisodes) and, first, the
// pre-trained policy's ({"env_steps": 0, ...}).
func TrainWSRL(cfg WSRLConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	return trainWSRL(cfg, log, metrics, nil)
}

func trainWSRL(cfg WSRLConfig, log io.Writer, metrics func(map[string]any), ck *ckpt) (*Policy, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	envName := cfg.Env
	var d *dataset.Dataset
	var err error
	if cfg.Dataset != "" {
		if envName, err = offlineEnv(cfg.Dataset, cfg.Env); err != nil {
			return nil, fmt.Errorf("wsrl: %w", err)
		}
	}
	if cfg.OfflineSteps > 0 || cfg.OfflineRatio > 0 {
		if d, err = loadOffline(cfg.Dataset, envName, cfg.Collect, cfg.Seed); err != nil {
			return nil, fmt.Errorf("wsrl: %w", err)
		}
	}
	box, err := boxOf(envName)
	if err != nil {
		return nil, fmt.Errorf("wsrl: %w", err)
	}
	if d != nil {
		if err := checkBox(d, box); err != nil {
			return nil, fmt.Errorf("wsrl: %w", err)
		}
	}
	pcg := rand.NewPCG(cfg.Seed, 0x7773726c)
	r := rand.New(pcg)
	s := &redqSAC{box: box, targetEntropy: -float64(box.ad), gamma: cfg.Gamma, tau: cfg.Tau, actorLR: cfg.ActorLR,
		criticLR: cfg.CriticLR, tempLR: cfg.TempLR, utd: cfg.UTD, subsample: cfg.Subsample, backupEntropy: cfg.BackupEntropy,
		actorMin: true, r: r}
	// rho with softplus(rho) = TempInit.
	s.rho = math.Log(math.Expm1(cfg.TempInit))
	if s.actor, err = newGaussActor(box, cfg.Hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	if s.q, err = newQEnsemble(box.od, box.ad, cfg.Ensemble, cfg.Hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	ag := &wsrlAgent{redqSAC: s, cfg: cfg, envName: envName, pol: s.actor.policy()}
	var off *transitions
	if d != nil {
		off = fromDataset(d, nil)
	}
	resuming := ck != nil && ck.resume != nil
	// Phase 1 (skipped on resume: the checkpoint holds its result).
	if cfg.OfflineSteps > 0 && !resuming {
		s.bc, s.bcQ = cfg.BCWeight, cfg.BCQ
		s.actorLR = cfg.OfflineLR
		for i := 0; i < cfg.OfflineSteps; i++ {
			s.step(off.sample(r, cfg.Batch))
			if log != nil && (i+1)%max(1, cfg.OfflineSteps/5) == 0 {
				fmt.Fprintf(log, "wsrl offline step %d/%d  q_loss %.3f  actor_loss %.3f\n", i+1, cfg.OfflineSteps, s.qLoss/float64(s.n), s.aLoss/float64(s.n))
			}
		}
		s.bc, s.actorLR = 0, cfg.ActorLR
		s.qLoss, s.aLoss, s.meanQ, s.n = 0, 0, 0, 0
	}
	if !resuming && metrics != nil && cfg.EvalEpisodes > 0 {
		rets, _ := ag.pol.Evaluate(envName, cfg.EvalEpisodes, cfg.Seed+2_000_000)
		metrics(map[string]any{"env_steps": 0, "eval_return": mean(rets), "phase": "pretrained"})
	}
	onlineB := cfg.Batch
	if cfg.OfflineRatio > 0 {
		ag.offline = off
		onlineB = int(math.Ceil(float64(cfg.Batch) * (1 - cfg.OfflineRatio)))
	}
	randomUntil := 0
	if cfg.OfflineSteps == 0 {
		randomUntil = cfg.Warmup // from scratch: random warm-up actions
	}
	l := onlineLoop{envName: envName, seed: cfg.Seed, steps: cfg.OnlineSteps, buffer: cfg.Buffer, batch: onlineB,
		randomUntil: randomUntil, updateFrom: wsrlFirstUpdate(cfg.Warmup, cfg.Batch, cfg.OfflineRatio) - 1, utd: 1,
		logEvery: cfg.EvalEvery, pcg: pcg, r: r}
	if err := runOnline(l, ag, ck, log, metrics); err != nil {
		return nil, fmt.Errorf("wsrl: %w", err)
	}
	return ag.pol, nil
}

// RunWSRL trains WSRL into dir like RunSAC.
func RunWSRL(cfg WSRLConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runWSRL(cfg, runOpts{dir: dir}, evalEpisodes, log)
}

func runWSRL(cfg WSRLConfig, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName := cfg.Env
	if cfg.Dataset != "" {
		var err error
		if envName, err = offlineEnv(cfg.Dataset, cfg.Env); err != nil {
			return nil, fmt.Errorf("wsrl: %w", err)
		}
	}
	return runAlgoCk("wsrl", cfg, envName, cfg.Seed, cfg.OnlineSteps, o, cfg.CheckpointEvery, evalEpisodes, func(metrics func(map[string]any), ck *ckpt) (*Policy, error) {
		return trainWSRL(cfg, log, metrics, ck)
	})
}

func init() {
	resumers["wsrl"] = func(raw json.RawMessage, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
		var cfg WSRLConfig
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("wsrl config: %w", err)
		}
		return runWSRL(cfg, o, evalEpisodes, log)
	}
}

// FineTuneAlgos are the online algorithms that start from offline data
// (RunFineTune knows them).
var FineTuneAlgos = []string{"wsrl", "fastrlap"}

// FineTuneOptions are what `control train --algo wsrl` passes: Sets are
// KEY=VALUE overrides of the configuration's JSON fields (e.g.
// warmup_steps=0, offline_data_ratio=0.5).
type FineTuneOptions struct {
	Algo, Env, Dataset string
	Seed               uint64
	Steps              int // online steps (0: default)
	Smoke              bool
	CheckpointEvery    int
	Sets               []string
}

// RunFineTune trains one of FineTuneAlgos into dir.
func RunFineTune(o FineTuneOptions, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	switch o.Algo {
	case "wsrl":
		cfg := DefaultWSRL(o.Dataset)
		if o.Smoke {
			cfg = SmokeWSRL(o.Env)
			cfg.Dataset = o.Dataset
			if o.Dataset != "" {
				cfg.Collect = 0
			}
		}
		if o.Dataset == "" && !o.Smoke {
			cfg.Env = o.Env
		}
		if o.Dataset != "" {
			cfg.Env = ""
		}
		cfg.Seed = o.Seed
		if o.Steps > 0 {
			cfg.OnlineSteps = o.Steps
		}
		if o.CheckpointEvery > 0 {
			cfg.CheckpointEvery = o.CheckpointEvery
		}
		if err := ApplySets(&cfg, o.Sets); err != nil {
			return nil, fmt.Errorf("wsrl: %w", err)
		}
		if cfg.Dataset == "" && cfg.Collect == 0 && cfg.OfflineSteps > 0 {
			return nil, fmt.Errorf("wsrl: offline pre-training needs --dataset FILE (or --smoke, or --set offline_steps=0 for SAC from scratch)")
		}
		return RunWSRL(cfg, dir, evalEpisodes, log)
	case "fastrlap":
		cfg := DefaultFastRLAP()
		if o.Smoke {
			cfg = SmokeFastRLAP()
		}
		switch {
		case o.Env == "Driving-v0" || o.Env == "DrivingCaRL-v0":
			cfg.Env = o.Env
		case !o.Smoke && o.Env != "":
			return nil, fmt.Errorf("fastrlap drives: want --env Driving-v0 or DrivingCaRL-v0, not %s", o.Env)
		} // a smoke run on another environment uses Driving-v0
		cfg.Seed = o.Seed
		if o.Steps > 0 {
			cfg.OnlineSteps = o.Steps
		}
		if o.CheckpointEvery > 0 {
			cfg.CheckpointEvery = o.CheckpointEvery
		}
		if err := ApplySets(&cfg, o.Sets); err != nil {
			return nil, fmt.Errorf("fastrlap: %w", err)
		}
		return RunFastRLAP(cfg, dir, evalEpisodes, log)
	}
	return nil, fmt.Errorf("algo %q: want one of %v", o.Algo, FineTuneAlgos)
}

// ApplySets is ApplySet for KEY=VALUE pairs (a later pair for the same
// key wins).
func ApplySets(cfg any, sets []string) error {
	m := map[string]string{}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--set %q: want KEY=VALUE", kv)
		}
		m[k] = v
	}
	return ApplySet(cfg, m)
}
