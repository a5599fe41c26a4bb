package control

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// Shared pieces of the off-policy baselines (TD3, TD3+BC, IQL, CQL):
// a transition store, twin critics with Polyak targets, a
// deterministic tanh actor, a tanh-Gaussian (SAC) actor and the
// dataset state normaliser folded into the saved actor.

// transitions is a replay buffer (online, a ring) or an offline dataset.
type transitions struct {
	od, ad    int
	obs, next []float32 // [cap, od]
	act       []float32 // [cap, ad]
	rew, nd   []float64 // reward, not-done (1 - terminal; timeouts bootstrap)
	n, pos    int
}

func newTransitions(capacity, od, ad int) *transitions {
	return &transitions{od: od, ad: ad, obs: make([]float32, capacity*od), next: make([]float32, capacity*od),
		act: make([]float32, capacity*ad), rew: make([]float64, capacity), nd: make([]float64, capacity)}
}

func (t *transitions) add(obs, next []float32, a []float64, r float64, terminal bool) {
	p := t.pos
	copy(t.obs[p*t.od:], obs)
	copy(t.next[p*t.od:], next)
	for d := range a {
		t.act[p*t.ad+d] = float32(a[d])
	}
	t.rew[p] = r
	t.nd[p] = 1
	if terminal {
		t.nd[p] = 0
	}
	t.pos = (t.pos + 1) % len(t.rew)
	t.n = min(t.n+1, len(t.rew))
}

// fromDataset copies a box-action dataset, normalising observations with
// norm (nil: unchanged) and scaling rewards.
func fromDataset(d *dataset.Dataset, norm *obsNorm) *transitions {
	n := d.Len()
	t := newTransitions(n, d.ObsDim, d.ActDim)
	copy(t.obs, d.Obs)
	copy(t.next, d.NextObs)
	copy(t.act, d.Act)
	for i := 0; i < n; i++ {
		t.rew[i] = float64(d.Reward[i])
		t.nd[i] = 1 - float64(d.Term[i])
	}
	if norm != nil {
		norm.apply(t.obs)
		norm.apply(t.next)
	}
	t.n = n
	return t
}

// batch is a uniformly sampled mini-batch.
type batch struct {
	obs, next []float32
	act       []float64
	rew, nd   []float64
}

func (t *transitions) sample(r *rand.Rand, B int) batch {
	b := batch{obs: make([]float32, B*t.od), next: make([]float32, B*t.od), act: make([]float64, B*t.ad),
		rew: make([]float64, B), nd: make([]float64, B)}
	for i := 0; i < B; i++ {
		k := r.IntN(t.n)
		copy(b.obs[i*t.od:], t.obs[k*t.od:(k+1)*t.od])
		copy(b.next[i*t.od:], t.next[k*t.od:(k+1)*t.od])
		for d := 0; d < t.ad; d++ {
			b.act[i*t.ad+d] = float64(t.act[k*t.ad+d])
		}
		b.rew[i], b.nd[i] = t.rew[k], t.nd[k]
	}
	return b
}

// obsNorm is the per-dimension state normalisation (s - mu) / sigma of
// TD3+BC, sigma = std + 1e-3.
type obsNorm struct{ mu, sigma []float64 }

