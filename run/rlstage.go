package run

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// timeSplit accumulates where RL steps spend their wall time.
type timeSplit struct {
	Sample float64 `json:"sample"` // Generate
	Score  float64 `json:"score"`  // grading, reference and critic scoring, advantages
	Train  float64 `json:"train"`  // forward, backward and optimiser steps
	Total  float64 `json:"total"`  // whole steps (evaluations excluded)
}

// sample is one generated completion of an RL step.
type sample struct {
	prob    int // index into the step's problems
	prompt  []int32
	comp    []int32 // generated tokens (EOS included when stopped)
	oldLogp []float32
	stopped bool
	reward  float64
	correct bool
	text    string
}

// newCritic makes the value model: the policy's weights plus a value head.
func (ru *runner) newCritic() error {
	cfg := ru.policy.Cfg
	cfg.ValueHead = true
	c, err := lm.New(cfg, ru.r.Seed+7)
	if err != nil {
		return err
	}
	src, dst := ru.policy.Params(), c.Params()
	for i := range src {
		copy(dst[i].W, src[i].W)
	}
	ru.critic = c
	ru.critOpt = optim.NewAdamW(c.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
	return nil
}

func (ru *runner) rlStage() error {
	c := ru.r.RL
	if ru.prog.Base == nil {
		if err := checkpoint.SaveModel(filepath.Join(ru.dir, RefDir), ru.policy); err != nil {
			return err
		}
		ru.ref = ru.policy.Clone()
		if c.AdvEstimator == "gae" && c.Steps > 0 {
			if err := ru.newCritic(); err != nil {
				return err
			}
		}
		base, err := ru.evaluate("base")
		if err != nil {
			return err
		}
		ru.prog.Base = &base
		ru.metrics.Write(map[string]any{"stage": "eval", "gstep": ru.prog.GStep, "eval": base})
		if err := ru.checkpoint("rl"); err != nil {
			return err
		}
	}
	if ru.opt == nil {
		ru.opt = ru.newOptimizer("rl")
	}
	for s := ru.prog.GStep - ru.sftEnd(); s < c.Steps; s++ {
		if err := ru.rlStep(s); err != nil {
			return fmt.Errorf("rl step %d: %w", s+1, err)
		}
		ru.prog.GStep = ru.sftEnd() + s + 1
		if ru.r.Eval.Every > 0 && (s+1)%ru.r.Eval.Every == 0 && s+1 < c.Steps {
			res, err := ru.evaluate(fmt.Sprintf("step%d", s+1))
			if err != nil {
				return err
			}
			ru.metrics.Write(map[string]any{"stage": "eval", "gstep": ru.prog.GStep, "eval": res})
		}
		if (s+1)%ru.r.CheckpointEvery == 0 || s+1 == c.Steps {
			if err := ru.checkpoint("rl"); err != nil {
				return err
			}
		}
	}
	return nil
}

// rlStep is one iteration: sample G completions per prompt, grade, compute
// advantages, and take mini-batch policy-gradient steps.
func (ru *runner) rlStep(s int) error {
	c := ru.r.RL
	tStep := time.Now()
	rounds := 1
	if c.DynamicSampling {
		rounds = max(1, c.MaxGenRounds)
	}
	var problems []task.Problem
	var err error
	var tSelf float64
	if ru.selfOn() {
		t0 := time.Now()
		if problems, err = ru.selfProblems(s, c.PromptsPerStep*rounds); err != nil {
			return err
		}
		tSelf = time.Since(t0).Seconds()
	} else if problems, err = task.Generate(ru.task, task.Train, ru.r.Seed*7_000_003+uint64(s), c.PromptsPerStep*rounds, ru.r.Task.Template); err != nil {
		return err
	}
	rng := rand.New(ru.rng)
	var kept []sample
	var all []sample
	genRounds := 0
	tSample, tScore := tSelf, 0.0
	for round := 0; round < rounds; round++ {
		genRounds++
		t0 := time.Now()
		batch, err := ru.generate(problems[round*c.PromptsPerStep:(round+1)*c.PromptsPerStep], round*c.PromptsPerStep, rng)
		if err != nil {
			return err
		}
		tSample += time.Since(t0).Seconds()
		t0 = time.Now()
		ru.grade(problems, batch)
		tScore += time.Since(t0).Seconds()
		all = append(all, batch...)
		for _, g := range rl.Groups(len(batch), c.GroupSize) {
			rewards := make([]float64, len(g))
			for j, i := range g {
				rewards[j] = batch[i].reward
			}
			if !c.DynamicSampling || rl.Informative(rewards, seq(len(g))) {
				for _, i := range g {
					kept = append(kept, batch[i])
				}
			}
		}
		if !c.DynamicSampling || len(kept) >= c.PromptsPerStep*c.GroupSize {
			break
		}
	}
	if len(kept) > c.PromptsPerStep*c.GroupSize {
		kept = kept[:c.PromptsPerStep*c.GroupSize]
	}
	m := map[string]any{"stage": "rl", "gstep": ru.sftEnd() + s + 1, "step": s + 1, "gen_rounds": genRounds,
		"kept_samples": len(kept)}
	var acc, rew, length float64
	for _, x := range all {
		rew += x.reward
		length += float64(len(x.comp))
		if x.correct {
			acc++
		}
	}
	n := float64(len(all))
	m["reward"], m["accuracy"], m["response_len"] = rew/n, acc/n, length/n
	var tTrain float64
	if len(kept) > 0 && c.SAR.Alpha != 0 {
		t0 := time.Now()
		mean, err := ru.addSAR(kept)
		if err != nil {
			return err
		}
		m["sar"] = mean
		tScore += time.Since(t0).Seconds()
	}
	if len(kept) > 0 {
		t0 := time.Now()
		adv, err := ru.advantages(kept)
		if err != nil {
			return err
		}
		tScore += time.Since(t0).Seconds()
		t0 = time.Now()
		if err := ru.update(kept, adv, m); err != nil {
			return err
		}
		tTrain = time.Since(t0).Seconds()
		for i := 0; i < min(ru.r.SamplesPerStep, len(kept)); i++ {
			x := kept[i]
			ru.samples.Write(map[string]any{"gstep": ru.sftEnd() + s + 1, "prompt": ru.tok.Decode(x.prompt[1:]),
				"completion": x.text, "reward": x.reward, "correct": x.correct, "advantage": adv.seq[i]})
		}
	}
	total := time.Since(tStep).Seconds()
	ru.prog.RLTime.Sample += tSample
	ru.prog.RLTime.Score += tScore
	ru.prog.RLTime.Train += tTrain
	ru.prog.RLTime.Total += total
	m["time_sample"], m["time_score"], m["time_train"], m["time_step"] = tSample, tScore, tTrain, total
	m["tokens_per_s"] = length / tSample
	ru.metrics.Write(m)
	ru.status("rl", s+1, c.Steps, fmt.Sprintf("accuracy %.3f", m["accuracy"]))
	if (s+1)%10 == 0 || s == 0 || s+1 == c.Steps {
		ru.logf("rl %d/%d  reward %.3f  accuracy %.3f  length %.1f  entropy %.3f  kl %.4f  clip %.3f  %.1fs\n",
			s+1, c.Steps, m["reward"], m["accuracy"], m["response_len"], m["entropy"], m["kl"], m["clip_frac"], total)
	}
	return nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// generate samples GroupSize completions of each problem (problem indices
// start at base) with the current policy.
func (ru *runner) generate(ps []task.Problem, base int, rng *rand.Rand) ([]sample, error) {
	c := ru.r.RL
	var prompts [][]int32
	var out []sample
	for i, p := range ps {
		pt, err := ru.encodePrompt(p)
		if err != nil {
			return nil, err
		}
		for g := 0; g < c.GroupSize; g++ {
			prompts = append(prompts, pt)
			out = append(out, sample{prob: base + i, prompt: pt})
		}
	}
	gen, err := ru.policy.Generate(prompts, lm.SampleOptions{Temperature: c.Temperature, MaxNew: c.MaxNewTokens, Stop: []int32{ru.eos}}, rng)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].comp, out[i].oldLogp, out[i].stopped = gen.Tokens[i], gen.LogProbs[i], gen.Stopped[i]
		out[i].text = ru.completionText(gen.Tokens[i])
	}
	return out, nil
}

