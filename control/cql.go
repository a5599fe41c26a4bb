package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// CQLConfig holds CQL's hyperparameters (Kumar et al. 2020, CQL(H)
// without the Lagrange variant, SAC-based; the authors' code and CORL
// cql.py: min_q_weight 5, 10 sampled actions of each kind, temperature
// 1, policy lr 3e-5, Q lr 3e-4, automatic entropy temperature, no
// entropy term in the backup). Steps and Hidden are the card's
// small-scale choice. For the first BCSteps steps (the authors'
// policy_eval_start, CORL's bc_steps; here 10% of Steps, a CHOICE) the
// actor loss is mean(alpha log pi(a~|s) - log pi(a_data|s)).
// Dataset/Collect as TD3BCConfig.
type CQLConfig struct {
	Env           string  `json:"env"`
	Dataset       string  `json:"dataset"`
	Collect       int     `json:"collect_random,omitempty"`
	Seed          uint64  `json:"seed"`
	Steps         int     `json:"steps"`
	Batch         int     `json:"batch_size"`
	Gamma         float64 `json:"gamma"`
	Tau           float64 `json:"tau"`
	PolicyLR      float64 `json:"policy_lr"`
	QLR           float64 `json:"q_lr"`
	Autotune      bool    `json:"autotune"`
	Alpha         float64 `json:"alpha"`
	MinQWeight    float64 `json:"min_q_weight"`
	NumActions    int     `json:"num_actions"`
	Temp          float64 `json:"temperature"`
	BackupEntropy bool    `json:"backup_entropy"`
	BCSteps       int     `json:"bc_steps"`
	Normalize     bool    `json:"normalize"`
	Hidden        []int   `json:"hidden"`
	LogEvery      int     `json:"log_every"`
}

