package run

// InT plug-in (card C1; algebra and CHOICEs in rl/int.go): when the RL
// stage starts (initHook), the model attempts k_attempts solutions of
// `problems` training problems; on the failed attempts of the hard ones it
// locates the first wrong line (locate: model, the line its own greedy
// re-derivation disagrees with; verifier, the line that leaves chain's
// reference solution), proposes a one-line intervention there (propose:
// model, its own samples; reference, the reference line), keeps guided
// attempts (the lines before the error, then the intervention) that pass
// the leak and correctness filters, and fine-tunes on them (sft_target)
// for sft_steps steps; outcome RL (the recipe's estimator) then starts
// from that model: the reference model and the base evaluation are of it.
// Made for task chain, whose lines are checkable steps. It writes one
// metrics line {"stage": "int", ...}: int_attempts, int_failed (failed
// attempts of hard problems), int_hard (hard problems), int_located
// (failed attempts with a located error), int_loc_agree (share of located
// errors at the verifier's first error), int_leaks, int_rows (SFT rows),
// int_row_problems, int_nll_before / int_nll_after (token-mean NLL of the
// rows), time_int (seconds).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("int", "InT: SFT on the model's own failed attempts cut at their first wrong line plus a one-line intervention, then RL",
		rl.InT{Problems: 128, KAttempts: 4, HardOnly: true, Temperature: 1, Locate: "model", Propose: "model",
			KInterventions: 2, KGuide: 4, MinGuidedSuccesses: 1, LeakFilter: true, KeepPerProblem: "all",
			SFTTarget: "prefix_int", AppendEOS: false, SFTSteps: 12, SFTBatch: 32, SFTLR: 3e-4},
		func(c *rl.InT, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Task.Name != "chain" {
				return nil, fmt.Errorf("locates wrong lines against chain's reference solution: needs task chain, not %s", r.Task.Name)
			}
			if r.Env.Name != "single" || r.Env.MaxTurns > 1 {
				return nil, fmt.Errorf("repairs one-turn attempts: needs env single, not %s", r.Env.Name)
			}
			return &intervention{c: *c}, nil
		}, "int.problems=8", "int.sft_steps=3", "int.sft_batch=8")
}

type intervention struct{ c rl.InT }

func (*intervention) name() string { return "int" }

// intRow is one SFT row: the prompt and the trained target.
type intRow struct {
	prompt, target []int32
	prob           int
}

// intAttempt is a failed attempt and what the pipeline found in it.
type intAttempt struct {
	prob   int
	lines  []string  // its lines (text, no newline)
	spans  [][2]int  // their generated-token ranges
	gen    []int32   // its tokens
	at     int       // the located wrong line (-1: none)
	cands  []string  // interventions to try, in order
	guided [][]int32 // the guided attempt of each candidate (tokens after the prompt)
	texts  []string  // and its text
}