// grade sets rewards: the task's reward plus DAPO's overlong penalty.
func (ru *runner) grade(ps []task.Problem, batch []sample) {
	c := ru.r.RL
	for i := range batch {
		rw := ru.task.Grade(ps[batch[i].prob], batch[i].text)
		batch[i].reward, batch[i].correct = rw.Reward, rw.Correct
		if c.OverlongBufferLen > 0 {
			batch[i].reward += rl.OverlongPenalty(len(batch[i].comp), c.MaxNewTokens, c.OverlongBufferLen, c.OverlongPenaltyFactor)
		}
	}
}

// advantage holds per-sequence and per-token advantages and, for PPO,
// value targets and old values.
type advantage struct {
	seq     []float64   // per sequence (for logging)
	tok     [][]float64 // per generated token
	ret     [][]float64 // value targets (gae)
	oldV    [][]float64 // critic values at sampling time (gae)
	refLogp [][]float64 // reference log-probs (when a KL is used)
}

// trainBatch lays samples out as a right-padded batch with the loss mask on
// generated tokens.
func (ru *runner) trainBatch(xs []sample) (*lm.Batch, []int) {
	extra := 0
	if ru.laserTok >= 0 {
		extra = 1 // LaSeR scores its reserved token after each completion
	}
	T := 0
	for _, x := range xs {
		T = max(T, len(x.prompt)+len(x.comp)+extra)
	}
	b := &lm.Batch{Rows: len(xs), Len: T, Tokens: make([]int32, len(xs)*T), Mask: make([]float32, len(xs)*T),
		Temperature: ru.r.RL.Temperature}
	starts := make([]int, len(xs))
	for i, x := range xs {
		copy(b.Tokens[i*T:], x.prompt)
		copy(b.Tokens[i*T+len(x.prompt):], x.comp)
		starts[i] = i*T + len(x.prompt)
		if extra == 1 {
			b.Tokens[starts[i]+len(x.comp)] = ru.laserTok
			b.Mask[starts[i]+len(x.comp)] = 1 // scored for LaSeR only; the policy loss skips it
		}
		if ru.r.RL.MaskTruncated && !x.stopped {
			continue // DAPO overlong filtering: truncated samples do not train
		}
		for t := range x.comp {
			b.Mask[starts[i]+t] = 1
		}
	}
	return b, starts
}

