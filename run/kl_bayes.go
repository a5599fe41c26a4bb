package run

// KL-as-Bayesian-inference plug-in (card D6; algebra in rl/kl_bayes.go).
// It measures, on held-out probe problems of an enumerable task (task
// split: every way of writing N as a+b), how far the policy is from the
// reward-tilted prior pi* = pi_0 e^{r/beta} / Z that KL-regularised RL
// targets: every `every` RL steps, after the step's updates, it scores
// every enumerated answer under the policy and the reference pi_0 by
// teacher forcing and logs the KL and its chain-rule terms. With fit it
// also trains towards pi*:
//
//	fit none    measure only (plain GRPO, or GRPO + beta k3 via rl.kl_coef)
//	fit kl_rl   exact KL-RL: the reward becomes r - beta (log pi_old(y) - log pi_0(y))
//	            (use adv_estimator rloo: REINFORCE with a leave-one-out baseline)
//	fit dpg     distribution matching (DPG): advantages n w_i - 1 with the
//	            self-normalised weights w_i ∝ pi_0(y_i) e^{r_i/beta} / pi_old(y_i)
//
// Metrics (means over the probes): klb_kl (KL(pi || pi*)), klb_kl_norm
// (over KL(pi_0 || pi*)), klb_kl_bin, klb_kl_right, klb_kl_wrong, klb_p,
// klb_p0, klb_pstar, klb_h_right (H(pi(.|C)) / H(pi_0(.|C))),
// klb_top_right (the largest pi(y|C)), klb_rest (mass outside the set),
// klb_j (E[r] - beta KL(pi || pi_0)) and klb_beta_eff (from the mean p and p0).

import (
	"fmt"
	"math"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// KLBayesConfig is the recipe section `kl_bayes:`.
type KLBayesConfig struct {
	Beta   float64 `yaml:"beta"`   // the target's temperature
	Fit    string  `yaml:"fit"`    // none, kl_rl or dpg
	Probes int     `yaml:"probes"` // held-out problems the target is measured on
	Every  int     `yaml:"every"`  // RL steps between measurements (0: the last step only)
}

func init() {
	registerMethod("kl_bayes", "KL-RL as Bayesian inference: measure the KL to the tilted prior, or fit it (exact KL-RL, DPG)",
		KLBayesConfig{Beta: 0.3, Fit: "none", Probes: 8, Every: 10},
		func(c *KLBayesConfig, r *Recipe) (method, error) {
			if c.Beta <= 0 || c.Probes < 1 || c.Every < 0 {
				return nil, fmt.Errorf("beta > 0, probes >= 1 and every >= 0")
			}
			switch c.Fit {
			case "none", "kl_rl", "dpg":
			default:
				return nil, fmt.Errorf("fit %q: want none, kl_rl or dpg", c.Fit)
			}
			return &klBayes{c: *c}, nil
		}, "kl_bayes.probes=2", "kl_bayes.every=3")
}

type klBayes struct {
	c      KLBayesConfig
	ru     *runner
	probes []klProbe
}

// klProbe is one probe problem: its enumerated answers laid out as a
// batch, their rewards and their log-probs under the reference.
type klProbe struct {
	b      *lm.Batch
	lo, hi []int // each row's scored token range
	r      []float64
	logp0  []float64
}

func (*klBayes) name() string { return "kl_bayes" }

func (k *klBayes) setup(ru *runner) error {
	en, ok := ru.task.(task.Enumerable)
	if !ok {
		return fmt.Errorf("task %s cannot enumerate its answers (kl_bayes needs one that can, e.g. split)", ru.task.Name())
	}
	k.ru = ru
	ps, err := task.Generate(ru.task, task.Test, ru.r.Seed+0x6b6c, k.c.Probes, ru.r.Task.Template)
	if err != nil {
		return fmt.Errorf("probe problems: %w", err)
	}
	for _, p := range ps {
		prompt, err := ru.promptIDs(p.Prompt)
		if err != nil {
			return err
		}
		var rows [][]int32
		var pr klProbe
		for _, a := range en.Answers(p) {
			text := ru.r.Task.Template.AnswerPrefix + a
			ids, err := ru.tok.Encode(text)
			if err != nil {
				return fmt.Errorf("probe answer %q: %w", text, err)
			}
			row := append(append(append([]int32{}, prompt...), ids...), ru.eos)
			rows = append(rows, row)
			pr.lo, pr.hi = append(pr.lo, len(prompt)), append(pr.hi, len(row))
			if ru.task.Grade(p, text).Correct {
				pr.r = append(pr.r, 1)
			} else {
				pr.r = append(pr.r, 0)
			}
		}
		T := 0
		for _, row := range rows {
			T = max(T, len(row))
		}
		pr.b = &lm.Batch{Rows: len(rows), Len: T, Tokens: make([]int32, len(rows)*T), Mask: make([]float32, len(rows)*T),
			Temperature: ru.r.RL.Temperature}
		for i, row := range rows {
			copy(pr.b.Tokens[i*T:], row)
			for t := pr.lo[i]; t < pr.hi[i]; t++ {
				pr.b.Mask[i*T+t] = 1
			}
		}
		k.probes = append(k.probes, pr)
	}
	return nil
}

// seqLogProbs scores a probe's answers under m: log pi(y) per row.
func (pr *klProbe) seqLogProbs(m *lm.Model) ([]float64, error) {
	sc, err := m.Score(pr.b)
	if err != nil {
		return nil, err
	}
	out := make([]float64, pr.b.Rows)
	for i := range out {
		for t := pr.lo[i]; t < pr.hi[i]; t++ {
			out[i] += float64(sc.LogProbs[i*pr.b.Len+t])
		}
	}
	return out, nil
}

// seqSums sums each sample's per-token values.
func seqSums(v [][]float64) []float64 {
	out := make([]float64, len(v))
	for i, row := range v {
		for _, x := range row {
			out[i] += x
		}
	}
	return out
}

// oldSeqLogp is each sample's log pi_old(y), from the sampler's log-probs.
func oldSeqLogp(xs []sample) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		for _, l := range x.oldLogp {
			out[i] += float64(l)
		}
	}
	return out
}

