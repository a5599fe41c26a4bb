package run

// Self-PRM plug-in (card B12; algebra, the paper's judge and the CHOICEs
// in rl/self_prm.go): at every evaluation the policy scores each line of
// its own held-out samples (step_score: recompute, its greedy re-derivation
// of the line from the lines before agrees with it; logprob, its own
// probability of the line), aggregates the line scores (aggregate: min,
// mean, product, last) and reranks each problem's samples by them. The
// evaluation reports (evalVoter) self_prm_auc (within-problem ROC-AUC of
// the score, correct against incorrect samples, mean over the problems
// with both; self_prm_auc_n their number), self_prm_auc_pooled (over all
// samples), self_prm_best_of_n and self_prm_gain (best-of-n by the score
// minus the samples' pass@1), self_prm_vote and self_prm_vote_gain (the
// score-weighted vote minus plain majority over the same samples),
// self_prm_f1 with self_prm_err_acc / self_prm_ok_acc (ProcessBench: the
// model's first wrong line against task.ChainFirstError's) and
// self_prm_score (mean score); with greedy, self_prm_greedy (the greedy
// solution's accuracy) and self_prm_bon_vs_greedy. Training is the recipe's (outcome-only RL):
// the method only measures. Made for task chain, one intermediate result
// per line.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/verify"
)

func init() {
	registerMethod("self_prm", "Self-PRM: the policy scores each line of its own evaluation samples; reports the score's AUC for right vs wrong samples and best-of-n by it",
		rl.SelfPRM{StepScore: "recompute", Aggregate: "min", Threshold: 0.5, Greedy: true},
		func(c *rl.SelfPRM, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Task.Name != "chain" {
				return nil, fmt.Errorf("scores chain's lines against its reference steps: needs task chain, not %s", r.Task.Name)
			}
			if r.Env.Name != "single" || r.Env.MaxTurns > 1 {
				return nil, fmt.Errorf("scores one-turn samples: needs env single, not %s", r.Env.Name)
			}
			return &selfPRM{c: *c}, nil
		})
}

type selfPRM struct{ c rl.SelfPRM }

func (*selfPRM) name() string { return "self_prm" }

// prmSample is one evaluation sample as the self-judge sees it.
type prmSample struct {
	prompt, gen []int32
	spans       [][2]int
	lines       []string
	steps       []float64
}

func (s *selfPRM) voteFigures(ru *runner, ps []task.Problem, eps [][]*episode.Episode) map[string]float64 {
	out, err := s.figures(ru, ps, eps)
	if err != nil {
		ru.logf("self_prm: %v\n", err)
		return nil
	}
	return out
}

func (s *selfPRM) figures(ru *runner, ps []task.Problem, eps [][]*episode.Episode) (map[string]float64, error) {
	xs := make([][]*prmSample, len(ps))
	for i := range ps {
		for _, e := range eps[i] {
			x := &prmSample{}
			for k, seg := range e.Segments {
				if k == lastTrainable(e) {
					break
				}
				x.prompt = append(x.prompt, seg.IDs...)
			}
			x.gen = lastPolicyIDs(e)
			x.spans = splitSteps(x.gen, ru.tok.Decode)
			for _, sp := range x.spans {
				x.lines = append(x.lines, strings.TrimRight(ru.completionText(x.gen[sp[0]:sp[1]]), "\n"))
			}
			x.steps = make([]float64, len(x.spans))
			if lt := lastTrainable(e); s.c.StepScore == "logprob" && lt >= 0 {
				lp := e.Segments[lt].LogProbs
				for k, sp := range x.spans {
					var sum float64
					for t := sp[0]; t < sp[1] && t < len(lp); t++ {
						sum += float64(lp[t])
					}
					x.steps[k] = math.Exp(sum / float64(sp[1]-sp[0]))
				}
			}
			xs[i] = append(xs[i], x)
		}
	}
	if s.c.StepScore == "recompute" {
		if err := s.recompute(ru, xs); err != nil {
			return nil, err
		}
	}
	prefix := ru.r.Task.Template.AnswerPrefix
	var auc, aucN, bon, vote, maj, pass, n, scoreSum float64
	var errN, errHit, okN, okHit float64
	var right, wrong []float64
	for i, p := range ps {
		answers := make([]string, len(xs[i]))
		correct := make([]bool, len(xs[i]))
		scores := make([]float64, len(xs[i]))
		var r, w []float64
		for j, x := range xs[i] {
			e := eps[i][j]
			text := lastPolicyText(e)
			if rw := ru.task.Grade(p, text); rw.Pred != "" {
				answers[j] = verify.Normalize(rw.Pred)
			}
			correct[j] = e.Correct
			scores[j] = s.c.Aggregated(x.steps)
			scoreSum += scores[j]
			n++
			if e.Correct {
				pass++
				r = append(r, scores[j])
			} else {
				w = append(w, scores[j])
			}
			at, _, err := task.ChainFirstError(p.Question, p.Answer, text, prefix)
			if err != nil {
				return nil, err
			}
			pred := s.c.FirstWrong(x.steps)
			if at >= 0 {
				errN++
				if pred == at {
					errHit++
				}
			} else {
				okN++
				if pred < 0 {
					okHit++
				}
			}
		}
		if len(r) > 0 && len(w) > 0 {
			auc += rl.AUC(r, w)
			aucN++
		}
		right, wrong = append(right, r...), append(wrong, w...)
		if len(xs[i]) > 0 {
			bon += rl.BestOfN(answers, correct, scores)
			vote += rl.WeightedVote(answers, correct, scores)
			maj += rl.WeightedVote(answers, correct, make([]float64, len(scores)))
		}
	}
	np := float64(max(len(ps), 1))
	out := map[string]float64{
		"self_prm_auc_n":     aucN,
		"self_prm_best_of_n": bon / np,
		"self_prm_gain":      bon/np - pass/max(n, 1),
		"self_prm_vote":      vote / np,
		"self_prm_vote_gain": (vote - maj) / np,
		"self_prm_score":     scoreSum / max(n, 1),
		"self_prm_err_acc":   errHit / max(errN, 1),
		"self_prm_ok_acc":    okHit / max(okN, 1),
	}
	out["self_prm_f1"] = rl.ProcessF1(out["self_prm_err_acc"], out["self_prm_ok_acc"])
	if aucN > 0 {
		out["self_prm_auc"] = auc / aucN
	}
	if s.c.Greedy {
		g, err := s.greedy(ru, ps, xs)
		if err != nil {
			return nil, err
		}
		out["self_prm_greedy"] = g
		out["self_prm_bon_vs_greedy"] = bon/np - g
	}
	if len(right) > 0 && len(wrong) > 0 {
		out["self_prm_auc_pooled"] = rl.AUC(right, wrong)
	}
	return out, nil
}

