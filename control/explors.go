package control

// Reward design for RL agents (card B17; Devidze 2025, arXiv 2503.21949,
// and the NeurIPS 2022 exploration-guided reward shaping code,
// machine-teaching-group/neurips2022_exploration-guided-reward-shaping):
// a sparse-reward tabular task learned by REINFORCE under four rewards.
//
//   - none: the original reward r̄ (1 on reaching the goal, else 0).
//   - bonus: r̄ + b(s'), the count bonus alone.
//   - explors (agent-driven, ExploRS, card B17 C, from the code):
//     r̂(s, a, s') = r̄(s, a) + φ(s, a) + b(s'), with the exploration bonus
//     b(s') = λ / sqrt((λ / B_max)² + N(s')), N(s') the steps taken so far
//     from s' (counted before this step's update; b = 0 at the goal), and
//     φ learned online to raise the *original* return: after each episode,
//     for each visited (s, a) with Ḡ its original-reward return and V a
//     critic of that return,
//     φ(s, ·) += η_φ π(a|s) (Ḡ − V(s)) (e_a − π(·|s)),
//     V(s) += η_V (Ḡ − V(s)), φ optionally clipped to ±ε.
//   - exprd (teacher-driven, EXPRD, card B17 A; its formulas are
//     secondary, CHOICE): a teacher that knows the target policy π* designs
//     R̂ non-zero only on a budget of B states, bounded |R̂| ≤ R_max, and
//     invariant — π* stays optimal with margin δ:
//     Q^{π*}_{R̂}(s, π*(s)) ≥ Q^{π*}_{R̂}(s, a) + δ for every s and a ≠ π*(s),
//     maximising the informativeness Σ_s [Q_h(s, π*(s)) − mean_{a≠π*} Q_h(s, a)]
//     (Q_h: the h-step lookahead of π* under R̂; CHOICE). The support is
//     chosen greedily (add the state whose LP optimum is highest); each LP
//     is solved by gonum's simplex. The learner trains on R̂ alone.
//
// The task (CHOICE, a classic hard-exploration MDP the thesis's tabular
// experiments resemble): a combination-lock chain of N states and A
// actions; in state s one action (fixed per seed) moves to s + 1, every
// other one back to state 0; reaching state N ends the episode with reward
// 1; an episode lasts at most H steps. A random policy opens the lock with
// probability about A^−N per attempt.
//
// The learner (CHOICE, the code's "REINFORCE" agent): a tabular softmax
// policy, θ(s, ·) += lr · (G_t − b(s_t)) · (e_{a_t} − π(·|s_t)) for every
// step of an episode, G_t the return of the reward it trains on (γ) and
// b a per-state running mean of it (Baseline; b = 0 without).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// LockChain is the combination-lock chain.
type LockChain struct {
	N, A, H int
	Key     []int // the action that opens each state
}

// NewLockChain draws the key from seed.
func NewLockChain(n, a, h int, seed uint64) (*LockChain, error) {
	if n < 1 || a < 2 || h < n {
		return nil, fmt.Errorf("lock chain: need N >= 1, A >= 2, H >= N (got %d, %d, %d)", n, a, h)
	}
	r := rand.New(rand.NewPCG(seed, 0x6c6f636b))
	key := make([]int, n)
	for i := range key {
		key[i] = r.IntN(a)
	}
	return &LockChain{N: n, A: a, H: h, Key: key}, nil
}

// Step moves from s with action a.
func (c *LockChain) Step(s, a int) (next int, reward float64, done bool) {
	if a != c.Key[s] {
		return 0, 0, false
	}
	if s+1 == c.N {
		return c.N, 1, true
	}
	return s + 1, 0, false
}