func (ru *runner) advantages(xs []sample) (*advantage, error) {
	c := ru.r.RL
	rewards := make([]float64, len(xs))
	correct := make([]bool, len(xs))
	lengths := make([]int, len(xs))
	for i, x := range xs {
		rewards[i], correct[i], lengths[i] = x.reward, x.correct, len(x.comp)
	}
	groups := rl.Groups(len(xs), c.GroupSize)
	if c.GRPOLambda.TopFrac > 0 {
		// GRPO-λ: length-penalised rewards for the most-solved groups.
		rewards, _ = rl.GRPOLambdaRewards(correct, lengths, groups, c.GRPOLambda.TopFrac)
		for i := range xs {
			xs[i].reward = rewards[i]
		}
	}
	a := &advantage{tok: make([][]float64, len(xs)), seq: make([]float64, len(xs))}
	needRef := c.KLCoef > 0
	var b *lm.Batch
	var starts []int
	if needRef || c.AdvEstimator == "gae" {
		b, starts = ru.trainBatch(xs)
	}
	if needRef {
		sc, err := ru.ref.Score(b)
		if err != nil {
			return nil, err
		}
		a.refLogp = make([][]float64, len(xs))
		for i, x := range xs {
			a.refLogp[i] = make([]float64, len(x.comp))
			for t := range x.comp {
				a.refLogp[i][t] = float64(sc.LogProbs[starts[i]+t])
			}
		}
	}
	// k1 of the sampling policy against the reference, per token.
	k1 := func(i, t int) float64 { return float64(xs[i].oldLogp[t]) - a.refLogp[i][t] }
	broadcast := func(per []float64) {
		for i, x := range xs {
			a.seq[i] = per[i]
			a.tok[i] = make([]float64, len(x.comp))
			for t := range a.tok[i] {
				a.tok[i][t] = per[i]
			}
		}
	}
	switch c.AdvEstimator {
	case "grpo":
		if norm, _ := rl.ParseAdvNorm(c.AdvNorm); norm != rl.NormGroup {
			broadcast(rl.NormalizedAdvantages(rewards, groups, norm)) // Lite PPO and its ablations
		} else {
			broadcast(rl.GRPOAdvantages(rewards, groups, c.NormByStd))
		}
	case "psr", "nsr", "full", "w_reinforce":
		mode, _ := rl.ParseReinforceMode(c.AdvEstimator)
		broadcast(rl.SignedAdvantages(correct, mode, c.ReinforceLambda))
	case "drgrpo":
		broadcast(rl.DrGRPOAdvantages(rewards, groups))
	case "rloo":
		broadcast(rl.RLOOAdvantages(rewards, groups))
	case "reinforcepp", "reinforcepp_baseline":
		var kl [][]float64
		for i, x := range xs {
			if needRef {
				row := make([]float64, len(x.comp))
				for t := range row {
					row[t] = k1(i, t)
				}
				kl = append(kl, row)
			}
		}
		a.tok = rl.ReinforcePPAdvantages(rewards, groups, kl, lengths, c.KLCoef, c.AdvEstimator == "reinforcepp_baseline")
		for i := range xs {
			if len(a.tok[i]) > 0 {
				a.seq[i] = a.tok[i][0]
			}
		}
	case "gae":
		sc, err := ru.critic.Score(b)
		if err != nil {
			return nil, err
		}
		a.ret, a.oldV = make([][]float64, len(xs)), make([][]float64, len(xs))
		for i, x := range xs {
			L := len(x.comp)
			r, v := make([]float64, L), make([]float64, L)
			for t := 0; t < L; t++ {
				v[t] = float64(sc.Values[starts[i]+t])
				if c.KLInReward && needRef {
					r[t] = -c.KLCoef * k1(i, t)
				}
			}
			if L > 0 {
				r[L-1] += x.reward
			}
			a.tok[i], a.ret[i] = rl.GAE(r, v, c.Gamma, c.GAELambda)
			a.oldV[i] = v
		}
		rl.WhitenTokens(a.tok)
		for i := range xs {
			if len(a.tok[i]) > 0 {
				a.seq[i] = a.tok[i][0]
			}
		}
	}
	return a, nil
}

