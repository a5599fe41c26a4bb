package run

// The per-method hooks of the RL loop. Each method's algebra lives in
// package rl, in a file named after it (rl/drpo.go, rl/siren.go, ...);
// these functions connect it to the samples, the batch and the model.

import (
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tensor"
)

func (ru *runner) selfOn() bool {
	m := ru.r.RL.SELF.Mode
	return m == "filter" || m == "weight"
}

// selfProblems draws n prompts for step s by SELF curation, refreshing the
// success-rate estimates of the pool every refresh_every steps.
func (ru *runner) selfProblems(s, n int) ([]task.Problem, error) {
	c := ru.r.RL
	sc := c.SELF
	pool, err := task.Generate(ru.task, task.Train, ru.r.Seed*13+0x5e1f, sc.Pool, ru.r.Task.Template)
	if err != nil {
		return nil, err
	}
	if s%sc.RefreshEvery == 0 || len(ru.prog.SelfPHat) != len(pool) {
		rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(s), 0x5e1f))
		pHat := make([]float64, len(pool))
		for lo := 0; lo < len(pool); lo += max(1, genChunk/sc.NEstimate) {
			hi := min(lo+max(1, genChunk/sc.NEstimate), len(pool))
			var prompts [][]int32
			for i := lo; i < hi; i++ {
				pt, err := ru.encodePrompt(pool[i])
				if err != nil {
					return nil, err
				}
				for k := 0; k < sc.NEstimate; k++ {
					prompts = append(prompts, pt)
				}
			}
			g, err := ru.policy.Generate(prompts, lm.SampleOptions{Temperature: c.Temperature, MaxNew: c.MaxNewTokens, Stop: []int32{ru.eos}}, rng)
			if err != nil {
				return nil, err
			}
			for j, toks := range g.Tokens {
				if ru.task.Grade(pool[lo+j/sc.NEstimate], ru.completionText(toks)).Correct {
					pHat[lo+j/sc.NEstimate] += 1 / float64(sc.NEstimate)
				}
			}
		}
		ru.prog.SelfPHat = pHat
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(s), 0x7069636b))
	out := make([]task.Problem, n)
	if sc.Mode == "filter" {
		keep := rl.SELFFilter(ru.prog.SelfPHat, sc.Tau)
		if len(keep) == 0 { // nothing in the band: fall back to the whole pool
			keep = seq(len(pool))
		}
		for i := range out {
			out[i] = pool[keep[rng.IntN(len(keep))]]
		}
		return out, nil
	}
	w := rl.SELFWeights(ru.prog.SelfPHat)
	for i := range out {
		u, j := rng.Float64(), 0
		for ; j < len(w)-1 && u >= w[j]; j++ {
			u -= w[j]
		}
		out[i] = pool[j]
	}
	return out, nil
}

// drpoGrad adds DRPO's gradient for a mini-batch of whole groups to dlp
// and returns the loss and the k1 drift from the sampling policy. Each
// sample's score is its masked mean token log-prob, so dLoss/dlogp_t =
// dLoss/ds_i / L_i, plus the drift penalty max(0, beta(KL-delta)) * KL with
// KL = mean over tokens of logp_old - logp.
func (ru *runner) drpoGrad(mb []sample, b *lm.Batch, starts, lengths []int, logp []float32, dlp []float32) (loss, kl float64) {
	c := ru.r.RL
	var ntok float64
	for i, x := range mb {
		for t := range x.comp {
			if at := starts[i] + t; b.Mask[at] != 0 {
				kl += float64(x.oldLogp[t]) - float64(logp[at])
				ntok++
			}
		}
	}
	if ntok == 0 {
		return 0, 0
	}
	kl /= ntok
	coef := c.DRPO.KLPenaltyCoef(kl)
	groups := rl.Groups(len(mb), c.GroupSize)
	Q := float64(len(groups))
	for _, g := range groups {
		s := make([]float64, len(g))
		corr := make([]bool, len(g))
		ratio := make([]float64, len(g))
		for j, i := range g {
			for t := range mb[i].comp {
				if at := starts[i] + t; b.Mask[at] != 0 {
					s[j] += float64(logp[at])
				}
			}
			if lengths[i] > 0 {
				s[j] /= float64(lengths[i])
			}
			corr[j] = mb[i].correct
			ratio[j] = float64(len(mb[i].comp)) / float64(c.MaxNewTokens)
		}
		J, dJ, ok := c.DRPO.Question(s, corr, ratio)
		loss -= J / Q
		if !ok {
			continue
		}
		for j, i := range g {
			if lengths[i] == 0 {
				continue
			}
			for t := range mb[i].comp {
				if at := starts[i] + t; b.Mask[at] != 0 {
					dlp[at] += float32(-dJ[j] / Q / float64(lengths[i]))
				}
			}
		}
	}
	if coef > 0 {
		for i, x := range mb {
			for t := range x.comp {
				if at := starts[i] + t; b.Mask[at] != 0 {
					dlp[at] += float32(-coef / ntok)
				}
			}
		}
		loss += coef * kl
	}
	return loss, kl
}

