package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/internalrl"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/task"
)

// internalRLOpts are `autodidact internal-rl`'s flags.
type internalRLOpts struct {
	o          internalrl.Options
	layer      int
	seqs, test int
	samples    int
	checkpoint string
	asJSON     bool
}

// newInternalRLCmd is `autodidact internal-rl RUN`.
func newInternalRLCmd() *cobra.Command {
	opts := internalRLOpts{o: internalrl.DefaultOptions()}
	c := &cobra.Command{
		Use:   "internal-rl RUN [flags]",
		Short: "Internal RL: discover a metacontroller on the frozen model's residual stream, then RL over its latent codes (card D9)",
		Long: `Loads the run's model (--checkpoint, e.g. the end of pretraining, or its
latest checkpoint) and freezes it. Discovery: the metacontroller
(rl/internal_rl_metacontroller.go) learns, on --seqs of the task's solver
sequences (gridwalk with solver: expert gives the expert walks), to edit
the residual stream after --layer so that the frozen model predicts them,
with sparse switching. Internal RL (internalrl/internalrl.go): a policy over
the latent codes, drawn where the frozen switch fires, is trained on the
task's sparse grades with a clipped ratio for --rl-steps iterations of
--prompts x --group rollouts. Reports the held-out success rate of the
frozen model with codes from the untrained policy and after training, on
the run's evaluation problems (--test of them, --samples rollouts each).
Character-tokenizer, single-turn runs only.`,
		Args: rangeArgs(1, 1, "takes one run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInternalRL(cmd.OutOrStdout(), args[0], opts)
		},
	}
	f := c.Flags()
	f.IntVar(&opts.layer, "layer", -1, "control layer (0-based; -1: the middle, (layers-1)/2)")
	f.IntVar(&opts.o.NZ, "n-z", opts.o.NZ, "latent code size")
	f.IntVar(&opts.o.Rank, "rank", opts.o.Rank, "controller rank")
	f.IntVar(&opts.o.Hidden, "hidden", opts.o.Hidden, "hidden width of the encoder, switch and policy")
	f.Float64Var(&opts.o.KLAlpha, "kl-alpha", opts.o.KLAlpha, "weight of the beta-weighted KL to N(0, I)")
	f.Float64Var(&opts.o.SwitchPenalty, "switch-penalty", opts.o.SwitchPenalty, "weight of the mean switch rate")
	f.IntVar(&opts.o.DiscoverSteps, "discover-steps", opts.o.DiscoverSteps, "discovery Adam steps")
	f.IntVar(&opts.o.DiscoverBatch, "discover-batch", opts.o.DiscoverBatch, "sequences per discovery step")
	f.Float64Var(&opts.o.DiscoverLR, "discover-lr", opts.o.DiscoverLR, "discovery learning rate")
	f.Float64Var(&opts.o.SwitchThreshold, "switch-threshold", opts.o.SwitchThreshold, "beta above which a new code is drawn")
	f.IntVar(&opts.o.RLSteps, "rl-steps", opts.o.RLSteps, "internal-RL iterations")
	f.IntVar(&opts.o.Prompts, "prompts", opts.o.Prompts, "prompts per iteration")
	f.IntVar(&opts.o.Group, "group", opts.o.Group, "rollouts per prompt")
	f.IntVar(&opts.o.Epochs, "epochs", opts.o.Epochs, "passes over an iteration's decisions")
	f.Float64Var(&opts.o.RLLR, "rl-lr", opts.o.RLLR, "policy learning rate")
	f.Uint64Var(&opts.o.Seed, "seed", opts.o.Seed, "seed")
	f.IntVar(&opts.seqs, "seqs", 2000, "discovery sequences (training split)")
	f.IntVar(&opts.test, "test", 100, "held-out problems")
	f.IntVar(&opts.samples, "samples", 8, "rollouts per held-out problem")
	f.StringVar(&opts.checkpoint, "checkpoint", "", "model directory instead of the run's latest checkpoint")
	f.BoolVar(&opts.asJSON, "json", false, "write JSON")
	return c
}

// internalRLReport is what internal-rl prints.
type internalRLReport struct {
	Run       string                     `json:"run"`
	Model     string                     `json:"model"`
	Layer     int                        `json:"layer"`
	Discovery []internalrl.DiscoveryStep `json:"discovery"`
	RL        []internalrl.RLStep        `json:"rl"`
	Before    float64                    `json:"success_before"`
	After     float64                    `json:"success_after"`
}