func (k *klBayes) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if k.c.Fit != "kl_rl" {
		return nil
	}
	ref, err := ru.refLogProbs(xs, nil, nil)
	if err != nil {
		return err
	}
	old, ref0 := oldSeqLogp(xs), seqSums(ref)
	var pen float64
	for i := range xs {
		xs[i].reward = rl.KLRLReward(xs[i].reward, old[i], ref0[i], k.c.Beta)
		pen += old[i] - ref0[i]
	}
	m["klb_seq_kl"] = pen / float64(max(len(xs), 1))
	return nil
}

func (k *klBayes) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	if k.c.Fit != "dpg" {
		return nil
	}
	ref, err := ru.refLogProbs(xs, nil, nil)
	if err != nil {
		return err
	}
	old, ref0 := oldSeqLogp(xs), seqSums(ref)
	var ess float64
	for _, g := range rl.Groups(len(xs), ru.r.RL.GroupSize) {
		r, lo, l0 := make([]float64, len(g)), make([]float64, len(g)), make([]float64, len(g))
		for j, i := range g {
			r[j], lo[j], l0[j] = 0, old[i], ref0[i]
			if xs[i].correct {
				r[j] = 1
			}
		}
		w := rl.DPGWeights(r, lo, l0, k.c.Beta)
		var s2 float64
		for j, i := range g {
			adv := float64(len(g))*w[j] - 1
			a.seq[i] = adv
			for t := range a.tok[i] {
				a.tok[i][t] = adv
			}
			s2 += w[j] * w[j]
		}
		ess += 1 / s2 / float64(len(g))
	}
	m["klb_ess"] = ess / float64(len(rl.Groups(len(xs), ru.r.RL.GroupSize)))
	return nil
}

// reportUpdate measures the policy after the step's updates.
func (k *klBayes) reportUpdate(m map[string]any, updates int) {
	step := k.ru.prog.GStep - k.ru.sftEnd() + 1 // GStep moves on after the step
	if !(step == k.ru.r.RL.Steps || (k.c.Every > 0 && (step == 1 || step%k.c.Every == 0))) {
		return
	}
	if err := k.measure(m); err != nil {
		m["klb_error"] = err.Error()
	}
}

func (k *klBayes) measure(m map[string]any) error {
	var sum rl.TargetReport
	for i := range k.probes {
		pr := &k.probes[i]
		if pr.logp0 == nil {
			var err error
			if pr.logp0, err = pr.seqLogProbs(k.ru.ref); err != nil {
				return err
			}
		}
		lp, err := pr.seqLogProbs(k.ru.policy)
		if err != nil {
			return err
		}
		pi, pi0 := make([]float64, len(lp)), make([]float64, len(lp))
		for j := range lp {
			pi[j], pi0[j] = math.Exp(lp[j]), math.Exp(pr.logp0[j])
		}
		rep, err := rl.TargetKL(pi, pi0, pr.r, k.c.Beta)
		if err != nil {
			return err
		}
		sum.KL += rep.KL
		sum.KLPrior += rep.KLPrior
		sum.KLBin += rep.KLBin
		sum.KLRight += rep.KLRight
		sum.KLWrong += rep.KLWrong
		sum.P += rep.P
		sum.P0 += rep.P0
		sum.PStar += rep.PStar
		sum.HRight += rep.HRight
		sum.HRight0 += rep.HRight0
		sum.TopRight += rep.TopRight
		sum.Rest += rep.Rest
		sum.J += rep.J
	}
	n := float64(len(k.probes))
	m["klb_kl"], m["klb_kl_norm"] = sum.KL/n, sum.KL/sum.KLPrior
	m["klb_kl_bin"], m["klb_kl_right"], m["klb_kl_wrong"] = sum.KLBin/n, sum.KLRight/n, sum.KLWrong/n
	m["klb_p"], m["klb_p0"], m["klb_pstar"] = sum.P/n, sum.P0/n, sum.PStar/n
	m["klb_h_right"], m["klb_top_right"], m["klb_rest"], m["klb_j"] = sum.HRight/sum.HRight0, sum.TopRight/n, sum.Rest/n, sum.J/n
	if b := rl.EffectiveBeta(sum.P/n, sum.P0/n); !math.IsInf(b, 0) && !math.IsNaN(b) {
		m["klb_beta_eff"] = b
	}
	return nil
}