// DefaultCQL returns the defaults for a dataset file.
func DefaultCQL(datasetPath string) CQLConfig {
	return CQLConfig{Dataset: datasetPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005, PolicyLR: 3e-5,
		QLR: 3e-4, BCSteps: 5000, Autotune: true, Alpha: 1, MinQWeight: 5, NumActions: 10, Temp: 1, Normalize: false,
		Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeCQL is a tiny run on 1000 random transitions of env.
func SmokeCQL(envName string) CQLConfig {
	c := DefaultCQL("")
	c.Env, c.Collect, c.Steps, c.Batch, c.NumActions, c.Hidden, c.LogEvery = envName, 1000, 200, 32, 2, []int{16, 16}, 100
	c.PolicyLR, c.BCSteps = 3e-4, 50
	return c
}

// cqlPenalty is the conservative term for B rows, each with K values
// c_ik = (Q(s_i, a_k) - log mu(a_k))/T over sampled actions (uniform,
// pi(s), pi(s'); density-corrected):
//
//	P = w (mean_i T logsumexp_k c_ik - mean_i Q(s_i, a_i)),
//
// and dP/dQ(s_i, a_k) = w softmax_k(c_i)/B (dC), dP/dQ(s_i,a_i) = -w/B.
func cqlPenalty(qData []float64, c [][]float64, w, temp float64) (p float64, dData []float64, dC [][]float64) {
	B := len(qData)
	dData = make([]float64, B)
	dC = make([][]float64, B)
	for i := range qData {
		m := math.Inf(-1)
		for _, v := range c[i] {
			m = math.Max(m, v)
		}
		var s float64
		for _, v := range c[i] {
			s += math.Exp(v - m)
		}
		lse := m + math.Log(s)
		p += w * (temp*lse - qData[i]) / float64(B)
		dData[i] = -w / float64(B)
		dC[i] = make([]float64, len(c[i]))
		for k, v := range c[i] {
			dC[i][k] = w * math.Exp(v-m) / s / float64(B)
		}
	}
	return p, dData, dC
}

// TrainCQL runs conservative Q-learning (SAC with the CQL(H) penalty) on
// a fixed dataset:
//
//	y = r + gamma (1 - term) (min_j Q'_j(s', a') [- alpha log pi(a'|s')]),  a' ~ pi(s')
//	L_Q = sum_j [ mean (Q_j(s,a) - y)^2 + w (mean_i T logsumexp_k ((Q_j(s_i, a_k) - log mu(a_k))/T) - mean_i Q_j(s_i, a_i)) ]
//
// over N uniform actions (log mu = -sum_d log(high_d - low_d)), N from
// pi(.|s) and N from pi(.|s') (log mu = their log-probabilities, held
// constant), all evaluated at s; the actor and temperature are SAC's:
// L_pi = mean (alpha log pi(a|s) - min_j Q_j(s, a)).
func TrainCQL(cfg CQLConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("cql: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, fmt.Errorf("cql: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, fmt.Errorf("cql: %w", err)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	r := rand.New(rand.NewPCG(cfg.Seed, 0x63716c))
	B, od, ad, N := cfg.Batch, box.od, box.ad, cfg.NumActions
	K := 3 * N
	rows := B * (1 + K)
	critic, err := newTwinQ(od, ad, cfg.Hidden, rows, r)
	if err != nil {
		return nil, err
	}
	actor, err := newGaussActor(box, cfg.Hidden, B*N, r)
	if err != nil {
		return nil, err
	}
	temp := &temperature{logAlpha: math.Log(cfg.Alpha), target: -float64(ad), auto: cfg.Autotune}
	var logUniform float64
	for dd := 0; dd < ad; dd++ {
		logUniform -= math.Log(box.high[dd] - box.low[dd])
	}
	repeat := func(x []float32, n int) []float32 { // each row n times, row-major
		out := make([]float32, 0, len(x)*n)
		for i := 0; i < len(x)/od; i++ {
			for j := 0; j < n; j++ {
				out = append(out, x[i*od:(i+1)*od]...)
			}
		}
		return out
	}
	var tdSum, penSum, aSum, qDataSum, qPiSum float64
	for step := 0; step < cfg.Steps; step++ {
		b := data.sample(r, B)
		alpha := temp.alpha()
		ns := actor.sample(b.next, B, r)
		tq := critic.targetMin(b.next, ns.act, B)
		y := make([]float64, B)
		for i := range y {
			v := tq[i]
			if cfg.BackupEntropy {
				v -= alpha * ns.logp[i]
			}
			y[i] = b.rew[i] + cfg.Gamma*b.nd[i]*v
		}
		// Sampled actions: rows i*N+n of each block.
		obsN, nextN := repeat(b.obs, N), repeat(b.next, N)
		cur := actor.sample(obsN, B*N, r)
		nxt := actor.sample(nextN, B*N, r)
		uni := make([]float64, B*N*ad)
		for k := range uni {
			dd := k % ad
			uni[k] = box.low[dd] + (box.high[dd]-box.low[dd])*r.Float64()
		}
		// One critic input: data rows, then uniform, pi(s), pi(s') blocks, all at s.
		x := qIn(b.obs, b.act, B, od, ad)
		for _, blk := range [][]float64{uni, cur.act, nxt.act} {
			x = append(x, qIn(obsN, blk, B*N, od, ad)...)
		}
		logMu := func(blk, i, n int) float64 {
			switch blk {
			case 0:
				return logUniform
			case 1:
				return cur.logp[i*N+n]
			}
			return nxt.logp[i*N+n]
		}
		for _, p := range critic.params {
			p.ZeroGrad()
		}
		var td, pen, qDataMean float64
		for j := range critic.q {
			out := critic.q[j].Forward(x, rows)
			qd := make([]float64, B)
			c := make([][]float64, B)
			for i := 0; i < B; i++ {
				qd[i] = float64(out[i])
				qDataMean += qd[i] / float64(2*B)
				c[i] = make([]float64, K)
				for blk := 0; blk < 3; blk++ {
					for n := 0; n < N; n++ {
						c[i][blk*N+n] = (float64(out[B+blk*B*N+i*N+n]) - logMu(blk, i, n)) / cfg.Temp
					}
				}
			}
			p, dData, dC := cqlPenalty(qd, c, cfg.MinQWeight, cfg.Temp)
			pen += p
			g := make([]float32, rows)
			for i := 0; i < B; i++ {
				diff := qd[i] - y[i]
				td += diff * diff / float64(B)
				g[i] = float32(2*diff/float64(B) + dData[i])
				for blk := 0; blk < 3; blk++ {
					for n := 0; n < N; n++ {
						// d(T lse)/dQ = softmax (the 1/T and T cancel).
						g[B+blk*B*N+i*N+n] = float32(dC[i][blk*N+n])
					}
				}
			}
			critic.q[j].Backward(g, rows)
		}
		critic.opt.Step(cfg.QLR)
		// SAC actor and temperature on the updated critics.
		ps := actor.sample(b.obs, B, r)
		dQ, mq := critic.actionGrad(b.obs, ps.act, B, true, 1)
		var al float64
		for i := range ps.logp {
			al += alpha * ps.logp[i] / float64(B)
		}
		var extra []float64
		if step < cfg.BCSteps {
			// BC warm-up: -log pi(a_data|s) replaces -Q.
			lp, dlp := actor.bcLogProb(ps, b.act)
			extra = make([]float64, len(dlp))
			for k := range dlp {
				extra[k] = -dlp[k] / float64(B)
			}
			clear(dQ)
			mq = mean(lp)
		}
		actor.sacStep(ps, dQ, alpha, cfg.PolicyLR, extra)
		temp.update(ps.logp, cfg.PolicyLR)
		critic.polyak(cfg.Tau)
		tdSum, penSum, aSum, qDataSum, qPiSum = tdSum+td, penSum+pen, aSum+al-mq, qDataSum+qDataMean, qPiSum+mq
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			n := float64(cfg.LogEvery)
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "q_loss": tdSum / n, "cql_penalty": penSum / n,
					"actor_loss": aSum / n, "alpha": temp.alpha(), "q_data": qDataSum / n, "q_pi": qPiSum / n})
			}
			if log != nil {
				fmt.Fprintf(log, "cql %s step %d  td %.4f  penalty %.4f  actor_loss %.4f  alpha %.3f  Q(s,a) %.2f  Q(s,pi) %.2f\n",
					d.Env, step+1, tdSum/n, penSum/n, aSum/n, temp.alpha(), qDataSum/n, qPiSum/n)
			}
			tdSum, penSum, aSum, qDataSum, qPiSum = 0, 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(actor.net)
	}
	return actor.policy(), nil
}

// RunCQL trains CQL into dir like RunSAC.
func RunCQL(cfg CQLConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("cql", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainCQL(cfg, log, metrics)
	})
}
