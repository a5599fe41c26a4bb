// Package internalrl is Internal RL (card D9; "Emergent temporal
// abstractions in autoregressive models enable hierarchical reinforcement
// learning", arXiv 2512.20605) on a frozen character model: the algebra
// and the metacontroller are in rl (internal_rl.go,
// internal_rl_metacontroller.go); this package runs its two phases
// through lm.Intervention at the control layer l.
//
//  1. Discover: on expert sequences (prompt + walk), with the base model
//     frozen, minimise −Σ_t log p_base(a_{t+1} | ê_{≤t}) + R (rl.Metacontroller's
//     regulariser) over the metacontroller, by Adam, the gradient of the
//     NLL with respect to ê coming from lm's ResidualGrad. The controlled
//     positions are the last prompt token and the answer's tokens but the
//     last (each predicts the next answer token).
//
//  2. Internal RL: the base, the decoder z → U and the switching unit are
//     frozen into the environment. A causal policy π_φ(z | e_t) =
//     N(μ_φ(e_t), diag exp(logVar)) (μ_φ an MLP on the current residual
//     row, logVar one learned vector: CHOICE) draws a new code at the
//     first controlled position and wherever the switch fires (β_t >
//     threshold), else z_t = z_{t−1}. Rewards are the task's sparse
//     terminal grades; per group of a prompt's rollouts the advantage is
//     (r − mean) / (std + 1e-6) (population std); the loss is the clipped
//     ratio over the switch decisions, PPO-style epochs on the step's
//     decisions,
//
//     L = −(1/|D|) Σ_{d ∈ D} min(ρ_d A_d, clip(ρ_d, 1−ε, 1+ε) A_d),
//     ρ_d = exp(log π_φ(z_d | e_d) − log π_old(z_d | e_d)).
package internalrl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
)

// Sequence is one expert sequence for discovery: its tokens and the
// length of its prompt.
type Sequence struct {
	Tokens    []int32
	PromptLen int
}

// Problem is one prompt and its sparse grader.
type Problem struct {
	Prompt []int32
	Grade  func(completion []int32) bool
}

// Options are both phases' settings (card D9's knobs; tiny-scale CHOICEs).
type Options struct {
	Layer           int     // control layer l
	NZ, Rank        int     // code size n_z, controller rank r
	Hidden          int     // hidden width of the encoder, switch and policy
	KLAlpha         float64 // α
	SwitchPenalty   float64 // γ
	DiscoverSteps   int     // Adam steps of discovery
	DiscoverBatch   int     // sequences per discovery step
	DiscoverLR      float64
	SwitchThreshold float64 // β above which internal RL draws a new code
	RLSteps         int     // internal-RL iterations
	Prompts, Group  int     // prompts per iteration, rollouts per prompt
	Epochs          int     // passes over an iteration's decisions
	ClipEps         float64 // ε
	RLLR            float64
	Temperature     float32 // token sampling temperature
	MaxNew          int
	Stop            []int32
	Seed            uint64
}

// DefaultOptions are the tiny-scale defaults (card D9: n_z 4, rank 4).
func DefaultOptions() Options {
	return Options{Layer: 0, NZ: 4, Rank: 4, Hidden: 32, KLAlpha: 0.1, SwitchPenalty: 0,
		DiscoverSteps: 300, DiscoverBatch: 16, DiscoverLR: 3e-3, SwitchThreshold: 0.5,
		RLSteps: 100, Prompts: 16, Group: 8, Epochs: 2, ClipEps: 0.2, RLLR: 3e-3,
		Temperature: 1, MaxNew: 48, Seed: 1}
}

// Validate checks the options against a model of layers blocks.
func (o *Options) Validate(layers int) error {
	switch {
	case o.Layer < 0 || o.Layer >= layers:
		return fmt.Errorf("internal rl: layer %d out of range [0, %d)", o.Layer, layers)
	case o.NZ < 1 || o.Rank < 1 || o.Hidden < 1:
		return fmt.Errorf("internal rl: n_z, rank and hidden must be >= 1")
	case o.DiscoverSteps < 0 || o.DiscoverBatch < 1 || o.RLSteps < 0 || o.Prompts < 1 || o.Group < 2 || o.Epochs < 1:
		return fmt.Errorf("internal rl: need discover steps >= 0, batch >= 1, rl steps >= 0, prompts >= 1, group >= 2, epochs >= 1")
	case !(o.SwitchThreshold > 0 && o.SwitchThreshold < 1) || !(o.ClipEps > 0) || o.MaxNew < 1:
		return fmt.Errorf("internal rl: need 0 < switch threshold < 1, clip eps > 0, max new >= 1")
	}
	return nil
}