func newObsNorm(obs []float32, od int) *obsNorm {
	n := len(obs) / od
	m := &obsNorm{mu: make([]float64, od), sigma: make([]float64, od)}
	for i := 0; i < n; i++ {
		for j := 0; j < od; j++ {
			m.mu[j] += float64(obs[i*od+j]) / float64(n)
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < od; j++ {
			d := float64(obs[i*od+j]) - m.mu[j]
			m.sigma[j] += d * d / float64(n)
		}
	}
	for j := range m.sigma {
		m.sigma[j] = math.Sqrt(m.sigma[j]) + 1e-3
	}
	return m
}

func (m *obsNorm) apply(x []float32) {
	od := len(m.mu)
	for i := range x {
		j := i % od
		x[i] = float32((float64(x[i]) - m.mu[j]) / m.sigma[j])
	}
}

// fold rewrites the actor's first layer so that it takes raw
// observations: W' = W / sigma (per input column), b' = b - W' mu. The
// saved policy then needs no normaliser (control.LoadPolicy reads it).
func (m *obsNorm) fold(actor *nn.MLP) {
	w, b := actor.Weights[0], actor.Biases[0]
	in := actor.Sizes[0]
	for o := 0; o < actor.Sizes[1]; o++ {
		var shift float64
		for j := 0; j < in; j++ {
			nw := float64(w.W[o*in+j]) / m.sigma[j]
			w.W[o*in+j] = float32(nw)
			shift += nw * m.mu[j]
		}
		b.W[o] = float32(float64(b.W[o]) - shift)
	}
}

// boxSpec is a continuous environment's action box.
type boxSpec struct {
	od, ad      int
	low, high   []float64
	scale, bias []float64 // a = scale * tanh(u) + bias
}

func boxOf(name string) (boxSpec, error) {
	e, err := env.Make(name)
	if err != nil {
		return boxSpec{}, err
	}
	return boxOfEnv(e, name)
}

// boxOfEnv is boxOf for an environment instance (a wrapped one).
func boxOfEnv(e env.Env, name string) (boxSpec, error) {
	os, as := e.ObservationSpace(), e.ActionSpace()
	if as.Discrete > 0 {
		return boxSpec{}, fmt.Errorf("%s has a discrete action space; this algorithm needs a box", name)
	}
	b := boxSpec{od: os.Dim, ad: as.Dim, low: as.Low, high: as.High}
	for i := range as.Low {
		b.scale = append(b.scale, (as.High[i]-as.Low[i])/2)
		b.bias = append(b.bias, (as.High[i]+as.Low[i])/2)
	}
	return b, nil
}

func (b boxSpec) clip(a []float64) {
	for i := range a {
		d := i % b.ad
		a[i] = math.Max(b.low[d], math.Min(b.high[d], a[i]))
	}
}

func mlpSizes(in int, hidden []int, out int) []int {
	return append(append([]int{in}, hidden...), out)
}

// qIn concatenates observations and actions into critic inputs.
func qIn(obs []float32, act []float64, rows, od, ad int) []float32 {
	x := make([]float32, rows*(od+ad))
	for i := 0; i < rows; i++ {
		copy(x[i*(od+ad):], obs[i*od:(i+1)*od])
		for d := 0; d < ad; d++ {
			x[i*(od+ad)+od+d] = float32(act[i*ad+d])
		}
	}
	return x
}

// twinQ is a pair of critics with Polyak-averaged targets and one Adam,
// run through the fused ensemble path (see ensemble); q and qt are the
// members as nn.MLPs (their weights are the ensemble's, so nn's own
// Forward/Backward on them still train the same critics).
type twinQ struct {
	q, qt     [2]*nn.MLP
	net, targ *ensemble
	params    []*nn.Param
	opt       *optim.AdamW
	od, ad    int
	x         []float32 // critic input scratch
	d         []float32 // output gradient scratch [rows, 2]
}

func newTwinQ(od, ad int, hidden []int, rows int, r *rand.Rand) (*twinQ, error) {
	t := &twinQ{od: od, ad: ad}
	var err error
	if t.net, err = newEnsemble("q", 2, mlpSizes(od+ad, hidden, 1), rows, r); err != nil {
		return nil, err
	}
	if t.targ, err = newEnsemble("q", 2, mlpSizes(od+ad, hidden, 1), rows, r); err != nil {
		return nil, err
	}
	for j := range t.q {
		t.q[j], t.qt[j] = t.net.members[j], t.targ.members[j]
		for _, p := range t.qt[j].Params() {
			p.Name = strings.Replace(p.Name, fmt.Sprintf("q%d.", j), fmt.Sprintf("q%d_target.", j), 1)
		}
	}
	t.targ.copyFrom(t.net)
	t.params = t.net.params()
	t.opt = optim.NewAdamW(t.params, adam())
	return t, nil
}

func adam() optim.AdamWConfig { return optim.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// input writes the critic inputs [obs, act] into scratch.
func (t *twinQ) input(obs []float32, act []float64, rows int) []float32 {
	w := t.od + t.ad
	if len(t.x) < rows*w {
		t.x = make([]float32, rows*w)
	}
	x := t.x[:rows*w]
	for i := 0; i < rows; i++ {
		copy(x[i*w:], obs[i*t.od:(i+1)*t.od])
		for d := 0; d < t.ad; d++ {
			x[i*w+t.od+d] = float32(act[i*t.ad+d])
		}
	}
	return x
}

func (t *twinQ) grad(rows int) []float32 {
	if len(t.d) < 2*rows {
		t.d = make([]float32, 2*rows)
	}
	d := t.d[:2*rows]
	clear(d)
	return d
}

// targetMin is min_j Q'_j(obs, act) per row.
func (t *twinQ) targetMin(obs []float32, act []float64, rows int) []float64 {
	out := t.targ.forward(t.input(obs, act, rows), rows, 2)
	m := make([]float64, rows)
	for i := range m {
		m[i] = math.Min(float64(out[2*i]), float64(out[2*i+1]))
	}
	return m
}

// regress takes one Adam step on sum_j mean (Q_j(s,a) - y)^2 and returns
// the TD loss.
func (t *twinQ) regress(obs []float32, act []float64, y []float64, lr float64) float64 {
	B := len(y)
	out := t.net.forward(t.input(obs, act, B), B, 2)
	d := t.grad(B)
	var l float64
	for i := 0; i < B; i++ {
		for j := 0; j < 2; j++ {
			diff := float64(out[2*i+j]) - y[i]
			l += diff * diff / float64(B)
			d[2*i+j] = float32(2 * diff / float64(B))
		}
	}
	t.net.zeroGrad()
	t.net.backward(d, true, false)
	t.opt.Step(lr)
	return l
}

// actionGrad returns weight * d(-mean Q_sel(s, a))/da for rows of act
// where Q_sel is Q_0 (useMin false, TD3) or the smaller critic of each
// row (SAC, CQL), together with mean Q_sel. Critic gradients are cleared.
func (t *twinQ) actionGrad(obs []float32, act []float64, rows int, useMin bool, weight float64) (dA []float64, meanQ float64) {
	n := 1
	if useMin {
		n = 2
	}
	out := t.net.forward(t.input(obs, act, rows), rows, n)
	d := t.grad(rows)
	for i := 0; i < rows; i++ {
		sel := 0
		if useMin && out[2*i+1] < out[2*i] {
			sel = 1
		}
		meanQ += float64(out[2*i+sel]) / float64(rows)
		d[2*i+sel] = float32(-weight / float64(rows))
	}
	dx := t.net.backward(d, false, true)
	dA = make([]float64, rows*t.ad)
	w := t.od + t.ad
	for i := 0; i < rows; i++ {
		for dd := 0; dd < t.ad; dd++ {
			dA[i*t.ad+dd] = float64(dx[i*w+t.od+dd])
		}
	}
	t.net.zeroGrad()
	return dA, meanQ
}

func (t *twinQ) polyak(tau float64) { t.targ.polyakFrom(t.net, tau) }

func polyak(dst, src *nn.MLP, tau float64) {
	s, d := src.Params(), dst.Params()
	a, b := float32(tau), float32(1-tau)
	for i := range s {
		sw := s[i].W
		dw := d[i].W[:len(sw)]
		for k, v := range sw {
			dw[k] = a*v + b*dw[k]
		}
	}
}

// detActor is TD3's deterministic actor a = scale * tanh(f(s)) + bias
// (net is fast's only member).
type detActor struct {
	net  *nn.MLP
	fast *ensemble
	opt  *optim.AdamW
	box  boxSpec
	tanh []float64 // tanh of the last forward's outputs
	d    []float32
}

func newDetActor(name string, box boxSpec, hidden []int, rows int, r *rand.Rand) (*detActor, error) {
	fast, err := newEnsemble(name, 1, mlpSizes(box.od, hidden, box.ad), rows, r)
	if err != nil {
		return nil, err
	}
	net := fast.members[0]
	return &detActor{net: net, fast: fast, opt: optim.NewAdamW(net.Params(), adam()), box: box}, nil
}

// act returns actions for rows of obs and keeps the activations.
func (a *detActor) act(obs []float32, rows int) []float64 {
	out := a.fast.forward(obs, rows, 1)
	act := make([]float64, rows*a.box.ad)
	if cap(a.tanh) < rows*a.box.ad {
		a.tanh = make([]float64, rows*a.box.ad)
	}
	a.tanh = a.tanh[:rows*a.box.ad]
	for k := range act {
		d := k % a.box.ad
		t := math.Tanh(float64(out[k]))
		a.tanh[k] = t
		act[k] = a.box.scale[d]*t + a.box.bias[d]
	}
	return act
}

// step backpropagates dL/da through the last act() and takes an Adam step.
func (a *detActor) step(dA []float64, rows int, lr float64) {
	a.fast.zeroGrad()
	if cap(a.d) < len(dA) {
		a.d = make([]float32, len(dA))
	}
	d := a.d[:len(dA)]
	for k := range dA {
		t := a.tanh[k]
		d[k] = float32(dA[k] * a.box.scale[k%a.box.ad] * (1 - t*t))
	}
	a.fast.backward(d, true, false)
	a.opt.Step(lr)
}

func (a *detActor) policy() *Policy {
	return &Policy{Actor: a.net, Low: a.box.low, High: a.box.high, squash: true, scale: a.box.scale, bias: a.box.bias}
}

// gaussActor is SAC's tanh-squashed Gaussian actor: outputs [mu, raw]
// with log std = logStdMin + (logStdMax - logStdMin)(tanh(raw) + 1)/2.
type gaussActor struct {
	net  *nn.MLP
	fast *ensemble // net is its only member
	opt  *optim.AdamW
	box  boxSpec
	d    []float32
}

func newGaussActor(box boxSpec, hidden []int, rows int, r *rand.Rand) (*gaussActor, error) {
	fast, err := newEnsemble("actor", 1, mlpSizes(box.od, hidden, 2*box.ad), rows, r)
	if err != nil {
		return nil, err
	}
	net := fast.members[0]
	return &gaussActor{net: net, fast: fast, opt: optim.NewAdamW(net.Params(), adam()), box: box}, nil
}

func (g *gaussActor) policy() *Policy {
	return &Policy{Actor: g.net, Low: g.box.low, High: g.box.high, squash: true, scale: g.box.scale, bias: g.box.bias}
}

// squashed is a reparameterised sample a = scale tanh(mu + std eps) + bias.
type squashed struct {
	act, u, eps, std, raw []float64 // [rows*ad]
	logp                  []float64 // [rows]
}

// sample draws actions for rows of obs (the network keeps these rows'
// activations for backward).
func (g *gaussActor) sample(obs []float32, rows int, r *rand.Rand) squashed {
	ad := g.box.ad
	out := g.fast.forward(obs, rows, 1)
	s := squashed{act: make([]float64, rows*ad), u: make([]float64, rows*ad), eps: make([]float64, rows*ad),
		std: make([]float64, rows*ad), raw: make([]float64, rows*ad), logp: make([]float64, rows)}
	for i := 0; i < rows; i++ {
		for d := 0; d < ad; d++ {
			k := i*ad + d
			mu, raw := float64(out[i*2*ad+d]), float64(out[i*2*ad+ad+d])
			ls := logStdMin + 0.5*(logStdMax-logStdMin)*(math.Tanh(raw)+1)
			std := math.Exp(ls)
			eps := r.NormFloat64()
			u := mu + std*eps
			t := math.Tanh(u)
			s.u[k], s.eps[k], s.std[k], s.raw[k] = u, eps, std, raw
			s.act[k] = t*g.box.scale[d] + g.box.bias[d]
			s.logp[i] += -0.5*eps*eps - ls - 0.5*math.Log(2*math.Pi) - math.Log(g.box.scale[d]*(1-t*t)+1e-6)
		}
	}
	return s
}

// sacStep takes an actor step on mean(alpha logp - Q(s, a)) given dQ =
// d(-mean Q)/da for the sample s, whose rows are the last forward, plus
// extra (nil: none), a further gradient with respect to the outputs.
func (g *gaussActor) sacStep(s squashed, dQ []float64, alpha float64, lr float64, extra []float64) {
	ad := g.box.ad
	rows := len(s.logp)
	if cap(g.d) < rows*2*ad {
		g.d = make([]float32, rows*2*ad)
	}
	dOut := g.d[:rows*2*ad]
	for i := 0; i < rows; i++ {
		for d := 0; d < ad; d++ {
			k := i*ad + d
			sc := g.box.scale[d]
			t := math.Tanh(s.u[k])
			da := dQ[k] * sc * (1 - t*t)
			dlogpdu := 2 * t * sc * (1 - t*t) / (sc*(1-t*t) + 1e-6)
			dU := da + alpha*dlogpdu/float64(rows)
			dLs := dU*s.std[k]*s.eps[k] - alpha/float64(rows)
			tr := math.Tanh(s.raw[k])
			dOut[i*2*ad+d] = float32(dU)
			dOut[i*2*ad+ad+d] = float32(dLs * 0.5 * (logStdMax - logStdMin) * (1 - tr*tr))
		}
	}
	for k := range extra {
		dOut[k] += float32(extra[k])
	}
	g.fast.zeroGrad()
	g.fast.backward(dOut, true, false)
	g.opt.Step(lr)
}

// temperature is SAC's automatic entropy temperature: Adam on log alpha
// for L = mean -log_alpha (logp + target_entropy).
type temperature struct {
	logAlpha, m, v, target float64
	t                      int
	auto                   bool
}

func (a *temperature) alpha() float64 { return math.Exp(a.logAlpha) }

func (a *temperature) update(logp []float64, lr float64) {
	if !a.auto {
		return
	}
	var g float64
	for _, lp := range logp {
		g += -(lp + a.target) / float64(len(logp))
	}
	a.t++
	a.m = 0.9*a.m + 0.1*g
	a.v = 0.999*a.v + 0.001*g*g
	mh := a.m / (1 - math.Pow(0.9, float64(a.t)))
	vh := a.v / (1 - math.Pow(0.999, float64(a.t)))
	a.logAlpha -= lr * mh / (math.Sqrt(vh) + 1e-8)
}

// loadOffline reads (or, with path "" and collect > 0, collects from a
// uniform random policy) the dataset of an offline run.
func loadOffline(path, envName string, collect int, seed uint64) (*dataset.Dataset, error) {
	if path != "" {
		d, err := dataset.Load(path)
		if err != nil {
			return nil, err
		}
		if envName != "" && d.Env != envName {
			return nil, fmt.Errorf("%s holds %s transitions, the run asks for %s", path, d.Env, envName)
		}
		return d, nil
	}
	if collect <= 0 {
		return nil, fmt.Errorf("an offline algorithm needs a dataset (a file, or a number of random transitions to collect)")
	}
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	return dataset.Collect(envName, "random", dataset.RandomPolicy(e.ActionSpace()), collect, 0, seed+77)
}

// checkBox checks that a dataset's shapes match the environment's box.
func checkBox(d *dataset.Dataset, box boxSpec) error {
	if d.ObsDim != box.od || d.ActDim != box.ad {
		return fmt.Errorf("dataset (obs %d, act %d) does not match %s (obs %d, act %d)", d.ObsDim, d.ActDim, d.Env, box.od, box.ad)
	}
	return nil
}

// offlineEnv is the environment of an offline run: the dataset's
// (checked against envName when both are given), or envName.
func offlineEnv(path, envName string) (string, error) {
	if path == "" {
		if envName == "" {
			return "", fmt.Errorf("an offline run needs a dataset or an environment")
		}
		return envName, nil
	}
	d, err := dataset.Load(path)
	if err != nil {
		return "", err
	}
	if envName != "" && envName != d.Env {
		return "", fmt.Errorf("%s holds %s transitions, the run asks for %s", path, d.Env, envName)
	}
	return d.Env, nil
}

func rngFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6f6666)) }

