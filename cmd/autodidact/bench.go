package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/autodidact-rl/autodidact/bench"
	"github.com/autodidact-rl/autodidact/tensor"
)

const version = "0.1.0-dev"

func runVersion(args []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "autodidact %s\nBLAS: %s\nthreads: %d\n", version, tensor.Backend(), tensor.Threads())
	return nil
}

// runBench implements `autodidact bench train|sample`.
func runBench(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "train" && args[0] != "sample") {
		return fmt.Errorf("bench: want `bench train` or `bench sample`")
	}
	kind := args[0]
	fs := flag.NewFlagSet("bench "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bench.Shape{}
	fs.IntVar(&s.D, "d", 256, "hidden size")
	fs.IntVar(&s.Layers, "layers", 4, "transformer layers")
	fs.IntVar(&s.Heads, "heads", 8, "attention heads")
	fs.IntVar(&s.KVHeads, "kv-heads", 0, "key/value heads (0: same as --heads)")
	fs.IntVar(&s.FF, "ff", 688, "MLP intermediate size")
	fs.IntVar(&s.Vocab, "vocab", 64, "vocabulary size")
	fs.IntVar(&s.Seq, "seq", 128, "sequence length (train)")
	batch := fs.Int("batch", 0, "sequences per step (default 16 for train, 64 for sample)")
	fs.IntVar(&s.Prompt, "prompt", 16, "prompt tokens (sample)")
	fs.IntVar(&s.New, "new", 112, "generated tokens per sequence (sample)")
	steps := fs.Int("steps", 0, "timed steps (default 10 for train, 3 for sample)")
	threads := fs.Int("threads", 0, "worker threads (default: AUTODIDACT_THREADS or all cores)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench %s: unexpected argument %q", kind, fs.Arg(0))
	}
	if *threads > 0 {
		tensor.SetThreads(*threads)
	}
	s.Batch = *batch
	var res bench.Result
	var err error
	if kind == "train" {
		if s.Batch == 0 {
			s.Batch = 16
		}
		if *steps == 0 {
			*steps = 10
		}
		res, err = bench.Train(s, *steps)
	} else {
		if s.Batch == 0 {
			s.Batch = 64
		}
		if *steps == 0 {
			*steps = 3
		}
		res, err = bench.Sample(s, *steps)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "BLAS: %s\n%s\n", tensor.Backend(), res)
	return nil
}