// Controller is the trained state: the metacontroller (its decoder and
// switch serve internal RL) and the policy over codes.
type Controller struct {
	MC     *rl.Metacontroller
	Policy *nn.MLP   // e_t → μ [n_z]
	LogVar *nn.Param // [n_z]
	o      Options
}

// New makes an untrained controller for model m.
func New(m *lm.Model, o Options) (*Controller, error) {
	if err := o.Validate(len(m.Layers)); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x69726c))
	d := m.Cfg.HiddenSize
	mc, err := rl.NewMetacontroller(d, o.NZ, o.Rank, o.Hidden, m.Cfg.MaxPositionEmbeddings, r)
	if err != nil {
		return nil, err
	}
	pol, err := nn.NewMLP("internal_rl.policy", []int{d, o.Hidden, o.NZ}, nn.Tanh, o.Prompts*o.Group*m.Cfg.MaxPositionEmbeddings, r)
	if err != nil {
		return nil, err
	}
	// μ starts near 0 and σ at 1: codes are drawn from the prior that
	// discovery's KL term pulls the encoder towards.
	pol.Weights[len(pol.Weights)-1].InitNormal(r, 0.01)
	return &Controller{MC: mc, Policy: pol, LogVar: nn.NewParam("internal_rl.logvar", o.NZ), o: o}, nil
}

// DiscoveryStep is one discovery step's figures.
type DiscoveryStep struct {
	Step     int     `json:"step"`
	NLL      float64 `json:"nll"`       // per answer token
	Reg      float64 `json:"reg"`       // R per position (α β KL + γ β / n)
	MeanBeta float64 `json:"mean_beta"` // over positions after the first
}

