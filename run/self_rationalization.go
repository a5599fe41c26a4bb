package run

// Self-Rationalization plug-in (card D3; the loss in rl/dpo.go): the
// policy is a judge (a task whose problems are items to judge and whose
// reference answer is the item's gold score, e.g. rubric). Each RL step
// samples rl.group_size judgements (rationale, then score) of every item;
// the step's pairs come from the judge's own judgements (rl.ScorePairs:
// chosen = the gold score, a meta-judge's good rationales first;
// rejected = farthest score first) and the policy is trained with DPO on
// them, replacing the clipped surrogate. The reference is the policy at
// the start of each iteration of iteration_steps steps (ref: iteration,
// the card's) or the frozen initial policy throughout (ref: initial).
// loss: sft trains the chosen side of the same pairs by likelihood
// instead (SFT on the same self-generated data, the ablation).
//
// CHOICEs kept as knobs: beta, nll, pairs_per_item, meta_judge, ref,
// iteration_steps, loss. Mini-batches must hold whole groups. The
// reference log-probs are left in the step's advantage (refLogp), so the
// loop's logged kl, and its KL term when rl.kl_coef > 0, are against the
// same reference as DPO's.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// SelfRationalizationConfig is the recipe's self_rationalization section.
type SelfRationalizationConfig struct {
	Beta           float64 `yaml:"beta"`
	NLL            float64 `yaml:"nll"`
	PairsPerItem   int     `yaml:"pairs_per_item"`
	MetaJudge      string  `yaml:"meta_judge"`
	Ref            string  `yaml:"ref"`
	IterationSteps int     `yaml:"iteration_steps"`
	Loss           string  `yaml:"loss"`
}

// SRRefDir holds the reference of each self_rationalization iteration
// after the first (the first's is the run's reference), one directory
// per iteration's first step, so a resumed run finds its iteration's.
const SRRefDir = "self_rationalization_ref"

func init() {
	registerMethod("self_rationalization", "Self-Rationalization: DPO on preference pairs of the judge's own rationales, iterated",
		SelfRationalizationConfig{Beta: 0.1, PairsPerItem: 2, MetaJudge: "rationale_check", Ref: "iteration", IterationSteps: 20, Loss: "dpo"},
		func(c *SelfRationalizationConfig, r *Recipe) (method, error) {
			switch {
			case c.Beta <= 0:
				return nil, fmt.Errorf("beta %v must be positive", c.Beta)
			case c.NLL < 0:
				return nil, fmt.Errorf("nll %v must be >= 0", c.NLL)
			case c.PairsPerItem < 0:
				return nil, fmt.Errorf("pairs_per_item %d must be >= 0 (0: no bound)", c.PairsPerItem)
			case c.MetaJudge != "rationale_check" && c.MetaJudge != "none":
				return nil, fmt.Errorf("meta_judge %q: want rationale_check or none", c.MetaJudge)
			case c.Ref != "iteration" && c.Ref != "initial":
				return nil, fmt.Errorf("ref %q: want iteration or initial", c.Ref)
			case c.Ref == "iteration" && c.IterationSteps < 1:
				return nil, fmt.Errorf("iteration_steps %d must be >= 1", c.IterationSteps)
			case c.Loss != "dpo" && c.Loss != "sft":
				return nil, fmt.Errorf("loss %q: want dpo or sft", c.Loss)
			case r.RL.MiniBatches > 0 && r.RL.PromptsPerStep%r.RL.MiniBatches != 0:
				return nil, fmt.Errorf("needs whole groups in each mini-batch (rl.prompts_per_step divisible by rl.mini_batches)")
			case r.RL.GroupSize < 2:
				return nil, fmt.Errorf("needs rl.group_size >= 2 judgements per item")
			}
			if _, dyn := r.Methods["dapo"]; dyn {
				return nil, fmt.Errorf("cannot run with dapo (its resampling breaks whole groups)")
			}
			return &selfRationalization{cfg: *c, dpo: rl.DPO{Beta: c.Beta, NLL: c.NLL}}, nil
		}, "self_rationalization.iteration_steps=3")
}