// addSAR adds alpha * SAR to each sample's reward: the completion is scored
// alone (after BOS) by the current policy and compared with its log-probs
// given the prompt, recorded at sampling time. It returns the mean SAR.
func (ru *runner) addSAR(xs []sample) (float64, error) {
	c := ru.r.RL
	T := 0
	for _, x := range xs {
		T = max(T, 1+len(x.comp))
	}
	b := &lm.Batch{Rows: len(xs), Len: T, Tokens: make([]int32, len(xs)*T), Mask: make([]float32, len(xs)*T), Temperature: c.Temperature}
	for i, x := range xs {
		b.Tokens[i*T] = ru.bos
		copy(b.Tokens[i*T+1:], x.comp)
		for t := range x.comp {
			b.Mask[i*T+1+t] = 1
		}
	}
	sc, err := ru.policy.Score(b)
	if err != nil {
		return 0, err
	}
	var mean float64
	for i, x := range xs {
		given, alone := make([]float64, len(x.comp)), make([]float64, len(x.comp))
		for t := range x.comp {
			given[t], alone[t] = float64(x.oldLogp[t]), float64(sc.LogProbs[i*T+1+t])
		}
		v := rl.SAR(given, alone, c.SAR.Clip)
		xs[i].reward += c.SAR.Alpha * v
		mean += v / float64(len(xs))
	}
	return mean, nil
}

// sirenGrad adds SIREN's anchored nucleus-entropy gradient for one scored
// mini-batch to the model's logit gradients and returns the masked mean
// nucleus entropy.
func (ru *runner) sirenGrad(mb []sample, b *lm.Batch, starts []int) float64 {
	s := ru.r.RL.SIREN
	var pos []int
	var H []float64
	var grads [][]float64
	for i, x := range mb {
		for t := range x.comp {
			at := starts[i] + t
			if b.Mask[at] == 0 {
				continue
			}
			z := ru.policy.Logits(at)
			g := make([]float64, len(z))
			H = append(H, s.NucleusEntropy(z, g))
			grads = append(grads, g)
			pos = append(pos, at)
		}
	}
	mask := rl.PeakMask(H, s.PeakRatio)
	var mean float64
	n := 0
	for j, on := range mask {
		if on {
			mean += H[j]
			n++
		}
	}
	if n == 0 {
		return 0
	}
	mean /= float64(n)
	if ru.prog.SirenAnchor == nil {
		anchor := s.AnchorVal
		if s.Anchor == "initial" {
			anchor = mean // the first mini-batch of RL fixes the anchor
		}
		ru.prog.SirenAnchor = &anchor
	}
	_, dH := s.AnchoredLoss(mean, *ru.prog.SirenAnchor, n)
	for j, on := range mask {
		if !on {
			continue
		}
		lg := ru.policy.LogitGrad(pos[j])
		for v, g := range grads[j] {
			lg[v] += float32(dH * g)
		}
	}
	return mean
}

// lpRegProxies scores the batch with the sampling policy (before any
// update) and builds the Lp-Reg proxy at each selected position: sampled
// token below the batch's low-probability quantile, surviving the filter,
// with negative advantage (when configured).
func (ru *runner) lpRegProxies(xs []sample, a *advantage, mbSize int) (map[[2]int][]float64, error) {
	l := ru.r.RL.LpReg
	var probs []float64
	for _, x := range xs {
		for _, lp := range x.oldLogp {
			probs = append(probs, math.Exp(float64(lp)))
		}
	}
	thr := l.Threshold(probs)
	out := map[[2]int][]float64{}
	for lo := 0; lo < len(xs); lo += mbSize {
		mb := xs[lo:min(lo+mbSize, len(xs))]
		b, starts := ru.trainBatch(mb)
		if _, err := ru.policy.Score(b); err != nil {
			return nil, err
		}
		for i, x := range mb {
			for t := range x.comp {
				at := starts[i] + t
				if b.Mask[at] == 0 || math.Exp(float64(x.oldLogp[t])) > thr || (l.OnlyNegative && a.tok[lo+i][t] >= 0) {
					continue
				}
				p, _ := tensor.Softmax64(ru.policy.Logits(at))
				proxy := l.Proxy(p)
				if proxy[x.comp[t]] > 0 {
					out[[2]int{lo + i, t}] = proxy
				}
			}
		}
	}
	return out, nil
}

// lpRegGrad adds beta * mean KL(proxy || pi_theta) over the mini-batch's
// selected positions to the logit gradients and returns that mean KL.
func (ru *runner) lpRegGrad(mb []sample, lo int, b *lm.Batch, starts []int, proxies map[[2]int][]float64) float64 {
	l := ru.r.RL.LpReg
	type sel struct {
		at    int
		proxy []float64
	}
	var sels []sel
	for i, x := range mb {
		for t := range x.comp {
			if p, ok := proxies[[2]int{lo + i, t}]; ok {
				sels = append(sels, sel{starts[i] + t, p})
			}
		}
	}
	if len(sels) == 0 {
		return 0
	}
	var klSum float64
	for _, s := range sels {
		z := ru.policy.Logits(s.at)
		g := make([]float64, len(z))
		klSum += l.KL(s.proxy, z, g)
		lg := ru.policy.LogitGrad(s.at)
		for v := range g {
			lg[v] += float32(l.Beta * g[v] / float64(len(sels)))
		}
	}
	return klSum / float64(len(sels))
}

// laserCalibrate is LaSeR's constant c: the mean log-prob of the reserved
// token after each completion under the frozen reference, over the first
// RL batch.
func (ru *runner) laserCalibrate(xs []sample) (float64, error) {
	b, starts := ru.trainBatch(xs)
	sc, err := ru.ref.Score(b)
	if err != nil {
		return 0, err
	}
	var c float64
	for i, x := range xs {
		c += float64(sc.LogProbs[starts[i]+len(x.comp)]) / float64(len(xs))
	}
	return c, nil
}