// Discover trains the metacontroller on the expert sequences with m frozen
// (m's gradients are cleared, never applied) and returns each step's
// figures.
func (c *Controller) Discover(m *lm.Model, seqs []Sequence) ([]DiscoveryStep, error) {
	o := c.o
	if len(seqs) == 0 {
		return nil, fmt.Errorf("internal rl: no discovery sequences")
	}
	d, nz := m.Cfg.HiddenSize, o.NZ
	opt := optim.NewAdamW(c.MC.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
	r := rand.New(rand.NewPCG(o.Seed, 0x646973))
	defer m.SetIntervention(nil)
	var out []DiscoveryStep
	for step := 0; step < o.DiscoverSteps; step++ {
		for _, p := range c.MC.Params() {
			p.ZeroGrad()
		}
		st := DiscoveryStep{Step: step + 1}
		var tokens, positions, betaN float64
		for b := 0; b < o.DiscoverBatch; b++ {
			s := seqs[r.IntN(len(seqs))]
			lo, hi := s.PromptLen-1, len(s.Tokens)-1 // controlled positions [lo, hi)
			n := hi - lo
			if lo < 0 || n < 1 {
				return nil, fmt.Errorf("internal rl: sequence of %d tokens with prompt %d has no answer", len(s.Tokens), s.PromptLen)
			}
			eps := make([]float64, n*nz)
			for i := range eps {
				eps[i] = r.NormFloat64()
			}
			var reg float64
			var beta []float64
			err := m.SetIntervention(&lm.Intervention{Layer: o.Layer, Edit: func(x []float32, _ []int, _ []int32) {
				rows := x[lo*d : hi*d]
				// R is averaged over the batch like the NLL (dlp below).
				B := float64(o.DiscoverBatch)
				reg, beta = c.MC.Forward(rows, rows, n, eps, o.KLAlpha/B, o.SwitchPenalty/B)
			}})
			if err != nil {
				return nil, err
			}
			T := len(s.Tokens)
			mask := make([]float32, T)
			for i := s.PromptLen; i < T; i++ {
				mask[i] = 1
			}
			sc, err := m.Score(&lm.Batch{Rows: 1, Len: T, Tokens: s.Tokens, Mask: mask, Temperature: 1})
			if err != nil {
				return nil, fmt.Errorf("internal rl: discovery: %w", err)
			}
			dlp := make([]float32, T)
			for i := s.PromptLen; i < T; i++ {
				st.NLL -= float64(sc.LogProbs[i])
				dlp[i] = -1 / float32(o.DiscoverBatch)
			}
			tokens += float64(T - s.PromptLen)
			m.ZeroGrad()
			if err := m.Backward(dlp, nil, nil); err != nil {
				return nil, err
			}
			g, err := m.ResidualGrad()
			if err != nil {
				return nil, err
			}
			c.MC.Backward(g[lo*d : hi*d])
			st.Reg += reg * float64(o.DiscoverBatch)
			positions += float64(n)
			for _, bt := range beta[1:] {
				st.MeanBeta += bt
				betaN++
			}
		}
		opt.Step(o.DiscoverLR)
		st.NLL /= tokens
		st.Reg /= positions
		if betaN > 0 {
			st.MeanBeta /= betaN
		}
		out = append(out, st)
	}
	return out, nil
}

// decision is one code drawn in a rollout.
type decision struct {
	seq  int
	e    []float32
	z    []float64
	logp float64
}

// policyLogp is log N(z; μ, diag exp(logVar)).
func (c *Controller) policyLogp(mu []float32, z []float64) float64 {
	m := make([]float64, len(z))
	lv := make([]float64, len(z))
	for k := range z {
		m[k], lv[k] = float64(mu[k]), float64(c.LogVar.W[k])
	}
	return rl.GaussianLogDensity(z, m, lv)
}

// Rollout samples one completion per prompt with the controller acting at
// layer l from the last prompt token on: a code from π at the first
// controlled position and wherever the frozen switch fires. All prompts
// must have the same length. It returns the completions and the decisions
// (with the index of their prompt).
func (c *Controller) Rollout(m *lm.Model, prompts [][]int32, tokRng, zRng *rand.Rand) ([][]int32, []decision, error) {
	o, d, nz := c.o, m.Cfg.HiddenSize, c.o.NZ
	pl := len(prompts[0])
	for _, p := range prompts {
		if len(p) != pl {
			return nil, nil, fmt.Errorf("internal rl: prompts of %d and %d tokens (all must be equal)", pl, len(p))
		}
	}
	z := make([][]float64, len(prompts))
	var ds []decision
	edit := func(x []float32, seq []int, pos []int32) {
		for i := range seq {
			if int(pos[i]) < pl-1 || seq[i] >= len(prompts) {
				continue
			}
			b, row := seq[i], x[i*d:(i+1)*d]
			if z[b] == nil || c.MC.Switch(row, z[b], nil) > o.SwitchThreshold {
				e := append([]float32(nil), row...) // kept for the update
				mu := c.Policy.Forward(e, 1)
				zz := make([]float64, nz)
				for k := range zz {
					zz[k] = float64(mu[k]) + math.Exp(float64(c.LogVar.W[k])/2)*zRng.NormFloat64()
				}
				z[b] = zz
				ds = append(ds, decision{seq: b, e: e, z: zz, logp: c.policyLogp(mu, zz)})
			}
			c.MC.Apply(row, row, z[b], nil, nil)
		}
	}
	if err := m.SetIntervention(&lm.Intervention{Layer: o.Layer, Edit: edit}); err != nil {
		return nil, nil, err
	}
	defer m.SetIntervention(nil)
	// As the RL loop: the answer is cut where the context ends.
	maxNew := min(o.MaxNew, m.Cfg.MaxPositionEmbeddings-pl)
	g, err := m.Generate(prompts, lm.SampleOptions{Temperature: o.Temperature, MaxNew: maxNew, Stop: o.Stop}, tokRng)
	if err != nil {
		return nil, nil, err
	}
	return g.Tokens, ds, nil
}

// RLStep is one internal-RL iteration's figures.
type RLStep struct {
	Step      int     `json:"step"`
	Reward    float64 `json:"reward"`    // mean sparse reward of the rollouts
	Decisions float64 `json:"decisions"` // codes drawn per rollout
	ClipFrac  float64 `json:"clip_frac"`
}

// Train runs internal RL on problems drawn by draw(step) (o.Prompts of
// them per step) and returns each step's figures.
func (c *Controller) Train(m *lm.Model, draw func(step int) ([]Problem, error)) ([]RLStep, error) {
	o := c.o
	opt := newPolicyOptimizer(c)
	tokRng := rand.New(rand.NewPCG(o.Seed, 0x746f6b))
	zRng := rand.New(rand.NewPCG(o.Seed, 0x7a7a7a))
	var out []RLStep
	for step := 0; step < o.RLSteps; step++ {
		ps, err := draw(step)
		if err != nil {
			return nil, err
		}
		var prompts [][]int32
		for _, p := range ps {
			for k := 0; k < o.Group; k++ {
				prompts = append(prompts, p.Prompt)
			}
		}
		comps, ds, err := c.Rollout(m, prompts, tokRng, zRng)
		if err != nil {
			return nil, err
		}
		st := RLStep{Step: step + 1, Decisions: float64(len(ds)) / float64(len(prompts))}
		rew := make([]float64, len(prompts))
		for i, comp := range comps {
			if ps[i/o.Group].Grade(comp) {
				rew[i] = 1
				st.Reward++
			}
		}
		st.Reward /= float64(len(prompts))
		adv := groupAdvantages(rew, o.Group)
		if err := c.update(opt, ds, adv, &st); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// newPolicyOptimizer is Adam over the policy's tensors.
func newPolicyOptimizer(c *Controller) *optim.AdamW {
	return optim.NewAdamW(append(c.Policy.Params(), c.LogVar), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
}

// groupAdvantages is (r − mean) / (std + 1e-6) within each group of g.
func groupAdvantages(r []float64, g int) []float64 {
	out := make([]float64, len(r))
	for lo := 0; lo < len(r); lo += g {
		grp := r[lo:min(lo+g, len(r))]
		var mean, v float64
		for _, x := range grp {
			mean += x
		}
		mean /= float64(len(grp))
		for _, x := range grp {
			v += (x - mean) * (x - mean)
		}
		std := math.Sqrt(v / float64(len(grp)))
		for i, x := range grp {
			out[lo+i] = (x - mean) / (std + 1e-6)
		}
	}
	return out
}

// update takes o.Epochs clipped-ratio steps over the decisions.
func (c *Controller) update(opt *optim.AdamW, ds []decision, adv []float64, st *RLStep) error {
	o, nz := c.o, c.o.NZ
	if len(ds) == 0 {
		return nil
	}
	d := len(ds[0].e)
	in := make([]float32, len(ds)*d)
	for i, x := range ds {
		copy(in[i*d:], x.e)
	}
	var clipped float64
	for ep := 0; ep < o.Epochs; ep++ {
		for _, p := range append(c.Policy.Params(), c.LogVar) {
			p.ZeroGrad()
		}
		mu := c.Policy.Forward(in, len(ds))
		dmu := make([]float32, len(ds)*nz)
		for i, x := range ds {
			a := adv[x.seq]
			if a == 0 {
				continue
			}
			lp := c.policyLogp(mu[i*nz:(i+1)*nz], x.z)
			rho := math.Exp(lp - x.logp)
			// d/dlogp of −min(ρA, clip(ρ)A): −ρA unless the clipped term is
			// the smaller one (then 0).
			if (a > 0 && rho > 1+o.ClipEps) || (a < 0 && rho < 1-o.ClipEps) {
				clipped++
				continue
			}
			g := -rho * a / float64(len(ds))
			for k := 0; k < nz; k++ {
				v := math.Exp(float64(c.LogVar.W[k]))
				diff := x.z[k] - float64(mu[i*nz+k])
				dmu[i*nz+k] = float32(g * diff / v)                   // d logp / d μ = (z − μ)/σ²
				c.LogVar.G[k] += float32(g * 0.5 * (diff*diff/v - 1)) // d logp / d logVar
			}
		}
		c.Policy.Backward(dmu, len(ds))
		if _, err := optim.ClipGradNorm(append(c.Policy.Params(), c.LogVar), 1); err != nil {
			return fmt.Errorf("internal rl: %w", err)
		}
		opt.Step(o.RLLR)
	}
	st.ClipFrac = clipped / float64(o.Epochs*len(ds))
	return nil
}

// SuccessRate samples n rollouts per problem with the controller and
// returns the share the grader accepts.
func (c *Controller) SuccessRate(m *lm.Model, ps []Problem, n int, seed uint64) (float64, error) {
	var prompts [][]int32
	for _, p := range ps {
		for k := 0; k < n; k++ {
			prompts = append(prompts, p.Prompt)
		}
	}
	tokRng, zRng := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 2))
	var ok float64
	const chunk = 256
	for lo := 0; lo < len(prompts); lo += chunk {
		hi := min(lo+chunk, len(prompts))
		comps, _, err := c.Rollout(m, prompts[lo:hi], tokRng, zRng)
		if err != nil {
			return 0, err
		}
		for i, comp := range comps {
			if ps[(lo+i)/n].Grade(comp) {
				ok++
			}
		}
	}
	return ok / float64(len(prompts)), nil
}