type selfRationalization struct {
	cfg SelfRationalizationConfig
	dpo rl.DPO

	ref      *lm.Model // the current iteration's reference (nil: not yet resolved)
	refStart int       // the RL step its iteration starts at

	pairs  [][2]int  // the step's pairs, indices into its kept samples
	refSeq []float64 // reference sequence log-prob of each kept sample
	// per step, over its updates
	loss, margin, won, n float64
}

func (*selfRationalization) name() string { return "self_rationalization" }

// rationaleChecker is a task with a meta-judge of rationales (rubric).
type rationaleChecker interface {
	RationaleOK(p task.Problem, completion string) bool
}

func (s *selfRationalization) setup(ru *runner) error {
	if s.cfg.MetaJudge == "rationale_check" {
		if _, ok := ru.task.(rationaleChecker); !ok {
			return fmt.Errorf("self_rationalization: meta_judge rationale_check needs a task that checks rationales (rubric), not %s", ru.task.Name())
		}
	}
	return nil
}

// reference returns the reference model of RL step step (0-based),
// taking or loading the iteration's when a new one starts.
func (s *selfRationalization) reference(ru *runner, step int) (*lm.Model, error) {
	start := 0
	if s.cfg.Ref == "iteration" {
		start = step / s.cfg.IterationSteps * s.cfg.IterationSteps
	}
	if s.ref != nil && s.refStart == start {
		return s.ref, nil
	}
	s.refStart = start
	if start == 0 {
		s.ref = ru.ref
		return s.ref, nil
	}
	dir := filepath.Join(ru.dir, SRRefDir, "step"+strconv.Itoa(start))
	if _, err := os.Stat(dir); err == nil { // a resumed run: the iteration's saved reference
		m, err := checkpoint.LoadModel(dir)
		if err != nil {
			return nil, fmt.Errorf("self_rationalization reference: %w", err)
		}
		s.ref = m
		return m, nil
	}
	s.ref = ru.policy.Clone() // the policy as the iteration starts
	if err := checkpoint.SaveModel(dir, s.ref); err != nil {
		return nil, fmt.Errorf("self_rationalization reference: %w", err)
	}
	return s.ref, nil
}

// afterAdvantages builds the step's pairs and the reference log-probs;
// the advantages are left to the loss, which does not use them.
func (s *selfRationalization) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	step := ru.prog.GStep - ru.sftEnd()
	ref, err := s.reference(ru, step)
	if err != nil {
		return err
	}
	checker, _ := ru.task.(rationaleChecker)
	s.pairs = s.pairs[:0]
	var good, scored, paired float64
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	for _, g := range groups {
		p := xs[g[0]].ep.Problem
		gold, err := strconv.Atoi(p.Answer)
		if err != nil {
			return fmt.Errorf("self_rationalization: item %q has gold %q, not a score", p.Question, p.Answer)
		}
		scores := make([]int, len(g))
		var ok []bool
		if s.cfg.MetaJudge == "rationale_check" {
			ok = make([]bool, len(g))
		}
		for j, i := range g {
			text := lastPolicyText(xs[i].ep)
			scores[j] = judgeScore(ru.task, p, text)
			if scores[j] >= 0 {
				scored++
			}
			if checker != nil && checker.RationaleOK(p, text) {
				good++
				if ok != nil {
					ok[j] = true
				}
			}
		}
		ps := rl.ScorePairs(scores, gold, ok, s.cfg.PairsPerItem)
		if len(ps) > 0 {
			paired++
		}
		for _, pr := range ps {
			s.pairs = append(s.pairs, [2]int{g[pr[0]], g[pr[1]]})
		}
	}
	if err := setRefLogp(ru, ref, xs, a); err != nil {
		return err
	}
	s.refSeq = make([]float64, len(xs))
	for i := range xs {
		for _, v := range a.refLogp[i] {
			s.refSeq[i] += v
		}
	}
	n := float64(len(xs))
	m["sr_pairs"], m["sr_items_paired"] = len(s.pairs), paired/float64(len(groups))
	m["sr_scored"], m["sr_iteration"] = scored/n, s.refStart/max(1, s.cfg.IterationSteps)
	if checker != nil {
		m["sr_rationale_ok"] = good / n
	}
	return nil
}

