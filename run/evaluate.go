package run

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/eval"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/verify"
)

// EvalResult is one held-out evaluation.
type EvalResult struct {
	Tag      string             `json:"tag"`
	GStep    int                `json:"gstep"`
	PassAtK  map[string]float64 `json:"pass_at_k"`  // k -> pass@k (unbiased estimator)
	Curve    []float64          `json:"pass_curve"` // pass@k for k = 1..samples
	MajAtK   map[string]float64 `json:"maj_at_k"`
	MeanLen  float64            `json:"mean_len"`  // generated tokens per sample
	FormatOK float64            `json:"format_ok"` // fraction of samples with an answer line
	Seconds  float64            `json:"seconds"`
	// Extra holds figures of the environment (e.g. two-attempt
	// t1_accuracy, i2c) and of methods (e.g. laser_best_of_n); they are
	// written as top-level keys.
	Extra map[string]float64 `json:"-"`
}

type plainEval EvalResult

// MarshalJSON writes Extra's figures as top-level keys.
func (e EvalResult) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(plainEval(e))
	if err != nil || len(e.Extra) == 0 {
		return b, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range e.Extra {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads top-level numbers that are not fields into Extra.
func (e *EvalResult) UnmarshalJSON(data []byte) error {
	var p plainEval
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	known := map[string]bool{"tag": true, "gstep": true, "pass_at_k": true, "pass_curve": true, "maj_at_k": true,
		"mean_len": true, "format_ok": true, "seconds": true}
	for k, raw := range m {
		var v float64
		if !known[k] && json.Unmarshal(raw, &v) == nil {
			if p.Extra == nil {
				p.Extra = map[string]float64{}
			}
			p.Extra[k] = v
		}
	}
	*e = EvalResult(p)
	return nil
}

// genChunk bounds the episodes generated at once (memory of the cache).
const genChunk = 512

// evaluate plays eval.samples episodes of each of eval.problems held-out
// problems with a fixed seed (so equal weights give equal results) and
// grades each episode's final answer.
func (ru *runner) evaluate(tag string) (EvalResult, error) {
	t0 := time.Now()
	c := ru.r.Eval
	ps, err := EvalProblems(ru.r, ru.task, c.Problems)
	if err != nil {
		return EvalResult{}, err
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x65766132))
	correct := make([]int, len(ps))
	votes := make([][]eval.Vote, len(ps))
	rerankers := hooks[reranker](ru)
	best := make([][]float64, len(rerankers)) // per reranker, per problem: best score
	bestOK := make([][]bool, len(rerankers))
	for h := range rerankers {
		best[h], bestOK[h] = make([]float64, len(ps)), make([]bool, len(ps))
		for i := range best[h] {
			best[h][i] = math.Inf(-1)
		}
	}
	var totalLen, formatOK, wrongBranch, recovered float64
	pref, isPref := ru.task.(task.Preference)
	var texts [][]string // policy completions, kept only for preference games
	if isPref {
		texts = make([][]string, len(ps))
	}
	var all []*episode.Episode
	voters := hooks[evalVoter](ru)
	perProblem := make([][]*episode.Episode, len(ps)) // for the voters
	var pending []task.Problem
	var owner []int
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		xs, err := ru.rollout(pending, 0, c.Samples, c.Temperature, c.MaxNewTokens, len(pending)*c.Samples, rng)
		if err != nil {
			return err
		}
		prompts, comps := make([][]int32, len(xs)), make([][]int32, len(xs))
		oks := make([]bool, len(xs))
		for j, x := range xs {
			i := owner[x.prob]
			rw := ru.task.Grade(ps[i], lastPolicyText(x.ep))
			last := lastPolicyIDs(x.ep)
			prompts[j], comps[j], oks[j] = x.ids[:len(x.ids)-len(last)], last, rw.Correct
			totalLen += float64(len(x.gen))
			if rw.FormatOK {
				formatOK++
			}
			if rw.Correct {
				correct[i]++
			}
			if c.FirstError {
				if at, _, err := task.ChainFirstError(ps[i].Question, ps[i].Answer, lastPolicyText(x.ep), ru.r.Task.Template.AnswerPrefix); err == nil && at >= 0 {
					wrongBranch++
					if rw.Correct {
						recovered++
					}
				}
			}
			ans := ""
			if rw.Pred != "" {
				ans = verify.Normalize(rw.Pred)
			}
			votes[i] = append(votes[i], eval.Vote{Answer: ans, Correct: rw.Correct})
			if isPref {
				texts[i] = append(texts[i], lastPolicyText(x.ep))
			}
			all = append(all, x.ep)
			if len(voters) > 0 {
				perProblem[i] = append(perProblem[i], x.ep)
			}
		}
		for h, rr := range rerankers {
			scores, err := rr.rerankScores(ru, prompts, comps)
			if err != nil {
				return err
			}
			for j, s := range scores {
				if i := owner[xs[j].prob]; s > best[h][i] {
					best[h][i], bestOK[h][i] = s, oks[j]
				}
			}
		}
		pending, owner = pending[:0], owner[:0]
		return nil
	}
	for i, p := range ps {
		pending = append(pending, p)
		owner = append(owner, i)
		if len(pending)*c.Samples >= genChunk {
			if err := flush(); err != nil {
				return EvalResult{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return EvalResult{}, err
	}
	res := EvalResult{Tag: tag, GStep: ru.prog.GStep, PassAtK: map[string]float64{}, MajAtK: map[string]float64{}}
	for k := 1; k <= c.Samples; k++ {
		var sum float64
		for _, cnt := range correct {
			sum += eval.PassAtK(c.Samples, cnt, k)
		}
		res.Curve = append(res.Curve, sum/float64(len(ps)))
	}
	for _, k := range c.KList {
		res.PassAtK[strconv.Itoa(k)] = res.Curve[k-1]
		var sum float64
		for i := range ps {
			sum += eval.MajAtK(votes[i], k, 200, eval.TieFractional, uint64(i))
		}
		res.MajAtK[strconv.Itoa(k)] = sum / float64(len(ps))
	}
	n := float64(len(ps) * c.Samples)
	res.MeanLen, res.FormatOK = totalLen/n, formatOK/n
	if extra := episode.Summarize(all); len(extra) > 0 || len(rerankers) > 0 || c.FirstError {
		if c.FirstError {
			extra["first_error_rate"], extra["recovery_rate"] = wrongBranch/n, recovered/max(wrongBranch, 1)
		}
		res.Extra = extra
		for h, rr := range rerankers {
			var acc float64
			for _, ok := range bestOK[h] {
				if ok {
					acc += 1 / float64(len(ps))
				}
			}
			res.Extra[rr.rerankKey()] = acc
		}
	}
	for _, v := range voters {
		for k, f := range v.voteFigures(ru, ps, perProblem) {
			if res.Extra == nil {
				res.Extra = map[string]float64{}
			}
			res.Extra[k] = f
		}
	}
	if isPref {
		figs, err := ru.preferenceFigures(pref, ps, texts)
		if err != nil {
			return EvalResult{}, err
		}
		if res.Extra == nil {
			res.Extra = map[string]float64{}
		}
		for k, v := range figs {
			res.Extra[k] = v
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	ru.logf("eval %-6s pass@1 %.3f  pass@%d %.3f  mean length %.1f  (%.1fs)\n", tag, res.Curve[0], c.Samples, res.Curve[c.Samples-1], res.MeanLen, res.Seconds)
	return res, nil
}

// lastPolicyIDs is the token ids of an episode's last policy turn.
func lastPolicyIDs(e *episode.Episode) []int32 {
	for i := len(e.Segments) - 1; i >= 0; i-- {
		if e.Segments[i].Trainable {
			return e.Segments[i].IDs
		}
	}
	return nil
}

// completionText decodes generated ids, dropping a final EOS.
func (ru *runner) completionText(toks []int32) string {
	if n := len(toks); n > 0 && toks[n-1] == ru.eos {
		toks = toks[:n-1]
	}
	return ru.tok.Decode(toks)
}

// EvalProblems returns the first n held-out problems a run of r evaluates
// on (task t is r's task).
func EvalProblems(r *Recipe, t task.Task, n int) ([]task.Problem, error) {
	return task.Generate(t, task.Test, r.Seed+0x65766131, n, r.Task.Template)
}