func runInternalRL(w io.Writer, dir string, o internalRLOpts) error {
	cr, err := loadCharRun(dir, o.checkpoint)
	if err != nil {
		return err
	}
	r, tok, m := cr.recipe, cr.tok, cr.model
	if r.Env.Name != "" && r.Env.Name != "single" {
		return fmt.Errorf("environment %q: internal-rl runs single-turn runs only", r.Env.Name)
	}
	t, err := task.New(r.Task.Name, r.Task.Params)
	if err != nil {
		return err
	}
	o.o.Layer = o.layer
	if o.layer < 0 {
		o.o.Layer = (len(m.Layers) - 1) / 2
	}
	o.o.MaxNew, o.o.Stop = r.Eval.MaxNewTokens, []int32{cr.eos}
	if o.seqs < 1 || o.test < 1 || o.samples < 1 {
		return fmt.Errorf("--seqs, --test and --samples must be >= 1")
	}
	ctl, err := internalrl.New(m, o.o)
	if err != nil {
		return err
	}
	prompt := func(p task.Problem) ([]int32, error) {
		ids, err := tok.Encode(p.Prompt)
		if err != nil {
			return nil, fmt.Errorf("prompt %q: %w", p.Prompt, err)
		}
		return append([]int32{cr.bos}, ids...), nil
	}
	toProblems := func(ps []task.Problem) ([]internalrl.Problem, error) {
		out := make([]internalrl.Problem, len(ps))
		for i, p := range ps {
			ids, err := prompt(p)
			if err != nil {
				return nil, err
			}
			out[i] = internalrl.Problem{Prompt: ids, Grade: func(c []int32) bool {
				if n := len(c); n > 0 && c[n-1] == cr.eos {
					c = c[:n-1]
				}
				return t.Grade(p, tok.Decode(c)).Correct
			}}
		}
		return out, nil
	}
	train, err := task.Generate(t, task.Train, o.o.Seed*31+0x69726c, o.seqs, r.Task.Template)
	if err != nil {
		return err
	}
	sr := rand.New(rand.NewPCG(o.o.Seed, 0x736f6c))
	var seqs []internalrl.Sequence
	for _, p := range train {
		ids, err := prompt(p)
		if err != nil {
			return err
		}
		sol, err := tok.Encode(task.Solve(t, p, r.Task.Template, task.Noise{}, sr))
		if err != nil {
			return fmt.Errorf("solution of %q: %w", p.Question, err)
		}
		seqs = append(seqs, internalrl.Sequence{Tokens: append(append(ids, sol...), cr.eos), PromptLen: len(ids)})
	}
	test, err := run.EvalProblems(r, t, o.test)
	if err != nil {
		return err
	}
	ts, err := toProblems(test)
	if err != nil {
		return err
	}
	rep := internalRLReport{Run: dir, Model: cr.modelDir, Layer: o.o.Layer}
	if rep.Discovery, err = ctl.Discover(m, seqs); err != nil {
		return err
	}
	if rep.Before, err = ctl.SuccessRate(m, ts, o.samples, o.o.Seed+100); err != nil {
		return err
	}
	draw := func(step int) ([]internalrl.Problem, error) {
		ps, err := task.Generate(t, task.Train, r.Seed*7_000_003+uint64(step), o.o.Prompts, r.Task.Template)
		if err != nil {
			return nil, err
		}
		return toProblems(ps)
	}
	if rep.RL, err = ctl.Train(m, draw); err != nil {
		return err
	}
	if rep.After, err = ctl.SuccessRate(m, ts, o.samples, o.o.Seed+100); err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if n := len(rep.Discovery); n > 0 {
		a, b := rep.Discovery[0], rep.Discovery[n-1]
		fmt.Fprintf(w, "discovery (layer %d): nll/token %.4f -> %.4f, R/position %.4f -> %.4f, mean beta %.3f -> %.3f\n",
			o.o.Layer, a.NLL, b.NLL, a.Reg, b.Reg, a.MeanBeta, b.MeanBeta)
	}
	for _, s := range rep.RL {
		if s.Step == 1 || s.Step%10 == 0 || s.Step == len(rep.RL) {
			fmt.Fprintf(w, "rl %d/%d  reward %.3f  codes/rollout %.2f  clip %.3f\n", s.Step, len(rep.RL), s.Reward, s.Decisions, s.ClipFrac)
		}
	}
	fmt.Fprintf(w, "held-out success (%d problems x %d): before internal RL %.4f, after %.4f\n", len(ts), o.samples, rep.Before, rep.After)
	return nil
}