// recompute sets each line's score to 1 when the model's greedy
// re-derivation of it from the prompt and the lines before equals it
// (white space ignored), else 0.
func (s *selfPRM) recompute(ru *runner, xs [][]*prmSample) error {
	type ask struct {
		x    *prmSample
		line int
	}
	var asks []ask
	var ctxs [][]int32
	var budget []int
	for _, row := range xs {
		for _, x := range row {
			for k, sp := range x.spans {
				ctx := append(append([]int32{}, x.prompt...), x.gen[:sp[0]]...)
				asks, ctxs = append(asks, ask{x, k}), append(ctxs, ctx)
				budget = append(budget, min(sp[1]-sp[0]+8, ru.r.Model.MaxLen-len(ctx)))
			}
		}
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x73707270))
	for lo := 0; lo < len(asks); lo += genChunk {
		hi := min(lo+genChunk, len(asks))
		jobs, err := ru.sampleFrom(ctxs[lo:hi], budget[lo:hi], 0, lineStop(ru), rng)
		if err != nil {
			return err
		}
		for j, q := range asks[lo:hi] {
			var got []int32
			if jobs[j] != nil {
				got = jobs[j].Tokens
			}
			if stepText(ru, got) == strings.Join(strings.Fields(q.x.lines[q.line]), "") {
				q.x.steps[q.line] = 1
			}
		}
	}
	return nil
}

// greedy is the share of problems whose greedy solution (temperature 0,
// the evaluation's token budget) is right.
func (s *selfPRM) greedy(ru *runner, ps []task.Problem, xs [][]*prmSample) (float64, error) {
	ctxs := make([][]int32, len(ps))
	budget := make([]int, len(ps))
	for i := range ps {
		if len(xs[i]) > 0 {
			ctxs[i] = xs[i][0].prompt
			budget[i] = min(ru.r.Eval.MaxNewTokens, ru.r.Model.MaxLen-len(ctxs[i]))
		}
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x67726479))
	var right float64
	for lo := 0; lo < len(ps); lo += genChunk {
		hi := min(lo+genChunk, len(ps))
		jobs, err := ru.sampleFrom(ctxs[lo:hi], budget[lo:hi], 0, nil, rng)
		if err != nil {
			return 0, err
		}
		for j, job := range jobs {
			if job != nil && ru.task.Grade(ps[lo+j], ru.completionText(job.Tokens)).Correct {
				right++
			}
		}
	}
	return right / float64(max(len(ps), 1)), nil
}

// lastTrainable is the index of an episode's last policy segment (-1: none).
func lastTrainable(e *episode.Episode) int {
	for i := len(e.Segments) - 1; i >= 0; i-- {
		if e.Segments[i].Trainable {
			return i
		}
	}
	return -1
}
