package run

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/autodidact-rl/autodidact/eval"
	"github.com/autodidact-rl/autodidact/lm"
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
	// LaSeRBestOfN is the accuracy of picking, for each problem, the sample
	// with the highest LaSeR self-reward (only when LaSeR is on).
	LaSeRBestOfN float64 `json:"laser_best_of_n,omitempty"`
	Seconds      float64 `json:"seconds"`
}

// genChunk bounds the sequences generated at once (memory of the cache).
const genChunk = 512

// evaluate samples eval.samples completions of eval.problems held-out
// problems with a fixed seed (so equal weights give equal results).
func (ru *runner) evaluate(tag string) (EvalResult, error) {
	t0 := time.Now()
	c := ru.r.Eval
	ps, err := task.Generate(ru.task, task.Test, ru.r.Seed+0x65766131, c.Problems, ru.r.Task.Template)
	if err != nil {
		return EvalResult{}, err
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x65766132))
	correct := make([]int, len(ps))
	votes := make([][]eval.Vote, len(ps))
	bestScore := make([]float64, len(ps))
	bestOK := make([]bool, len(ps))
	for i := range bestScore {
		bestScore[i] = math.Inf(-1)
	}
	var totalLen, formatOK float64
	var prompts [][]int32
	var owner []int
	flush := func() error {
		if len(prompts) == 0 {
			return nil
		}
		g, err := ru.policy.Generate(prompts, lm.SampleOptions{Temperature: c.Temperature, MaxNew: c.MaxNewTokens, Stop: []int32{ru.eos}}, rng)
		if err != nil {
			return err
		}
		var laserLogp []float64
		if ru.laserTok >= 0 {
			if laserLogp, err = ru.laserScores(prompts, g.Tokens); err != nil {
				return err
			}
		}
		for j, toks := range g.Tokens {
			p := ps[owner[j]]
			rw := ru.task.Grade(p, ru.completionText(toks))
			if laserLogp != nil && laserLogp[j] > bestScore[owner[j]] {
				bestScore[owner[j]], bestOK[owner[j]] = laserLogp[j], rw.Correct
			}
			totalLen += float64(len(toks))
			if rw.FormatOK {
				formatOK++
			}
			if rw.Correct {
				correct[owner[j]]++
			}
			ans := ""
			if rw.Pred != "" {
				ans = verify.Normalize(rw.Pred)
			}
			votes[owner[j]] = append(votes[owner[j]], eval.Vote{Answer: ans, Correct: rw.Correct})
		}
		prompts, owner = prompts[:0], owner[:0]
		return nil
	}
	for i, p := range ps {
		pt, err := ru.encodePrompt(p)
		if err != nil {
			return EvalResult{}, err
		}
		for s := 0; s < c.Samples; s++ {
			prompts = append(prompts, pt)
			owner = append(owner, i)
		}
		if len(prompts) >= genChunk {
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
	if ru.laserTok >= 0 {
		for _, ok := range bestOK {
			if ok {
				res.LaSeRBestOfN += 1 / float64(len(ps))
			}
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	ru.logf("eval %-6s pass@1 %.3f  pass@%d %.3f  mean length %.1f  (%.1fs)\n", tag, res.Curve[0], c.Samples, res.Curve[c.Samples-1], res.MeanLen, res.Seconds)
	return res, nil
}

// laserScores returns, for each generated sequence, the policy's log-prob
// of LaSeR's reserved token after it (s is monotone in it, so it ranks).
func (ru *runner) laserScores(prompts, comps [][]int32) ([]float64, error) {
	T := 0
	for i := range prompts {
		T = max(T, len(prompts[i])+len(comps[i])+1)
	}
	b := &lm.Batch{Rows: len(prompts), Len: T, Tokens: make([]int32, len(prompts)*T), Mask: make([]float32, len(prompts)*T), Temperature: ru.r.Eval.Temperature}
	for i := range prompts {
		copy(b.Tokens[i*T:], prompts[i])
		copy(b.Tokens[i*T+len(prompts[i]):], comps[i])
		at := i*T + len(prompts[i]) + len(comps[i])
		b.Tokens[at], b.Mask[at] = ru.laserTok, 1
	}
	sc, err := ru.policy.Score(b)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prompts))
	for i := range prompts {
		out[i] = float64(sc.LogProbs[i*T+len(prompts[i])+len(comps[i])])
	}
	return out, nil
}

// completionText decodes generated ids, dropping a final EOS.
func (ru *runner) completionText(toks []int32) string {
	if n := len(toks); n > 0 && toks[n-1] == ru.eos {
		toks = toks[:n-1]
	}
	return ru.tok.Decode(toks)
}