// judgeScore is a judgement's score (its answer under the task's
// grader), or -1 when it has none that is an integer.
func judgeScore(t task.Task, p task.Problem, text string) int {
	rw := t.Grade(p, text)
	if !rw.FormatOK {
		return -1
	}
	v, err := strconv.Atoi(rw.Pred)
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// setRefLogp scores the samples under ref into a.refLogp (per trained
// token), replacing what the loop computed against its own reference.
func setRefLogp(ru *runner, ref *lm.Model, xs []sample, a *advantage) error {
	b, starts := ru.trainBatch(xs)
	sc, err := ref.Score(b)
	if err != nil {
		return err
	}
	a.refLogp = make([][]float64, len(xs))
	for i, x := range xs {
		a.refLogp[i] = make([]float64, len(x.gen))
		for t := range x.gen {
			a.refLogp[i][t] = float64(sc.LogProbs[starts[i]+x.pos[t]])
		}
	}
	return nil
}

// miniBatchLoss is the mean DPO loss (or the chosen side's likelihood)
// over the pairs within the mini-batch.
func (s *selfRationalization) miniBatchLoss(ru *runner, mb *miniBatch) float64 {
	seqLogp := func(i int) (float64, int) {
		x := mb.xs[i]
		var sum float64
		n := 0
		for _, p := range x.pos {
			if at := mb.starts[i] + p; mb.b.Mask[at] != 0 {
				sum += float64(mb.sc.LogProbs[at])
				n++
			}
		}
		return sum, n
	}
	add := func(i int, d float64) {
		x := mb.xs[i]
		for _, p := range x.pos {
			if at := mb.starts[i] + p; mb.b.Mask[at] != 0 {
				mb.dlp[at] += float32(d)
			}
		}
	}
	var in [][2]int
	for _, pr := range s.pairs {
		if pr[0] >= mb.lo && pr[0] < mb.lo+len(mb.xs) && pr[1] >= mb.lo && pr[1] < mb.lo+len(mb.xs) {
			in = append(in, [2]int{pr[0] - mb.lo, pr[1] - mb.lo})
		}
	}
	if len(in) == 0 {
		return 0
	}
	P := float64(len(in))
	var loss float64
	for _, pr := range in {
		w, l := pr[0], pr[1]
		lw, nw := seqLogp(w)
		ll, _ := seqLogp(l)
		refW, refL := s.refSeq[mb.lo+w], s.refSeq[mb.lo+l]
		margin := s.dpo.Margin(lw, refW, ll, refL)
		s.margin += margin
		if margin > 0 {
			s.won++
		}
		s.n++
		if s.cfg.Loss == "sft" {
			if nw > 0 {
				loss += -lw / float64(nw) / P
				add(w, -1/float64(nw)/P)
			}
			continue
		}
		l1, dW, dL := s.dpo.Pair(lw, refW, ll, refL, nw)
		loss += l1 / P
		add(w, dW/P)
		add(l, dL/P)
	}
	s.loss += loss
	return loss
}

func (s *selfRationalization) reportUpdate(m map[string]any, updates int) {
	if s.n > 0 {
		m["dpo_margin"], m["dpo_pair_acc"] = s.margin/s.n, s.won/s.n
	}
	if updates > 0 {
		m["dpo_loss"] = s.loss / float64(updates)
	}
	s.loss, s.margin, s.won, s.n = 0, 0, 0, 0
}
