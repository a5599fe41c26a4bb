package run

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/episode"
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

// sample is one episode of an RL step, laid out for training.
type sample struct {
	ep      *episode.Episode
	prob    int       // index into the step's problems
	ids     []int32   // the episode's tokens
	pos     []int     // positions in ids of the policy's (trainable) tokens
	gen     []int32   // the policy's tokens (ids at pos)
	oldLogp []float32 // their log-probs, recorded while sampling
	stopped bool      // the last turn ended on EOS or a stop sequence
	reward  float64
	correct bool
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
		for _, h := range hooks[initHook](ru) {
			if err := h.beforeRL(ru); err != nil {
				return err
			}
		}
		if err := checkpoint.SaveModel(filepath.Join(ru.dir, RefDir), ru.policy); err != nil {
			return err
		}
		ru.ref = ru.policy.Clone()
		ru.newRoleModels()
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
		ru.prog.Pass1 = map[int]float64{ru.prog.GStep: base.Curve[0]}
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
		evaluated := false
		if ru.r.Eval.Every > 0 && (s+1)%ru.r.Eval.Every == 0 && s+1 < c.Steps {
			res, err := ru.evaluate(fmt.Sprintf("step%d", s+1))
			if err != nil {
				return err
			}
			ru.metrics.Write(map[string]any{"stage": "eval", "gstep": ru.prog.GStep, "eval": res})
			if ru.prog.Pass1 == nil {
				ru.prog.Pass1 = map[int]float64{}
			}
			ru.prog.Pass1[ru.prog.GStep] = res.Curve[0]
			evaluated = true
		}
		if evaluated || (s+1)%ru.r.CheckpointEvery == 0 || s+1 == c.Steps || ru.checkpointDue() {
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
	filters := hooks[groupFilter](ru)
	for _, f := range filters {
		rounds = max(rounds, f.rounds())
	}
	var problems []task.Problem
	var err error
	var tSelf float64
	if src := hooks[problemSource](ru); len(src) > 0 {
		t0 := time.Now()
		if problems, err = src[0].problems(ru, s, c.PromptsPerStep*rounds); err != nil {
			return err
		}
		tSelf = time.Since(t0).Seconds()
	} else if problems, err = task.Generate(ru.task, task.Train, ru.r.Seed*7_000_003+uint64(s), c.PromptsPerStep*rounds, ru.r.Task.Template); err != nil {
		return err
	}
	rng := rand.New(ru.rng)
	m0 := map[string]any{} // figures of the rollout workers (rl.staleness > 0)
	var kept []sample
	var all []sample
	var extra []sample // a rolloutSource's trained samples that are not episodes of the step
	genRounds, judgeFailures := 0, 0
	tSample, tScore := tSelf, 0.0
	for round := 0; round < rounds; round++ {
		genRounds++
		t0 := time.Now()
		var batch, more []sample
		ps := problems[round*c.PromptsPerStep : (round+1)*c.PromptsPerStep]
		src := hooks[rolloutSource](ru)
		switch {
		case len(src) > 0 && ru.opts.Rollouts != nil:
			err = fmt.Errorf("rollout workers cannot run %s's own rollouts", src[0].(method).name())
		case len(src) > 0:
			batch, more, err = src[0].rollout(ru, ps, round*c.PromptsPerStep, rng)
		case ru.opts.Rollouts != nil: // rollout workers sample (run/rollouts.go)
			var eps []*episode.Episode
			if eps, err = ru.remoteRollout(s, round, ps, c.GroupSize, m0); err == nil {
				batch = samplesOf(eps, round*c.PromptsPerStep, c.GroupSize)
			}
		default:
			batch, err = ru.rollout(ps, round*c.PromptsPerStep, c.GroupSize, c.Temperature, c.MaxNewTokens, c.Slots, rng)
		}
		if err != nil {
			return err
		}
		tSample += time.Since(t0).Seconds()
		t0 = time.Now()
		for _, h := range hooks[episodeRewriter](ru) {
			if err := h.rewriteEpisodes(ru, s, batch); err != nil {
				return err
			}
		}
		fails, err := ru.grade(batch, rng)
		if err != nil {
			return err
		}
		judgeFailures += fails
		tScore += time.Since(t0).Seconds()
		all = append(all, batch...)
		for _, g := range rl.Groups(len(batch), c.GroupSize) {
			rewards := make([]float64, len(g))
			for j, i := range g {
				rewards[j] = batch[i].reward
			}
			keep := true
			for _, f := range filters {
				keep = keep && f.keepGroup(rewards)
			}
			if keep {
				for _, i := range g {
					kept = append(kept, batch[i])
				}
			}
		}
		extra = append(extra, more...)
		if len(filters) == 0 || len(kept) >= c.PromptsPerStep*c.GroupSize {
			break
		}
	}
	if len(kept) > c.PromptsPerStep*c.GroupSize {
		kept = kept[:c.PromptsPerStep*c.GroupSize]
	}
	kept = append(kept, extra...)
	m := map[string]any{"stage": "rl", "gstep": ru.sftEnd() + s + 1, "step": s + 1, "gen_rounds": genRounds,
		"kept_samples": len(kept)}
	maps.Copy(m, m0)
	var acc, rew, length, turns float64
	info := map[string]float64{}
	for _, x := range all {
		rew += x.reward
		length += float64(len(x.gen))
		if x.correct {
			acc++
		}
		turns += float64(x.ep.Turns())
		for k, v := range x.ep.Info {
			info[k] += v
		}
	}
	n := float64(len(all))
	m["reward"], m["accuracy"], m["response_len"] = rew/n, acc/n, length/n
	if ru.r.Env.MaxTurns > 1 {
		m["turns"] = turns / n
	}
	if ru.r.Judge.Name == "model" {
		m["judge_parse_failures"] = judgeFailures
	}
	for k, v := range info {
		m[k] = v / n
	}
	var tTrain float64
	if len(kept) > 0 {
		t0 := time.Now()
		for _, h := range hooks[rewardHook](ru) {
			if err := h.beforeAdvantages(ru, kept, m); err != nil {
				return err
			}
		}
		adv, err := ru.advantages(kept)
		if err != nil {
			return err
		}
		for _, h := range hooks[advantageHook](ru) {
			if err := h.afterAdvantages(ru, kept, adv, m); err != nil {
				return err
			}
		}
		if lag, _ := m0["rollout_staleness"].(int); lag > 0 && c.OffPolicy != "drop" {
			if err := ru.truncatedIS(kept, adv, m); err != nil {
				return err
			}
		}
		tScore += time.Since(t0).Seconds()
		t0 = time.Now()
		if err := ru.update(kept, adv, m); err != nil {
			return err
		}
		if err := ru.updateRoles(kept, m); err != nil {
			return err
		}
		tTrain = time.Since(t0).Seconds()
		for i := 0; i < min(ru.r.SamplesPerStep, len(kept)); i++ {
			rec := episode.NewRecord(kept[i].ep, ru.r.Env.Name, adv.tok[i])
			rec.GStep, rec.Step, rec.Episode, rec.Group, rec.Advantage = ru.sftEnd()+s+1, s+1, i, i/c.GroupSize, adv.seq[i]
			rec.Reward = kept[i].reward
			ru.samples.Write(rec)
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
		// A step whose groups were all dropped (dynamic sampling) made no
		// update: its update figures print as "-".
		f := func(k, format string) string {
			if v, ok := m[k].(float64); ok {
				return fmt.Sprintf(format, v)
			}
			return "-"
		}
		ru.logf("rl %d/%d  reward %.3f  accuracy %.3f  length %.1f  entropy %s  kl %s  clip %s  %.1fs\n",
			s+1, c.Steps, m["reward"], m["accuracy"], m["response_len"], f("entropy", "%.3f"), f("kl", "%.4f"), f("clip_frac", "%.3f"), total)
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

// rollout plays groupSize episodes of each problem (problem indices start
// at base) with the current policy in the recipe's environment, at most
// slots at once.
func (ru *runner) rollout(ps []task.Problem, base, groupSize int, temp float32, maxNew, slots int, rng *rand.Rand) ([]sample, error) {
	eps, err := ru.playPolicy(ps, groupSize, temp, maxNew, slots, rng)
	if err != nil {
		return nil, err
	}
	return samplesOf(eps, base, groupSize), nil
}

// playPolicy plays groupSize episodes of each problem, in problem order.
func (ru *runner) playPolicy(ps []task.Problem, groupSize int, temp float32, maxNew, slots int, rng *rand.Rand) ([]*episode.Episode, error) {
	return ru.playPolicyIn(ru.newEnv, ps, groupSize, temp, maxNew, slots, rng)
}

// playPolicyIn is playPolicy in another environment than the recipe's
// (SSRL's self-search episodes).
func (ru *runner) playPolicyIn(newEnv episode.Factory, ps []task.Problem, groupSize int, temp float32, maxNew, slots int, rng *rand.Rand) ([]*episode.Episode, error) {
	var list []task.Problem
	for _, p := range ps {
		for g := 0; g < groupSize; g++ {
			list = append(list, p)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	eng, err := ru.policy.NewEngine(min(len(list), max(1, slots)), ru.r.Model.MaxLen, lm.SampleOptions{Temperature: temp}, rng)
	if err != nil {
		return nil, err
	}
	defer eng.Release()
	ro := episode.Rollout{Engine: eng, Codec: ru.tok, EOS: ru.eos, MaxNew: maxNew, MaxTurns: ru.r.Env.MaxTurns, MaxLen: ru.r.Model.MaxLen}
	for _, name := range slices.Sorted(maps.Keys(ru.r.Roles)) {
		rc := ru.r.Roles[name]
		if ro.Players == nil {
			ro.Players = map[string]*episode.Player{}
		}
		if rc.Model == "endpoint" {
			ro.Players[name] = &episode.Player{Source: "endpoint:" + name, MaxNew: rc.MaxNewTokens, Temperature: rc.Temperature,
				Remote: newEndpointClient(rc.Endpoint), RemoteIDs: rc.Endpoint.TokenIDs}
			continue
		}
		model, source, err := ru.playerModel(name, rc)
		if err != nil {
			return nil, err
		}
		pe, err := model.NewEngine(min(len(list), max(1, slots)), ru.r.Model.MaxLen, lm.SampleOptions{Temperature: rc.Temperature}, rng)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
		defer pe.Release()
		ro.Players[name] = &episode.Player{Engine: pe, Source: source, Trainable: rc.Model == "policy", MaxNew: rc.MaxNewTokens}
	}
	return ro.Run(list, newEnv)
}

// samplesOf lays out episodes for training (problem indices start at base).
func samplesOf(eps []*episode.Episode, base, groupSize int) []sample {
	out := make([]sample, len(eps))
	for i, e := range eps {
		out[i] = sample{ep: e, prob: base + i/groupSize, reward: e.Reward, correct: e.Correct}
		out[i].layout()
	}
	return out
}

// layout sets the sample's tokens, trained positions, generated tokens,
// sampling log-probs and stop flag from its episode's segments.
func (x *sample) layout() {
	x.pos, x.oldLogp = x.ep.Trainable()
	x.ids, x.gen, x.stopped = x.ep.IDs(), x.ep.Generated(), x.ep.LastStopped()
}

// grade sets the final rewards: the environment's, or the model judge's
// when the recipe has one (correctness stays the environment's), then the
// methods' reward shaping. It returns the number of judge outputs that did
// not parse.
func (ru *runner) grade(batch []sample, rng *rand.Rand) (int, error) {
	failures := 0
	if j := ru.r.Judge; j.Name == "model" {
		model := ru.policy
		if j.Model == "reference" {
			model = ru.ref
		}
		judge := &episode.ModelJudge{Model: model, Codec: ru.tok, BOS: ru.bos, EOS: ru.eos, Template: j.Template,
			Format: j.Format, MaxScore: j.MaxScore, Samples: j.Samples, Combine: j.Combine, Temperature: j.Temperature,
			MaxNew: j.MaxNewTokens, Fallback: j.Fallback, RNG: rng}
		if j.Model == "endpoint" {
			judge.Endpoint, judge.Chat = ru.judgeEndpoint(), j.Endpoint.Chat
		}
		items := make([]episode.Item, len(batch))
		for i, x := range batch {
			items[i] = episode.Item{Problem: x.ep.Problem, Response: lastPolicyText(x.ep)}
		}
		vs, err := judge.Judge(items)
		if err != nil {
			return 0, err
		}
		for i, v := range vs {
			batch[i].reward = v.Reward
			batch[i].ep.Reward = v.Reward
			batch[i].ep.Verdicts = append(batch[i].ep.Verdicts, v)
		}
		failures = judge.Failures
	}
	shapers := hooks[sampleShaper](ru)
	for i := range batch {
		for _, h := range shapers {
			h.shapeReward(ru, &batch[i])
		}
	}
	return failures, nil
}

// lastPolicyText is the text of an episode's last policy turn.
func lastPolicyText(e *episode.Episode) string {
	for i := len(e.Segments) - 1; i >= 0; i-- {
		if e.Segments[i].Trainable {
			return e.Segments[i].Text
		}
	}
	return ""
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

// trainBatch lays samples out as a right-padded batch, one episode per
// row, with the loss mask on the policy's tokens; starts holds each row's
// offset. A batchExtender's token follows each episode, scored but not
// trained by the policy loss.
func (ru *runner) trainBatch(xs []sample) (*lm.Batch, []int) {
	extra := int32(-1)
	for _, h := range hooks[batchExtender](ru) {
		if t := h.extraToken(); t >= 0 {
			extra = t
		}
	}
	T := 0
	for _, x := range xs {
		T = max(T, len(x.ids)+b2i(extra >= 0))
	}
	b := &lm.Batch{Rows: len(xs), Len: T, Tokens: make([]int32, len(xs)*T), Mask: make([]float32, len(xs)*T),
		Temperature: ru.r.RL.Temperature}
	starts := make([]int, len(xs))
	maskers := hooks[trainMasker](ru)
	for i, x := range xs {
		starts[i] = i * T
		copy(b.Tokens[i*T:], x.ids)
		if extra >= 0 {
			b.Tokens[i*T+len(x.ids)] = extra
			b.Mask[i*T+len(x.ids)] = 1 // scored for the extender only; the policy loss skips it
		}
		masked := false
		for _, h := range maskers {
			masked = masked || h.masked(&x)
		}
		if masked {
			continue
		}
		for _, p := range x.pos {
			b.Mask[i*T+p] = 1
		}
	}
	return b, starts
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (ru *runner) advantages(xs []sample) (*advantage, error) {
	c := ru.r.RL
	rewards := make([]float64, len(xs))
	correct := make([]bool, len(xs))
	lengths := make([]int, len(xs))
	for i, x := range xs {
		rewards[i], correct[i], lengths[i] = x.reward, x.correct, len(x.gen)
	}
	groups := rl.Groups(len(xs), c.GroupSize)
	a := &advantage{tok: make([][]float64, len(xs)), seq: make([]float64, len(xs))}
	needRef := c.KLCoef > 0
	var b *lm.Batch
	var starts []int
	if needRef || c.AdvEstimator == "gae" {
		b, starts = ru.trainBatch(xs)
	}
	if needRef {
		var err error
		if a.refLogp, err = ru.refLogProbs(xs, b, starts); err != nil {
			return nil, err
		}
	}
	// k1 of the sampling policy against the reference, per token.
	k1 := func(i, t int) float64 { return float64(xs[i].oldLogp[t]) - a.refLogp[i][t] }
	broadcast := func(per []float64) {
		for i, x := range xs {
			a.seq[i] = per[i]
			a.tok[i] = make([]float64, len(x.gen))
			for t := range a.tok[i] {
				a.tok[i][t] = per[i]
			}
		}
	}
	if adv, ok := ru.outcomeAdvantages(rewards, correct, groups); ok {
		broadcast(adv)
		if err := ru.roleAdvantages(xs, correct, groups, a); err != nil {
			return nil, err
		}
	}
	switch c.AdvEstimator {
	case "reinforcepp", "reinforcepp_baseline":
		var kl [][]float64
		for i, x := range xs {
			if needRef {
				row := make([]float64, len(x.gen))
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
			L := len(x.gen)
			r, v := make([]float64, L), make([]float64, L)
			for t := 0; t < L; t++ {
				v[t] = float64(sc.Values[starts[i]+x.pos[t]])
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

// outcomeAdvantages is the recipe's outcome estimator (one advantage per
// sample from its reward, within its group); ok is false for the
// token-level estimators (reinforcepp, gae).
func (ru *runner) outcomeAdvantages(rewards []float64, correct []bool, groups [][]int) ([]float64, bool) {
	c := ru.r.RL
	switch c.AdvEstimator {
	case "grpo":
		if norm, _ := rl.ParseAdvNorm(c.AdvNorm); norm != rl.NormGroup {
			return rl.NormalizedAdvantages(rewards, groups, norm), true // Lite PPO and its ablations
		}
		return rl.GRPOAdvantages(rewards, groups, c.NormByStd), true
	case "psr", "nsr", "full", "w_reinforce":
		mode, _ := rl.ParseReinforceMode(c.AdvEstimator)
		return rl.SignedAdvantages(correct, mode, c.ReinforceLambda), true
	case "drgrpo":
		return rl.DrGRPOAdvantages(rewards, groups), true
	case "rloo":
		return rl.RLOOAdvantages(rewards, groups), true
	}
	return nil, false
}

// roleAdvantages gives the tokens of each trained role other than the
// policy's (a role the policy plays, e.g. a critic in self-play) their own
// advantages: the outcome estimator over the role's rewards
// (Episode.RoleRewards), within the same groups. The policy's tokens keep
// the episode's advantage.
func (ru *runner) roleAdvantages(xs []sample, correct []bool, groups [][]int, a *advantage) error {
	for _, name := range slices.Sorted(maps.Keys(ru.r.Roles)) {
		if ru.r.Roles[name].Model != "policy" {
			continue
		}
		rewards := make([]float64, len(xs))
		roleCorrect := make([]bool, len(xs))
		for i, x := range xs {
			rewards[i] = x.ep.RoleRewards[name]
			roleCorrect[i] = rewards[i] > 0
		}
		adv, _ := ru.outcomeAdvantages(rewards, roleCorrect, groups)
		for i, x := range xs {
			k := 0
			for _, seg := range x.ep.Segments {
				if !seg.Trainable {
					continue
				}
				if seg.Role == name {
					for t := range seg.IDs {
						a.tok[i][k+t] = adv[i]
					}
				}
				k += len(seg.IDs)
			}
		}
	}
	return nil
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
	var entSum, klSum, clipped, tokens, lossSum, gnSum, vlossSum float64
	updates := 0
	for _, h := range hooks[updateHook](ru) {
		if err := h.beforeUpdate(ru, xs, a, mbSize, m); err != nil {
			return err
		}
	}
	replacers := hooks[lossReplacer](ru)
	terms := hooks[miniBatchTerm](ru)
	// Mini-batches are laid out once and reused by every epoch.
	type layout struct {
		b      *lm.Batch
		starts []int
	}
	var mbs []layout
	for lo := 0; lo < len(xs); lo += mbSize {
		b, starts := ru.trainBatch(xs[lo:min(lo+mbSize, len(xs))])
		mbs = append(mbs, layout{b, starts})
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
				for _, p := range x.pos {
					if b.Mask[starts[i]+p] != 0 {
						lengths[i]++
					}
				}
			}
			w := mode.Weights(lengths, constLen)
			dlp := make([]float32, len(b.Tokens))
			dent := make([]float32, len(b.Tokens))
			mbc := &miniBatch{xs: mb, lo: lo, b: b, starts: starts, sc: sc, lengths: lengths, w: w, dlp: dlp, adv: a}
			for _, h := range replacers {
				lossSum += h.miniBatchLoss(ru, mbc)
			}
			for i, x := range mb {
				for t, p := range x.pos {
					at := starts[i] + p
					if b.Mask[at] == 0 {
						continue
					}
					logp := float64(sc.LogProbs[at])
					var grad float64
					cl := false
					if len(replacers) == 0 {
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
			for _, h := range terms {
				if err := h.miniBatchTerm(ru, mbc); err != nil {
					return err
				}
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
	for _, h := range hooks[updateReporter](ru) {
		h.reportUpdate(m, updates)
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
		for t, p := range x.pos {
			at := starts[i] + p
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

// refLogProbs scores the samples' trained tokens under the reference
// model, laying out a batch when b is nil.
func (ru *runner) refLogProbs(xs []sample, b *lm.Batch, starts []int) ([][]float64, error) {
	if b == nil {
		b, starts = ru.trainBatch(xs)
	}
	sc, err := ru.ref.Score(b)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = make([]float64, len(x.gen))
		for t := range x.gen {
			out[i][t] = float64(sc.LogProbs[starts[i]+x.pos[t]])
		}
	}
	return out, nil
}