func (p *intervention) beforeRL(ru *runner) error {
	t0 := time.Now()
	c := p.c
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x696e74))
	ps, err := task.Generate(ru.task, task.Train, ru.r.Seed*9_000_011+0x696e74, c.Problems, ru.r.Task.Template)
	if err != nil {
		return err
	}
	maxNew := ru.r.RL.MaxNewTokens
	xs, err := ru.rollout(ps, 0, c.KAttempts, c.Temperature, maxNew, ru.r.RL.Slots, rng)
	if err != nil {
		return fmt.Errorf("int attempts: %w", err)
	}
	m := map[string]any{"stage": "int", "gstep": ru.prog.GStep, "int_attempts": len(xs)}
	solved := make([]int, len(ps))
	for _, x := range xs {
		if x.correct {
			solved[x.prob]++
		}
	}
	prefix := ru.r.Task.Template.AnswerPrefix
	var atts []*intAttempt
	hard := 0
	for i := range ps {
		if solved[i] == 0 {
			hard++
		}
	}
	for _, x := range xs {
		if x.correct || (c.HardOnly && solved[x.prob] > 0) {
			continue
		}
		a := &intAttempt{prob: x.prob, gen: x.gen, spans: splitSteps(x.gen, ru.tok.Decode), at: -1}
		for _, sp := range a.spans {
			a.lines = append(a.lines, strings.TrimRight(ru.completionText(x.gen[sp[0]:sp[1]]), "\n"))
		}
		atts = append(atts, a)
	}
	m["int_hard"], m["int_failed"] = hard, len(atts)
	// Locate the first wrong line.
	var agree, located float64
	verifierAt := make([]int, len(atts))
	for i, a := range atts {
		verifierAt[i], _, err = task.ChainFirstError(ps[a.prob].Question, ps[a.prob].Answer, strings.Join(a.lines, "\n"), prefix)
		if err != nil {
			return err
		}
	}
	switch c.Locate {
	case "verifier":
		for i, a := range atts {
			a.at = verifierAt[i]
		}
	case "model":
		if err := p.locateByModel(ru, ps, atts, rng); err != nil {
			return err
		}
	}
	for i, a := range atts {
		if a.at >= 0 {
			located++
			if a.at == verifierAt[i] {
				agree++
			}
		}
	}
	m["int_located"], m["int_loc_agree"] = located, agree/math.Max(located, 1)
	// Propose interventions and build the guided attempts.
	leaks := 0
	if err := p.propose(ru, ps, atts, rng); err != nil {
		return err
	}
	for _, a := range atts {
		if a.at < 0 {
			continue
		}
		var keep []string
		for _, cand := range a.cands {
			if c.LeakFilter && rl.Leaks(cand, prefix+ps[a.prob].Answer) {
				leaks++
				continue
			}
			keep = append(keep, cand)
		}
		a.cands = keep
		for _, cand := range a.cands {
			g, err := rl.GuidedAttempt(a.lines, a.at+1, cand, "\n")
			if err != nil {
				return err
			}
			g += "\n" // the intervention is a whole line (CHOICE: chain's steps end with the newline)
			ids, err := ru.tok.Encode(g)
			if err != nil {
				return fmt.Errorf("int guided attempt: %w", err)
			}
			a.guided, a.texts = append(a.guided, ids), append(a.texts, g)
		}
	}
	m["int_leaks"] = leaks
	rows, err := p.filterAndBuild(ru, ps, atts, rng)
	if err != nil {
		return err
	}
	m["int_rows"] = len(rows)
	probs := map[int]bool{}
	for _, r := range rows {
		probs[r.prob] = true
	}
	m["int_row_problems"] = len(probs)
	if len(rows) > 0 {
		nll, err := rowsNLL(ru.policy, rows)
		if err != nil {
			return err
		}
		m["int_nll_before"] = nll
		if err := p.sft(ru, rows, rng); err != nil {
			return err
		}
		if nll, err = rowsNLL(ru.policy, rows); err != nil {
			return err
		}
		m["int_nll_after"] = nll
	}
	m["time_int"] = time.Since(t0).Seconds()
	ru.logf("int: %d attempts, %d failed on %d hard problems, %d errors located (%.2f at the verifier's), %d leaks, %d SFT rows on %d problems (%.1fs)\n",
		len(xs), len(atts), hard, int(located), m["int_loc_agree"], leaks, len(rows), len(probs), m["time_int"])
	return ru.metrics.Write(m)
}

// locateByModel takes as each attempt's wrong line the first whose text
// differs from the model's greedy re-derivation of it from the prompt and
// the lines before; an attempt with no such line has none (-1).
func (p *intervention) locateByModel(ru *runner, ps []task.Problem, atts []*intAttempt, rng *rand.Rand) error {
	type ask struct{ att, line int }
	var asks []ask
	var ctxs [][]int32
	var budget []int
	stop := lineStop(ru)
	for i, a := range atts {
		prompt, err := ru.encodePrompt(ps[a.prob])
		if err != nil {
			return err
		}
		for k, sp := range a.spans {
			ctx := append(append([]int32{}, prompt...), a.gen[:sp[0]]...)
			asks, ctxs = append(asks, ask{i, k}), append(ctxs, ctx)
			budget = append(budget, min(sp[1]-sp[0]+8, ru.r.Model.MaxLen-len(ctx)))
		}
	}
	jobs, err := ru.sampleFrom(ctxs, budget, 0, stop, rng)
	if err != nil {
		return err
	}
	for j, q := range asks {
		a := atts[q.att]
		if a.at >= 0 && a.at < q.line {
			continue
		}
		var got []int32
		if jobs[j] != nil {
			got = jobs[j].Tokens
		}
		if stepText(ru, got) != strings.Join(strings.Fields(a.lines[q.line]), "") {
			a.at = q.line
		}
	}
	return nil
}