// ExploRSConfig holds the knobs (card B17 defaults from the code).
type ExploRSConfig struct {
	Mode      string  // none, bonus, explors or exprd
	Lambda    float64 // λ (1)
	BMax      float64 // B_max (1)
	EtaPhi    float64 // η_φ (0.01)
	EtaV      float64 // η_V (0.01)
	PhiClip   float64 // ε; 0: no clipping
	LR        float64 // learner step size (0.1)
	Gamma     float64 // discount (0.99)
	Episodes  int     // training episodes
	Delta     float64 // exprd: invariance margin δ (0.001: at γ 0.99 the start state of a 10-lock chain sees value gaps of order γ^N (1 − γ))
	RMax      float64 // exprd: |R̂| bound (1)
	Budget    int     // exprd: states with non-zero R̂ (B)
	Lookahead int     // exprd: h of the informativeness (1)
	Baseline  bool    // the learner subtracts a per-state running mean of its return (step LR)
}

// DefaultExploRS returns the card's defaults for mode.
func DefaultExploRS(mode string) ExploRSConfig {
	return ExploRSConfig{Mode: mode, Lambda: 1, BMax: 1, EtaPhi: 0.01, EtaV: 0.01, LR: 0.1, Gamma: 0.99, Episodes: 2000,
		Delta: 0.001, RMax: 1, Budget: 3, Lookahead: 1}
}

// ExplorationBonus is b = λ / sqrt((λ / B_max)² + N).
func ExplorationBonus(lambda, bmax float64, n int) float64 {
	return lambda / math.Sqrt((lambda/bmax)*(lambda/bmax)+float64(n))
}

// PhiStep is ExploRS's update of one visited (s, a): φ(s, ·) += η π(a|s)
// adv (e_a − π(·|s)), adv = Ḡ − V(s).
func PhiStep(phi, pi []float64, a int, adv, eta float64) {
	for b := range phi {
		e := 0.0
		if b == a {
			e = 1
		}
		phi[b] += eta * pi[a] * adv * (e - pi[b])
	}
}

// TabularResult is one training run: the original return of every
// episode and the first episode (1-based) that reached the goal (0: none).
type TabularResult struct {
	Returns      []float64
	FirstSuccess int
	Designed     [][]float64 // exprd: the designed reward R̂(s, a)
	Support      []int       // exprd: its states
}

// SuccessRate is the mean original return over the episodes [lo, hi).
func (r *TabularResult) SuccessRate(lo, hi int) float64 {
	hi = min(hi, len(r.Returns))
	if hi <= lo {
		return 0
	}
	var s float64
	for _, v := range r.Returns[lo:hi] {
		s += v
	}
	return s / float64(hi-lo)
}

