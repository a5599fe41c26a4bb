package rl

// Self-PRM — "Is PRM necessary? Problem-solving RL implicitly induces PRM
// capability in LLMs" (arXiv 2505.11227; card B12). Claim: outcome-only RL
// gives the policy process-judging ability, so the policy itself can serve
// as its process reward model and rerank its own samples.
//
// The paper's judge (card B12, ProcessBench format): the same model is
// prompted with the solution split into numbered steps and asked for the
// index of the earliest wrong step, or -1 if all are right; a sample's
// score is s_i = 1 if the verdict is -1 else 0 (m judge samples: the
// fraction of -1 verdicts), and samples are reranked by a weighted
// majority vote over final answers with weights s_i (plain majority when
// every weight is 0), or best-of-N by s_i (ties: majority among the tied).
//
// Our models are tiny and trained from scratch: they cannot follow a
// judging prompt. The step judge is therefore a form the model can do on
// task chain (one intermediate result per line), a knob `step_score`:
//
//	recompute: s_k = 1 when the model's greedy re-derivation of line k from
//	           the prompt and lines 0..k-1 equals line k (white space
//	           ignored), else 0 — self-verification by recomputation, the
//	           locator of InT/Agent-R (docs/results/methods-2.md). Its first
//	           disagreeing line is the model's "earliest wrong step", so
//	           aggregation min gives exactly the paper's s_i = [verdict = -1].
//	logprob:   s_k = exp(mean log pi(token) over line k's tokens), the
//	           policy's own (geometric-mean) probability of the line as it
//	           was sampled: a soft step confidence, no extra generation.
//
// Aggregation of the step scores s_1..s_K into the sample's score is a
// CHOICE (`aggregate`): min, mean, product, last. For 0/1 steps min and
// product agree. The predicted earliest wrong step is the first k with
// s_k < threshold (0.5: CHOICE; -1 when none), compared with the verifier's
// first error (task.ChainFirstError) by the ProcessBench F1:
//
//	a = exact-index accuracy on samples with an error,
//	b = accuracy on error-free samples (predicting -1),
//	F1 = 2ab / (a + b).
//
// Reported at every evaluation: the within-problem ROC-AUC of the
// aggregated score for correct against incorrect samples (mean over the
// problems with both), the pooled AUC, best-of-N by the score and the
// s-weighted vote (ties counted fractionally), and the F1. With greedy,
// also the accuracy of the model's greedy solution: under recompute + min
// a sample scores 1 exactly when every line is the greedy continuation of
// the lines before, i.e. when it is the greedy solution (up to where it
// stops), so best-of-N there can be no better than greedy decoding
// whenever a sample equal to the greedy one is drawn; greedy is the
// baseline that separates a judging ability from that identity.

import (
	"fmt"
	"math"
	"slices"
)

// SelfPRM is the recipe section.
type SelfPRM struct {
	StepScore string  `json:"step_score" yaml:"step_score"` // recompute | logprob
	Aggregate string  `json:"aggregate" yaml:"aggregate"`   // min | mean | product | last
	Threshold float64 `json:"threshold" yaml:"threshold"`   // a step below it is judged wrong
	Greedy    bool    `json:"greedy" yaml:"greedy"`         // also report the greedy solution's accuracy
}

// Validate names the bad field.
func (c SelfPRM) Validate() error {
	if !slices.Contains([]string{"recompute", "logprob"}, c.StepScore) {
		return fmt.Errorf("step_score %q: want recompute or logprob", c.StepScore)
	}
	if !slices.Contains([]string{"min", "mean", "product", "last"}, c.Aggregate) {
		return fmt.Errorf("aggregate %q: want min, mean, product or last", c.Aggregate)
	}
	if c.Threshold < 0 || c.Threshold > 1 || math.IsNaN(c.Threshold) {
		return fmt.Errorf("threshold %v: want a number in [0, 1]", c.Threshold)
	}
	return nil
}

// Aggregated combines step scores into a sample's score (0 for no steps).
func (c SelfPRM) Aggregated(steps []float64) float64 {
	if len(steps) == 0 {
		return 0
	}
	switch c.Aggregate {
	case "min":
		return slices.Min(steps)
	case "mean":
		var s float64
		for _, x := range steps {
			s += x
		}
		return s / float64(len(steps))
	case "product":
		p := 1.0
		for _, x := range steps {
			p *= x
		}
		return p
	default: // last
		return steps[len(steps)-1]
	}
}

// FirstWrong is the predicted earliest wrong step: the first score below
// the threshold, -1 when none.
func (c SelfPRM) FirstWrong(steps []float64) int {
	for k, s := range steps {
		if s < c.Threshold {
			return k
		}
	}
	return -1
}

// ProcessF1 is ProcessBench's harmonic mean of the accuracies on erroneous
// (a) and correct (b) samples; 0 when both are 0.
func ProcessF1(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return 2 * a * b / (a + b)
}

// WeightedVote is the expected accuracy of the answer with the largest
// total weight (ties shared equally); when every weight is 0 it is the
// plain majority vote. answers[i] == "" is an unparsed answer: it
// counts as a vote for no answer and is never correct.
func WeightedVote(answers []string, correct []bool, weights []float64) float64 {
	all0 := true
	for _, w := range weights {
		if w != 0 {
			all0 = false
		}
	}
	w := weights
	if all0 {
		w = make([]float64, len(answers))
		for i := range w {
			w[i] = 1
		}
	}
	return pickFrac(answers, correct, w)
}

// BestOfN is the expected accuracy of picking the best-scored sample; the
// samples tied at the best score are resolved by their majority answer
// (ties between answers shared equally).
func BestOfN(answers []string, correct []bool, scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	top := slices.Max(scores)
	w := make([]float64, len(scores))
	for i, s := range scores {
		if s == top {
			w[i] = 1
		}
	}
	return pickFrac(answers, correct, w)
}

// AUC is the ROC-AUC of right against wrong samples' scores: the share of
// (right, wrong) pairs the right one wins, ties counting one half; NaN when
// a side is empty. (The definition of analyze.AUC, which run cannot
// import: analyze's tests import run.)
func AUC(right, wrong []float64) float64 {
	if len(right) == 0 || len(wrong) == 0 {
		return math.NaN()
	}
	var w float64
	for _, r := range right {
		for _, x := range wrong {
			switch {
			case r > x:
				w++
			case r == x:
				w += 0.5
			}
		}
	}
	return w / float64(len(right)*len(wrong))
}

// pickFrac: the answers of largest total weight, the fraction of them
// correct.
func pickFrac(answers []string, correct []bool, w []float64) float64 {
	tot := map[string]float64{}
	ok := map[string]bool{}
	var order []string
	for i, a := range answers {
		if _, seen := tot[a]; !seen {
			order = append(order, a)
		}
		tot[a] += w[i]
		ok[a] = ok[a] || (correct[i] && a != "")
	}
	best := math.Inf(-1)
	for _, a := range order {
		best = max(best, tot[a])
	}
	var n, good float64
	for _, a := range order {
		if tot[a] == best {
			n++
			if ok[a] {
				good++
			}
		}
	}
	return good / n
}