// lineStop is the stop token list of one-line generations.
func lineStop(ru *runner) []int32 {
	if nl := ru.newlineID(); nl >= 0 {
		return []int32{nl}
	}
	return nil
}

// propose fills each located attempt's candidate interventions.
func (p *intervention) propose(ru *runner, ps []task.Problem, atts []*intAttempt, rng *rand.Rand) error {
	c := p.c
	prefix := ru.r.Task.Template.AnswerPrefix
	if c.Propose == "reference" {
		for _, a := range atts {
			if a.at < 0 {
				continue
			}
			steps, ans, err := task.ChainReference(ps[a.prob].Question)
			if err != nil {
				return err
			}
			fix := prefix + ans
			if a.at < len(steps) {
				fix = steps[a.at]
			}
			a.cands = []string{fix}
		}
		return nil
	}
	var ctxs [][]int32
	var budget []int
	var owner []int
	for i, a := range atts {
		if a.at < 0 {
			continue
		}
		prompt, err := ru.encodePrompt(ps[a.prob])
		if err != nil {
			return err
		}
		lo := len(a.gen)
		if a.at < len(a.spans) {
			lo = a.spans[a.at][0]
		}
		ctx := append(append([]int32{}, prompt...), a.gen[:lo]...)
		for range c.KInterventions {
			ctxs, owner = append(ctxs, ctx), append(owner, i)
			budget = append(budget, min(24, ru.r.Model.MaxLen-len(ctx)))
		}
	}
	jobs, err := ru.sampleFrom(ctxs, budget, c.Temperature, lineStop(ru), rng)
	if err != nil {
		return err
	}
	for j, i := range owner {
		a := atts[i]
		if jobs[j] == nil {
			continue
		}
		cand := strings.TrimSpace(ru.completionText(jobs[j].Tokens))
		wrong := ""
		if a.at < len(a.lines) {
			wrong = strings.TrimSpace(a.lines[a.at])
		}
		if cand == "" || cand == wrong || containsString(a.cands, cand) {
			continue
		}
		a.cands = append(a.cands, cand)
	}
	return nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// filterAndBuild runs the correctness filter (k_guide continuations of
// each guided attempt, the first candidate of an attempt that passes is
// kept) and makes the SFT rows of the kept attempts.
func (p *intervention) filterAndBuild(ru *runner, ps []task.Problem, atts []*intAttempt, rng *rand.Rand) ([]intRow, error) {
	c := p.c
	type cont struct{ att, cand int }
	var who []cont
	var ctxs [][]int32
	var budget []int
	prompts := map[int][]int32{}
	for i, a := range atts {
		if _, ok := prompts[a.prob]; !ok {
			pr, err := ru.encodePrompt(ps[a.prob])
			if err != nil {
				return nil, err
			}
			prompts[a.prob] = pr
		}
		for k, g := range a.guided {
			ctx := append(append([]int32{}, prompts[a.prob]...), g...)
			for range c.KGuide {
				who, ctxs = append(who, cont{i, k}), append(ctxs, ctx)
				budget = append(budget, min(ru.r.RL.MaxNewTokens-len(g), ru.r.Model.MaxLen-len(ctx)))
			}
		}
	}
	jobs, err := ru.sampleFrom(ctxs, budget, c.Temperature, nil, rng)
	if err != nil {
		return nil, err
	}
	rewards := map[cont][]float64{}
	suffix := map[cont][]int32{}
	for j, w := range who {
		a := atts[w.att]
		var gen []int32
		if jobs[j] != nil {
			gen = jobs[j].Tokens
		}
		rw := ru.task.Grade(ps[a.prob], a.texts[w.cand]+ru.completionText(gen))
		rewards[w] = append(rewards[w], rw.Reward)
		if rw.Correct && suffix[w] == nil && len(gen) > 0 && gen[len(gen)-1] == ru.eos {
			suffix[w] = gen
		}
	}
	var rows []intRow
	perProblem := map[int]bool{}
	for i, a := range atts {
		chosen := -1
		for k := range a.guided {
			if c.KGuide == 0 || rl.KeepGuided(rewards[cont{i, k}], c.MinGuidedSuccesses) {
				chosen = k
				break
			}
		}
		if chosen < 0 || (c.KeepPerProblem == "one" && perProblem[a.prob]) {
			continue
		}
		var target []int32
		switch c.SFTTarget {
		case "prefix_int":
			target = append([]int32{}, a.guided[chosen]...)
		case "prefix_only":
			lo := len(a.gen)
			if a.at < len(a.spans) {
				lo = a.spans[a.at][0]
			}
			target = append([]int32{}, a.gen[:lo]...)
		case "prefix_int_suffix":
			if suffix[cont{i, chosen}] == nil {
				continue
			}
			target = append(append([]int32{}, a.guided[chosen]...), suffix[cont{i, chosen}]...)
		case "full_reference":
			steps, ans, err := task.ChainReference(ps[a.prob].Question)
			if err != nil {
				return nil, err
			}
			ids, err := ru.tok.Encode(strings.Join(append(steps, ru.r.Task.Template.AnswerPrefix+ans), "\n"))
			if err != nil {
				return nil, err
			}
			target = append(ids, ru.eos)
		}
		if c.AppendEOS && (c.SFTTarget == "prefix_int" || c.SFTTarget == "prefix_only") {
			target = append(target, ru.eos)
		}
		if len(target) == 0 || len(prompts[a.prob])+len(target) > ru.r.Model.MaxLen {
			continue
		}
		perProblem[a.prob] = true
		rows = append(rows, intRow{prompt: prompts[a.prob], target: target, prob: a.prob})
	}
	return rows, nil
}

// rowsLMBatch lays SFT rows out, the mask on the targets' tokens.
func rowsLMBatch(rows []intRow) *lm.Batch {
	T := 1
	for _, r := range rows {
		T = max(T, len(r.prompt)+len(r.target))
	}
	b := &lm.Batch{Rows: len(rows), Len: T, Tokens: make([]int32, len(rows)*T), Mask: make([]float32, len(rows)*T)}
	for i, r := range rows {
		copy(b.Tokens[i*T:], r.prompt)
		copy(b.Tokens[i*T+len(r.prompt):], r.target)
		for t := range r.target {
			b.Mask[i*T+len(r.prompt)+t] = 1
		}
	}
	return b
}

// rowsNLL is the token-mean NLL of the rows' targets under m.
func rowsNLL(m *lm.Model, rows []intRow) (float64, error) {
	var lps []float64
	for lo := 0; lo < len(rows); lo += 64 {
		b := rowsLMBatch(rows[lo:min(lo+64, len(rows))])
		sc, err := m.Score(b)
		if err != nil {
			return 0, err
		}
		for i, w := range b.Mask {
			if w != 0 {
				lps = append(lps, float64(sc.LogProbs[i]))
			}
		}
	}
	_, mean := rl.NLL(lps)
	return mean, nil
}

// sft takes sft_steps steps of token-mean NLL on batches of rows drawn in
// shuffled passes, lr cosine from sft_lr to a tenth.
func (p *intervention) sft(ru *runner, rows []intRow, rng *rand.Rand) error {
	c := p.c
	if c.SFTSteps == 0 {
		return nil
	}
	opt := optim.NewAdamW(ru.policy.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
	sched := optim.Schedule{Kind: "cosine", Total: c.SFTSteps, MinRatio: 0.1}
	order := rng.Perm(len(rows))
	next := 0
	for s := 0; s < c.SFTSteps; s++ {
		batch := make([]intRow, 0, c.SFTBatch)
		for len(batch) < min(c.SFTBatch, len(rows)) {
			if next == len(order) {
				order, next = rng.Perm(len(rows)), 0
			}
			batch = append(batch, rows[order[next]])
			next++
		}
		b := rowsLMBatch(batch)
		sc, err := ru.policy.Score(b)
		if err != nil {
			return fmt.Errorf("int sft step %d: %w", s+1, err)
		}
		var n float64
		for _, w := range b.Mask {
			n += float64(w)
		}
		dlp := make([]float32, len(b.Tokens))
		for i, w := range b.Mask {
			if w != 0 {
				dlp[i] = -w / float32(n)
			}
		}
		_ = sc
		ru.policy.ZeroGrad()
		if err := ru.policy.Backward(dlp, nil, nil); err != nil {
			return fmt.Errorf("int sft step %d: %w", s+1, err)
		}
		if _, err := optim.ClipGradNorm(ru.policy.Params(), ru.r.SFT.GradClip); err != nil {
			return err
		}
		opt.Step(sched.LR(s, c.SFTLR))
	}
	return nil
}
