package run

// LaSeR plug-in (card A6; algebra in rl/laser.go): the last-token
// self-reward. A reserved token z is scored after each response;
// s = beta_v * (log p(z | x, y) - c) is trained towards the verifier's
// reward with alpha * (s - r)^2, c being the reference model's mean
// log p(z) over the first RL batch. At evaluation s reranks each problem's
// samples (laser_best_of_n).

import (
	"encoding/json"
	"fmt"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("laser", "LaSeR: last-token self-reward trained beside the policy, reranks at evaluation",
		rl.LaSeR{Alpha: 0.1, BetaV: 0.1, Token: "|"},
		func(c *rl.LaSeR, r *Recipe) (method, error) {
			if len([]rune(c.Token)) != 1 {
				return nil, fmt.Errorf("token %q must be one character of the tokenizer's alphabet that the task never writes", c.Token)
			}
			return &laser{c: *c, tok: -1}, nil
		})
}

type laser struct {
	c     rl.LaSeR
	tok   int32    // the reserved token's id (set when the run starts)
	calib *float64 // c, the calibration constant
	sum   float64
}

func (*laser) name() string { return "laser" }

func (l *laser) state() any { return l.calib }

func (l *laser) restore(data json.RawMessage) error { return json.Unmarshal(data, &l.calib) }

// setup resolves the reserved token in the run's tokenizer.
func (l *laser) setup(ru *runner) error {
	if l.c.Alpha == 0 {
		return nil
	}
	ids, err := ru.tok.Encode(l.c.Token)
	if err != nil {
		return fmt.Errorf("recipe laser.token: %w", err)
	}
	l.tok = ids[0]
	return nil
}

func (l *laser) extraToken() int32 { return l.tok }

// beforeUpdate computes c from the first RL batch: the reference model's
// mean log-prob of the reserved token after each response.
func (l *laser) beforeUpdate(ru *runner, xs []sample, a *advantage, mbSize int, m map[string]any) error {
	if l.tok < 0 || l.calib != nil {
		return nil
	}
	b, starts := ru.trainBatch(xs)
	sc, err := ru.ref.Score(b)
	if err != nil {
		return err
	}
	var c float64
	for i, x := range xs {
		c += float64(sc.LogProbs[starts[i]+len(x.ids)]) / float64(len(xs))
	}
	l.calib = &c
	return nil
}

// miniBatchTerm adds alpha * (s - r)^2 / |mb| through the reserved
// token's log-prob.
func (l *laser) miniBatchTerm(ru *runner, mb *miniBatch) error {
	if l.tok < 0 {
		return nil
	}
	for i, x := range mb.xs {
		at := mb.starts[i] + len(x.ids)
		r := 0.0
		if x.correct {
			r = 1
		}
		v, d := l.c.Term(float64(mb.sc.LogProbs[at]), *l.calib, r)
		l.sum += v / float64(len(mb.xs))
		mb.dlp[at] += float32(d / float64(len(mb.xs)))
	}
	return nil
}

func (l *laser) reportUpdate(m map[string]any, updates int) {
	if l.tok >= 0 {
		m["laser_mse"] = l.sum / float64(updates)
	}
	l.sum = 0
}

func (l *laser) rerankKey() string { return "laser_best_of_n" }

// rerankScores returns, for each evaluation sample, the policy's log-prob
// of the reserved token after it (s is monotone in it, so it ranks).
func (l *laser) rerankScores(ru *runner, prompts, comps [][]int32) ([]float64, error) {
	if l.tok < 0 {
		return nil, nil
	}
	T := 0
	for i := range prompts {
		T = max(T, len(prompts[i])+len(comps[i])+1)
	}
	b := &lm.Batch{Rows: len(prompts), Len: T, Tokens: make([]int32, len(prompts)*T), Mask: make([]float32, len(prompts)*T), Temperature: ru.r.Eval.Temperature}
	for i := range prompts {
		copy(b.Tokens[i*T:], prompts[i])
		copy(b.Tokens[i*T+len(prompts[i]):], comps[i])
		at := i*T + len(prompts[i]) + len(comps[i])
		b.Tokens[at], b.Mask[at] = l.tok, 1
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
