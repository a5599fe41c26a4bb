package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/bench"
	"github.com/autodidact-rl/autodidact/tensor"
)

const version = "0.1.0-dev"

// newVersionCmd is `autodidact version`: the version, the matrix-product
// backend and the thread count.
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version and the matrix-product backend",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "autodidact %s\nBLAS: %s\nthreads: %d\n", version, blasName(), tensor.Threads())
			return nil
		},
	}
}

// benchOptions are the flags of `autodidact bench train|sample`.
type benchOptions struct {
	shape       bench.Shape
	miniBatches int // grpo only
	steps       int
	threads     int
	asJSON      bool
	cpuProfile  string // write a pprof CPU profile of the timed steps here
}

// newBenchCmd is `autodidact bench train|sample`.
func newBenchCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bench train|sample|grpo [flags]",
		Short: "measure training and sampling speed",
		Long: `Measure the engine on a model of a given shape with random weights and
tokens: 'bench train' times full training steps, 'bench sample' times
generation, 'bench grpo' times one step of GRPO's loop (sampling, then a
clipped-ratio update per mini-batch) at the default recipe's shape. The
last line is tokens/s=N.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("bench: want `bench train`, `bench sample` or `bench grpo`")
			}
			return noCommandArgs(cmd, args)
		},
		RunE: func(*cobra.Command, []string) error { return nil }, // never reached: Args refuses
	}
	big := bench.Shape{D: 256, Layers: 4, Heads: 8, FF: 688, Vocab: 64, Seq: 128, Prompt: 16, New: 112}
	train, sample := big, big
	train.Batch, sample.Batch = 16, 64
	// The default recipe (recipes/base.yaml): 16 prompts x 8 samples, 48
	// new tokens, 2 mini-batches; the character vocabulary has 94 tokens and
	// prompts of task add (1-3 digits) 6 to 10.
	grpo := bench.Shape{D: 128, Layers: 2, Heads: 4, FF: 344, Vocab: 94, Seq: 64, Batch: 128, Prompt: 10, New: 48}
	c.AddCommand(newBenchKindCmd("train", "time full training steps: score, loss gradient, backward, clipping, AdamW", train, 10),
		newBenchKindCmd("sample", "time generation: prompts continued by a fixed number of sampled tokens", sample, 3),
		newBenchKindCmd("grpo", "time GRPO steps at the default recipe's shape: sample the group, then a clipped-ratio update per mini-batch", grpo, 3))
	return c
}

// newBenchKindCmd is `bench train`, `bench sample` or `bench grpo`, whose
// shape flags default to def and --steps to steps.
func newBenchKindCmd(kind, short string, def bench.Shape, steps int) *cobra.Command {
	var o benchOptions
	c := &cobra.Command{
		Use:   kind + " [flags]",
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(kind, o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	s := &o.shape
	f.IntVar(&s.D, "d", def.D, "hidden size")
	f.IntVar(&s.Layers, "layers", def.Layers, "transformer layers")
	f.IntVar(&s.Heads, "heads", def.Heads, "attention heads")
	f.IntVar(&s.KVHeads, "kv-heads", def.KVHeads, "key/value heads (0: same as --heads)")
	f.IntVar(&s.FF, "ff", def.FF, "MLP intermediate size")
	f.IntVar(&s.Vocab, "vocab", def.Vocab, "vocabulary size")
	f.IntVar(&s.Seq, "seq", def.Seq, "sequence length (train)")
	f.IntVar(&s.Batch, "batch", def.Batch, "sequences per step")
	f.IntVar(&s.Prompt, "prompt", def.Prompt, "prompt tokens (sample, grpo)")
	f.IntVar(&s.New, "new", def.New, "generated tokens per sequence (sample, grpo)")
	if kind == "grpo" {
		f.IntVar(&o.miniBatches, "mini-batches", 2, "updates per step; --batch must be a multiple")
	}
	f.IntVar(&o.steps, "steps", steps, "timed steps")
	f.IntVar(&o.threads, "threads", 0, "worker threads (default: AUTODIDACT_THREADS or all cores)")
	f.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the whole run to this file")
	return c
}

// runBench carries out `autodidact bench train|sample`.
func runBench(kind string, o benchOptions, stdout io.Writer) error {
	cmd := "bench " + kind
	s := o.shape
	for _, p := range []struct {
		name string
		v    int
	}{{"d", s.D}, {"layers", s.Layers}, {"heads", s.Heads}, {"ff", s.FF}, {"vocab", s.Vocab},
		{"seq", s.Seq}, {"batch", s.Batch}, {"prompt", s.Prompt}, {"new", s.New}, {"steps", o.steps}} {
		if err := positive(cmd, p.name, p.v); err != nil {
			return err
		}
	}
	if err := nonNegative(cmd, "kv-heads", s.KVHeads); err != nil {
		return err
	}
	if err := checkThreads(cmd, o.threads); err != nil {
		return err
	}
	if err := checkMemory(cmd, "this shape", benchMemory(kind, s)); err != nil {
		return err
	}
	if o.threads > 0 {
		tensor.SetThreads(o.threads)
	}
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("%s: --cpuprofile: %w", cmd, err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return fmt.Errorf("%s: --cpuprofile: %w", cmd, err)
		}
		defer func() {
			pprof.StopCPUProfile()
			pf.Close()
		}()
	}
	var res bench.Result
	var err error
	switch kind {
	case "train":
		res, err = bench.Train(s, o.steps)
	case "sample":
		res, err = bench.Sample(s, o.steps)
	default:
		res, err = bench.GRPO(s, o.miniBatches, o.steps)
	}
	if err != nil {
		return err
	}
	if o.asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "BLAS: %s\n%s\n", blasName(), res)
	return nil
}

// blasName is the backend's name, with the micro-kernel for pure Go.
func blasName() string {
	if b := tensor.Backend(); b != "pure Go" {
		return b
	}
	return "pure Go (" + tensor.GoKernel() + " kernel)"
}

// benchMemory estimates, in bytes, what a benchmark of shape s allocates:
// float32 weights (with gradients and two AdamW moments when training) and
// the activations of a step (the KV cache and prefill when sampling). It is
// rough, within a small factor, and computed in float64 so that huge
// flags cannot overflow.
func benchMemory(kind string, s bench.Shape) float64 {
	if kind == "grpo" { // sampling, then training on the full sequences (an upper bound: one mini-batch is live)
		t := s
		t.Seq = s.Prompt + s.New
		return benchMemory("sample", s) + benchMemory("train", t)
	}
	d, L, H, ff, V := float64(s.D), float64(s.Layers), float64(s.Heads), float64(s.FF), float64(s.Vocab)
	kv := float64(s.KVHeads)
	if kv == 0 {
		kv = H
	}
	kvw := kv * d / H // key/value width
	params := V*d + L*(2*d*d+2*d*kvw+3*d*ff+2*d)
	B := float64(s.Batch)
	const f32 = 4
	if kind == "train" {
		T := float64(s.Seq)
		act := B * T * (L*(16*d+4*ff+2*H*T) + 3*V)
		return f32 * (4*params + act)
	}
	P, N := float64(s.Prompt), float64(s.New)
	cache := B * (P + N) * L * 2 * kvw
	prefill := B * P * (L*(16*d+4*ff+2*H*P) + 3*V)
	return f32 * (2*params + cache + prefill + B*(V+16*d+4*ff))
}
