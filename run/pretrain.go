package run

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/task"
)

// lmStage runs next-token training ("pretrain" on the noisy solver's text,
// all tokens; "sft" on reference solutions, completion tokens only) from
// the current global step to offset + c.Steps.
func (ru *runner) lmStage(name string, c PretrainConfig, offset int) error {
	if ru.opt == nil {
		ru.opt = ru.newOptimizer(name)
	}
	sched := optim.Schedule{Kind: "cosine", Warmup: c.Warmup, Total: c.Steps, MinRatio: 0.1}
	if sched.Total <= sched.Warmup {
		sched.Kind = "constant"
	}
	for s := ru.prog.GStep - offset; s < c.Steps; s++ {
		g := offset + s
		t0 := time.Now()
		b, err := ru.lmBatch(c, name == "sft", g)
		if err != nil {
			return err
		}
		sc, err := ru.policy.Score(b)
		if err != nil {
			return fmt.Errorf("%s step %d: %w", name, s+1, err)
		}
		var n float64
		for _, m := range b.Mask {
			n += float64(m)
		}
		dlp := make([]float32, len(b.Tokens))
		var loss float64
		for i, m := range b.Mask {
			if m != 0 {
				dlp[i] = -m / float32(n)
				loss -= float64(m) * float64(sc.LogProbs[i]) / n
			}
		}
		ru.policy.ZeroGrad()
		if err := ru.policy.Backward(dlp, nil, nil); err != nil {
			return fmt.Errorf("%s step %d: %w", name, s+1, err)
		}
		gn, err := optim.ClipGradNorm(ru.policy.Params(), c.GradClip)
		if err != nil {
			return fmt.Errorf("%s step %d: %w", name, s+1, err)
		}
		lr := sched.LR(s, c.LR)
		ru.opt.Step(lr)
		ru.prog.GStep = g + 1
		el := time.Since(t0).Seconds()
		ru.metrics.Write(map[string]any{"stage": name, "gstep": g + 1, "step": s + 1, "loss": loss, "lr": lr,
			"grad_norm": gn, "tokens": len(b.Tokens), "tokens_per_s": float64(len(b.Tokens)) / el, "time_step": el})
		ru.status(name, s+1, c.Steps, fmt.Sprintf("loss %.4f", loss))
		if (s+1)%100 == 0 || s+1 == c.Steps {
			ru.logf("%s %d/%d  loss %.4f  lr %.2e  %.0f tok/s\n", name, s+1, c.Steps, loss, lr, float64(len(b.Tokens))/el)
		}
		if (s+1)%ru.r.CheckpointEvery == 0 || s+1 == c.Steps || ru.checkpointDue() {
			if err := ru.checkpoint(name); err != nil {
				return err
			}
		}
	}
	ru.opt = nil // the next stage starts its own optimiser
	return nil
}

// lmBatch builds the training batch of global step g: fresh training
// problems and their (noisy or reference) solutions, as BOS prompt
// solution EOS rows, right-padded.
func (ru *runner) lmBatch(c PretrainConfig, completionOnly bool, g int) (*lm.Batch, error) {
	seed := ru.r.Seed*1_000_003 + uint64(g)
	ps, err := task.Generate(ru.task, task.Train, seed, c.Batch, ru.r.Task.Template)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x736f6c76))
	rows := make([][]int32, len(ps))
	trained := make([][]bool, len(ps)) // the policy's tokens of each row (completion-only training)
	T := 0
	for i, p := range ps {
		prompt, err := ru.encodePrompt(p)
		if err != nil {
			return nil, err
		}
		row := prompt
		tr := make([]bool, len(prompt))
		solve := func() string { return task.Solve(ru.task, p, ru.r.Task.Template, c.Noise, r) }
		parts := []episode.DemoPart{{Policy: true}}
		if d, ok := ru.newEnv(p).(episode.Demonstrator); ok {
			parts = d.Demo(solve, r) // the environment's episode shape (e.g. two attempts)
		} else {
			parts[0].Text = solve()
		}
		for k, part := range parts {
			if k == 0 && part.Prompt { // the demonstration's own prompt replaces the task's
				if row, err = ru.promptIDs(part.Text); err != nil {
					return nil, err
				}
				tr = make([]bool, len(row))
				continue
			}
			ids, err := ru.tok.Encode(part.Text)
			if err != nil {
				return nil, fmt.Errorf("solution of %q: %w", p.Question, err)
			}
			if part.Policy && !part.NoEOS {
				ids = append(ids, ru.eos)
			}
			row = append(row, ids...)
			for range ids {
				tr = append(tr, part.Policy)
			}
		}
		if len(row) > ru.r.Model.MaxLen {
			return nil, fmt.Errorf("a training sequence has %d tokens, more than model.max_position_embeddings %d (problem %q)", len(row), ru.r.Model.MaxLen, p.Question)
		}
		rows[i], trained[i] = row, tr
		T = max(T, len(row))
	}
	b := &lm.Batch{Rows: len(rows), Len: T, Tokens: make([]int32, len(rows)*T), Mask: make([]float32, len(rows)*T)}
	for i, row := range rows {
		copy(b.Tokens[i*T:], row)
		for t := 1; t < len(row); t++ {
			if !completionOnly || trained[i][t] {
				b.Mask[i*T+t] = 1
			}
		}
	}
	return b, nil
}

// encodePrompt is the first observation of p's episodes: BOS followed by
// the rendered prompt, or a Hugging Face tokenizer's own encoding of it
// (see runner.promptIDs).
func (ru *runner) encodePrompt(p task.Problem) ([]int32, error) {
	return ru.promptIDs(p.Prompt)
}