// bcLogProb is log pi(a|s) of dataset actions a under the tanh Gaussian
// whose outputs produced s (up to the tanh Jacobian, constant in the
// parameters), with u = atanh of a scaled to [-1, 1] and clipped to
// 1 - 1e-4, and d log pi / d outputs [rows*2ad].
func (g *gaussActor) bcLogProb(s squashed, a []float64) (logp, dOut []float64) {
	ad := g.box.ad
	rows := len(s.logp)
	logp, dOut = make([]float64, rows), make([]float64, rows*2*ad)
	for i := 0; i < rows; i++ {
		for d := 0; d < ad; d++ {
			k := i*ad + d
			mu := s.u[k] - s.std[k]*s.eps[k]
			x := math.Max(-1+1e-4, math.Min(1-1e-4, (a[k]-g.box.bias[d])/g.box.scale[d]))
			z := (math.Atanh(x) - mu) / s.std[k]
			logp[i] += -0.5*z*z - math.Log(s.std[k]) - 0.5*math.Log(2*math.Pi)
			tr := math.Tanh(s.raw[k])
			dOut[i*2*ad+d] = z / s.std[k]
			dOut[i*2*ad+ad+d] = (z*z - 1) * 0.5 * (logStdMax - logStdMin) * (1 - tr*tr)
		}
	}
	return logp, dOut
}