// update runs the epochs of mini-batch updates and records loss metrics.
func (ru *runner) update(xs []sample, a *advantage, m map[string]any) error {
	c := ru.r.RL
	mode, _ := rl.ParseAggMode(c.LossAggMode)
	est, _ := rl.ParseKLEstimator(c.KLEstimator)
	klInLoss := c.KLCoef > 0 && !c.KLInReward && c.AdvEstimator != "reinforcepp" && c.AdvEstimator != "reinforcepp_baseline"
	sched := optim.Schedule{Kind: "constant", Warmup: c.Warmup}
	lr := sched.LR(ru.prog.GStep-ru.sftEnd(), c.LR)
	mbSize := (len(xs) + c.MiniBatches - 1) / c.MiniBatches
	constLen := float64(c.AggConstLen)
	if constLen == 0 {
		constLen = float64(mbSize * c.MaxNewTokens)
	}
	var entSum, klSum, clipped, tokens, lossSum, gnSum, vlossSum, driftSum, sirenSum, lpSum, laserSum float64
	updates := 0
	var proxies map[[2]int][]float64 // Lp-Reg: (sample, token) -> proxy distribution
	if c.LpReg.Beta != 0 {
		var err error
		if proxies, err = ru.lpRegProxies(xs, a, mbSize); err != nil {
			return err
		}
		m["lp_reg_positions"] = len(proxies)
	}
	// Mini-batches are laid out once and reused by every epoch.
	type miniBatch struct {
		b      *lm.Batch
		starts []int
	}
	var mbs []miniBatch
	for lo := 0; lo < len(xs); lo += mbSize {
		b, starts := ru.trainBatch(xs[lo:min(lo+mbSize, len(xs))])
		mbs = append(mbs, miniBatch{b, starts})
	}
	for e := 0; e < c.Epochs; e++ {
		for k, lo := 0, 0; lo < len(xs); k, lo = k+1, lo+mbSize {
			hi := min(lo+mbSize, len(xs))
			mb := xs[lo:hi]
			b, starts := mbs[k].b, mbs[k].starts
			sc, err := ru.policy.Score(b)
			if err != nil {
				return err
			}
			lengths := make([]int, len(mb))
			for i, x := range mb {
				for t := range x.comp {
					if b.Mask[starts[i]+t] != 0 {
						lengths[i]++
					}
				}
			}
			w := mode.Weights(lengths, constLen)
			dlp := make([]float32, len(b.Tokens))
			dent := make([]float32, len(b.Tokens))
			if c.PolicyLoss == "drpo" {
				l, drift := ru.drpoGrad(mb, b, starts, lengths, sc.LogProbs, dlp)
				lossSum += l
				driftSum += drift
			}
			for i, x := range mb {
				for t := range x.comp {
					at := starts[i] + t
					if b.Mask[at] == 0 {
						continue
					}
					logp := float64(sc.LogProbs[at])
					var grad float64
					cl := false
					if c.PolicyLoss != "drpo" {
						l, d, clip := c.Clip.Token(a.tok[lo+i][t], logp, float64(x.oldLogp[t]))
						grad, cl = w[i]*d, clip
						lossSum += w[i] * l
					}
					if klInLoss {
						v, dk := est.Token(logp, a.refLogp[lo+i][t])
						grad += c.KLCoef * w[i] * dk
						lossSum += c.KLCoef * w[i] * v
					}
					if a.refLogp != nil {
						v, _ := rl.K3.Token(logp, a.refLogp[lo+i][t])
						klSum += v
					}
					dlp[at] += float32(grad)
					dent[at] = float32(-c.EntropyCoef * w[i])
					entSum += float64(sc.Entropies[at])
					tokens++
					if cl {
						clipped++
					}
				}
			}
			if c.SIREN.Coef != 0 {
				sirenSum += ru.sirenGrad(mb, b, starts)
			}
			if ru.laserTok >= 0 {
				if ru.prog.LaserC == nil {
					cal, err := ru.laserCalibrate(xs)
					if err != nil {
						return err
					}
					ru.prog.LaserC = &cal
				}
				for i, x := range mb {
					at := starts[i] + len(x.comp)
					r := 0.0
					if x.correct {
						r = 1
					}
					v, d := c.LaSeR.Term(float64(sc.LogProbs[at]), *ru.prog.LaserC, r)
					laserSum += v / float64(len(mb))
					dlp[at] += float32(d / float64(len(mb)))
				}
			}
			if len(proxies) > 0 {
				lpSum += ru.lpRegGrad(mb, lo, b, starts, proxies)
			}
			ru.policy.ZeroGrad()
			if err := ru.policy.Backward(dlp, dent, nil); err != nil {
				return err
			}
			gn, err := optim.ClipGradNorm(ru.policy.Params(), c.GradClip)
			if err != nil {
				return err
			}
			gnSum += gn
			ru.opt.Step(lr)
			updates++
			if ru.critic != nil {
				vl, err := ru.valueUpdate(b, starts, mb, a, lo, w)
				if err != nil {
					return err
				}
				vlossSum += vl
			}
		}
	}
	tokens = math.Max(tokens, 1)
	m["entropy"], m["kl"], m["clip_frac"] = entSum/tokens, klSum/tokens, clipped/tokens
	m["loss"], m["grad_norm"], m["lr"] = lossSum/float64(updates), gnSum/float64(updates), lr
	if ru.critic != nil {
		m["value_loss"] = vlossSum / float64(updates)
	}
	if c.PolicyLoss == "drpo" {
		m["drift_kl"] = driftSum / float64(updates)
	}
	if c.SIREN.Coef != 0 {
		m["siren_entropy"] = sirenSum / float64(updates)
	}
	if c.LpReg.Beta != 0 {
		m["lp_reg_kl"] = lpSum / float64(updates)
	}
	if ru.laserTok >= 0 {
		m["laser_mse"] = laserSum / float64(updates)
	}
	return nil
}