func softmaxRow(theta []float64, out []float64) {
	mx := math.Inf(-1)
	for _, v := range theta {
		mx = math.Max(mx, v)
	}
	var z float64
	for i, v := range theta {
		out[i] = math.Exp(v - mx)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
}

// TrainTabular trains the softmax learner on the chain under cfg's
// reward; the learner's draws come from seed.
func TrainTabular(env *LockChain, cfg ExploRSConfig, seed uint64) (*TabularResult, error) {
	switch cfg.Mode {
	case "none", "bonus", "explors", "exprd":
	default:
		return nil, fmt.Errorf("reward design: mode %q: want none, bonus, explors or exprd", cfg.Mode)
	}
	S, A := env.N, env.A
	res := &TabularResult{}
	if cfg.Mode == "exprd" {
		piStar := env.Key
		R, support, err := DesignEXPRD(env, piStar, cfg)
		if err != nil {
			return nil, err
		}
		res.Designed, res.Support = R, support
	}
	r := rand.New(rand.NewPCG(seed, 0x6578706c))
	theta := make([][]float64, S)
	phi := make([][]float64, S)
	for s := range theta {
		theta[s], phi[s] = make([]float64, A), make([]float64, A)
	}
	V := make([]float64, S)    // ExploRS's critic of the original return
	base := make([]float64, S) // the learner's baseline of its own return
	count := make([]int, S+1)
	pi := make([]float64, A)
	type step struct {
		s, a         int
		shaped, orig float64
	}
	var ep []step
	for e := 0; e < cfg.Episodes; e++ {
		ep = ep[:0]
		s, total := 0, 0.0
		for t := 0; t < env.H; t++ {
			softmaxRow(theta[s], pi)
			a := A - 1
			u := r.Float64()
			for k, p := range pi {
				if u < p {
					a = k
					break
				}
				u -= p
			}
			next, rew, done := env.Step(s, a)
			shaped := rew
			switch cfg.Mode {
			case "bonus", "explors":
				if !done {
					shaped += ExplorationBonus(cfg.Lambda, cfg.BMax, count[next])
				}
				if cfg.Mode == "explors" {
					shaped += phi[s][a]
				}
			case "exprd":
				shaped = res.Designed[s][a]
			}
			count[s]++
			ep = append(ep, step{s, a, shaped, rew})
			total += rew
			s = next
			if done {
				break
			}
		}
		res.Returns = append(res.Returns, total)
		if total > 0 && res.FirstSuccess == 0 {
			res.FirstSuccess = e + 1
		}
		// Returns to go of both rewards, then the learner's and φ's updates.
		var g, gOrig float64
		for t := len(ep) - 1; t >= 0; t-- {
			x := ep[t]
			g = x.shaped + cfg.Gamma*g
			gOrig = x.orig + cfg.Gamma*gOrig
			softmaxRow(theta[x.s], pi)
			if cfg.Mode == "explors" {
				PhiStep(phi[x.s], pi, x.a, gOrig-V[x.s], cfg.EtaPhi)
				if cfg.PhiClip > 0 {
					for b := range phi[x.s] {
						phi[x.s][b] = math.Max(-cfg.PhiClip, math.Min(cfg.PhiClip, phi[x.s][b]))
					}
				}
				V[x.s] += cfg.EtaV * (gOrig - V[x.s])
			}
			adv := g
			if cfg.Baseline {
				adv = g - base[x.s]
				base[x.s] += cfg.LR * (g - base[x.s])
			}
			for b := range theta[x.s] {
				e := 0.0
				if b == x.a {
					e = 1
				}
				theta[x.s][b] += cfg.LR * adv * (e - pi[b])
			}
		}
	}
	return res, nil
}

// qMaps returns, for a reward vector over (s, a) (index s*A+a), the
// linear maps to Q^{π*} (exact, γ) and to the h-step lookahead Q_h: both
// are linear in the reward, so each is built column by column from unit
// rewards. Rows: s*A+a; the goal (state N) has value 0.
func qMaps(env *LockChain, piStar []int, gamma float64, h int) (q, qh *mat.Dense) {
	S, A := env.N, env.A
	n := S * A
	q, qh = mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
	succ := func(s, a int) int { next, _, _ := env.Step(s, a); return next }
	for j := 0; j < n; j++ {
		R := make([]float64, n)
		R[j] = 1
		// V^{π*}: π* walks s → s+1 → … → N, so V(s) = Σ_k γ^k R(s+k, π*).
		V := make([]float64, S+1)
		for s := S - 1; s >= 0; s-- {
			V[s] = R[s*A+piStar[s]] + gamma*V[s+1]
		}
		for s := 0; s < S; s++ {
			for a := 0; a < A; a++ {
				nx := succ(s, a)
				q.Set(s*A+a, j, R[s*A+a]+gamma*V[nx])
				// h-step lookahead: the first step's reward, then h − 1 steps of π*.
				v, x, disc := R[s*A+a], nx, gamma
				for k := 1; k < h && x < S; k++ {
					v += disc * R[x*A+piStar[x]]
					x++
					disc *= gamma
				}
				qh.Set(s*A+a, j, v)
			}
		}
	}
	return q, qh
}

// DesignEXPRD designs the teacher's sparse invariant reward: greedy
// support selection over states, each candidate support solved as an LP.
func DesignEXPRD(env *LockChain, piStar []int, cfg ExploRSConfig) ([][]float64, []int, error) {
	S, A := env.N, env.A
	if cfg.Budget < 1 || cfg.Budget > S || !(cfg.RMax > 0) || cfg.Delta < 0 || cfg.Lookahead < 1 {
		return nil, nil, fmt.Errorf("exprd: need 1 <= budget <= %d, r_max > 0, delta >= 0, lookahead >= 1", S)
	}
	q, qh := qMaps(env, piStar, cfg.Gamma, cfg.Lookahead)
	var support []int
	var best []float64
	in := make([]bool, S)
	for len(support) < cfg.Budget {
		bestVal, bestS := math.Inf(-1), -1
		var bestX []float64
		for s := 0; s < S; s++ {
			if in[s] {
				continue
			}
			val, x, err := solveEXPRD(q, qh, append(append([]int(nil), support...), s), S, A, piStar, cfg)
			if err == nil && val > bestVal+1e-12 {
				bestVal, bestS, bestX = val, s, x
			}
		}
		if bestS < 0 {
			if best != nil {
				break // no further state keeps the LP feasible or helps
			}
			return nil, nil, fmt.Errorf("exprd: no support of %d states makes pi* optimal with margin %v", len(support)+1, cfg.Delta)
		}
		in[bestS] = true
		support = append(support, bestS)
		best = bestX
	}
	R := make([][]float64, S)
	for s := range R {
		R[s] = best[s*A : (s+1)*A]
	}
	return R, support, nil
}

// solveEXPRD solves one support's LP and returns the informativeness and
// the full reward vector (zero off the support).
func solveEXPRD(q, qh *mat.Dense, support []int, S, A int, piStar []int, cfg ExploRSConfig) (float64, []float64, error) {
	var vars []int // indices s*A+a of the free variables
	for _, s := range support {
		for a := 0; a < A; a++ {
			vars = append(vars, s*A+a)
		}
	}
	nv := len(vars)
	// Informativeness weights per (s, a): +1 for π*, −1/(A−1) for the others.
	w := make([]float64, S*A)
	for s := 0; s < S; s++ {
		for a := 0; a < A; a++ {
			if a == piStar[s] {
				w[s*A+a] = 1
			} else {
				w[s*A+a] = -1 / float64(A-1)
			}
		}
	}
	c := make([]float64, nv) // minimise −informativeness
	for k, j := range vars {
		for i := 0; i < S*A; i++ {
			c[k] -= w[i] * qh.At(i, j)
		}
	}
	var G [][]float64
	var h []float64
	for s := 0; s < S; s++ { // invariance: Q(s,a) − Q(s,π*) ≤ −δ
		for a := 0; a < A; a++ {
			if a == piStar[s] {
				continue
			}
			row := make([]float64, nv)
			for k, j := range vars {
				row[k] = q.At(s*A+a, j) - q.At(s*A+piStar[s], j)
			}
			G, h = append(G, row), append(h, -cfg.Delta)
		}
	}
	for k := range vars { // bounds
		up, lo := make([]float64, nv), make([]float64, nv)
		up[k], lo[k] = 1, -1
		G, h = append(G, up, lo), append(h, cfg.RMax, cfg.RMax)
	}
	gm := mat.NewDense(len(G), nv, nil)
	for i, row := range G {
		gm.SetRow(i, row)
	}
	cNew, aNew, bNew := lp.Convert(c, gm, h, nil, nil)
	opt, xt, err := lp.Simplex(cNew, aNew, bNew, 1e-10, nil)
	if err != nil {
		return 0, nil, err
	}
	full := make([]float64, S*A)
	for k, j := range vars {
		full[j] = xt[k] - xt[nv+k]
	}
	return -opt, full, nil
}