// valueUpdate takes one critic step on the clipped value loss
// 0.5 * max((V - Ret)^2, (clip(V, V_old - c, V_old + c) - Ret)^2).
func (ru *runner) valueUpdate(b *lm.Batch, starts []int, mb []sample, a *advantage, lo int, w []float64) (float64, error) {
	c := ru.r.RL
	sc, err := ru.critic.Score(b)
	if err != nil {
		return 0, err
	}
	dv := make([]float32, len(b.Tokens))
	var loss float64
	for i, x := range mb {
		for t := range x.comp {
			at := starts[i] + t
			if b.Mask[at] == 0 {
				continue
			}
			v, old, ret := float64(sc.Values[at]), a.oldV[lo+i][t], a.ret[lo+i][t]
			vc := old + math.Max(-c.ValueClip, math.Min(c.ValueClip, v-old))
			l1, l2 := (v-ret)*(v-ret), (vc-ret)*(vc-ret)
			var g float64
			if l1 >= l2 {
				loss += 0.5 * w[i] * l1
				g = v - ret
			} else {
				loss += 0.5 * w[i] * l2
				if math.Abs(v-old) < c.ValueClip {
					g = vc - ret
				}
			}
			dv[at] = float32(c.VFCoef * w[i] * g)
		}
	}
	ru.critic.ZeroGrad()
	if err := ru.critic.Backward(nil, nil, dv); err != nil {
		return 0, err
	}
	if _, err := optim.ClipGradNorm(ru.critic.Params(), c.GradClip); err != nil {
		return 0, err
	}
	ru.critOpt.Step(c.ValueLR)
	return loss, nil
}
