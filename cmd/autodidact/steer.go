package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/steer"
	"github.com/autodidact-rl/autodidact/task"
)

// steerOpts are `autodidact steer`'s flags.
type steerOpts struct {
	layers, alphas   string
	norm, scope      string
	calib, dev, test int
	samples, maxNew  int
	temperature, tol float64
	seed             uint64
	checkpoint       string
	asJSON           bool
}

// newSteerCmd is `autodidact steer RUN...`.
func newSteerCmd() *cobra.Command {
	var o steerOpts
	c := &cobra.Command{
		Use:   "steer RUN... [flags]",
		Short: "Efficiency steering: add the direction from verbose to concise correct answers to the residual stream (training-free)",
		Long: `For each run directory (its latest checkpoint, or --checkpoint): sample
--samples answers to each of --calib training problems, keep the correct
ones, and per problem take the shortest as efficient and the longest as
verbose; at each candidate layer the direction is the mean residual
activation of the efficient answers minus that of the verbose ones (card B9
part A, steer/steer.go). Every layer x alpha is tried on --dev other
training problems; the chosen setting is the shortest mean length whose
pass@1 is within --tolerance of the unsteered model's. The unsteered and
the chosen model then answer the run's held-out problems (--test of them,
the run's own evaluation set). With several runs: the paired differences'
means and 95% t-intervals. Character-tokenizer, single-turn runs only.`,
		Args: rangeArgs(1, 1<<20, "takes one or more run directories"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSteer(cmd.OutOrStdout(), args, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.layers, "layers", "all", "candidate layers (0-based, comma-separated) or all")
	f.StringVar(&o.alphas, "alphas", "0.5,1,2,4", "candidate alphas (comma-separated); negative ones steer toward verbose")
	f.StringVar(&o.norm, "norm", "none", "none (the difference of means as is) or mean (rescaled to the mean activation norm)")
	f.StringVar(&o.scope, "scope", "generated", "generated (decoded positions) or all (the prompt too)")
	f.IntVar(&o.calib, "calib", 64, "calibration problems (training split)")
	f.IntVar(&o.dev, "dev", 64, "dev problems for choosing the layer and alpha (training split, disjoint from calibration)")
	f.IntVar(&o.test, "test", 100, "held-out problems (the run's evaluation set, its first N)")
	f.IntVar(&o.samples, "samples", 4, "answers per problem")
	f.IntVar(&o.maxNew, "max-new", 0, "answer length cap in tokens (0: the run's eval.max_new_tokens)")
	f.Float64Var(&o.temperature, "temperature", 1, "sampling temperature")
	f.Float64Var(&o.tol, "tolerance", 0.02, "dev pass@1 the chosen setting may lose")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the problem draws and sampling")
	f.StringVar(&o.checkpoint, "checkpoint", "", "model directory to steer instead of the run's latest checkpoint (one run only)")
	f.BoolVar(&o.asJSON, "json", false, "write JSON")
	return c
}

// steerRow is one run's study.
type steerRow struct {
	Run    string        `json:"run"`
	Model  string        `json:"model"`
	Result *steer.Result `json:"result"`
}

func runSteer(w io.Writer, dirs []string, o steerOpts) error {
	if o.checkpoint != "" && len(dirs) > 1 {
		return fmt.Errorf("--checkpoint takes one run directory")
	}
	if o.calib < 1 || o.dev < 1 || o.test < 1 {
		return fmt.Errorf("--calib, --dev and --test must be >= 1")
	}
	alphas, err := parseFloats(o.alphas)
	if err != nil {
		return fmt.Errorf("--alphas: %w", err)
	}
	var rows []steerRow
	for _, dir := range dirs {
		res, model, err := steerRun(dir, alphas, o)
		if err != nil {
			return fmt.Errorf("steer %s: %w", dir, err)
		}
		rows = append(rows, steerRow{Run: dir, Model: model, Result: res})
	}
	var dp, dl, rel []float64
	for _, r := range rows {
		b, s := r.Result.TestBase, r.Result.TestSteered
		dp = append(dp, s.PassAt1-b.PassAt1)
		dl = append(dl, s.MeanLen-b.MeanLen)
		rel = append(rel, s.MeanLen/b.MeanLen-1)
	}
	stats := map[string]compare.Stat{"delta_pass@1": compare.TInterval(dp), "delta_len": compare.TInterval(dl), "relative_len": compare.TInterval(rel)}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"runs": rows, "paired": stats})
	}
	for _, r := range rows {
		c := r.Result.Calibration
		fmt.Fprintf(w, "%s: %d calibration pairs of %d problems (pass@1 %.3f), efficient %.1f vs verbose %.1f tokens\n",
			r.Run, c.Pairs, c.Problems, c.CalibrationPassAt1, c.EfficientLen, c.VerboseLen)
		fmt.Fprintf(w, "  %-6s %7s %8s %9s %13s %9s\n", "layer", "alpha", "dev p@1", "dev len", "len (correct)", "finished")
		for _, p := range r.Result.Dev {
			layer := strconv.Itoa(p.Layer)
			if p.Alpha == 0 {
				layer = "-"
			}
			mark := ""
			if p == r.Result.Chosen {
				mark = "  <- chosen"
			}
			fmt.Fprintf(w, "  %-6s %7.2f %8.3f %9.1f %13.1f %9.3f%s\n", layer, p.Alpha, p.PassAt1, p.MeanLen, p.MeanLenRight, p.FinishedShare, mark)
		}
		b, s := r.Result.TestBase, r.Result.TestSteered
		fmt.Fprintf(w, "  test: unsteered pass@1 %.3f len %.1f; steered (layer %d, alpha %.2f) pass@1 %.3f len %.1f\n",
			b.PassAt1, b.MeanLen, s.Layer, s.Alpha, s.PassAt1, s.MeanLen)
	}
	if len(rows) > 1 {
		var parts []string
		for _, k := range []string{"delta_pass@1", "delta_len", "relative_len"} {
			st := stats[k]
			iv := ""
			if st.CI95 != nil && !math.IsNaN(st.CI95[0]) {
				iv = fmt.Sprintf(" [%+.3f, %+.3f]", st.CI95[0], st.CI95[1])
			}
			parts = append(parts, fmt.Sprintf("%s %+.3f%s", k, st.Mean, iv))
		}
		fmt.Fprintf(w, "steered - unsteered over %d runs (mean, 95%% t-interval): %s\n", len(rows), strings.Join(parts, "; "))
	}
	return nil
}

// parseFloats reads a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// steerRun runs the study on one run directory.
func steerRun(dir string, alphas []float64, o steerOpts) (*steer.Result, string, error) {
	cr, err := loadCharRun(dir, o.checkpoint)
	if err != nil {
		return nil, "", err
	}
	r, tok, bos, eos, m, mdir := cr.recipe, cr.tok, cr.bos, cr.eos, cr.model, cr.modelDir
	if r.Env.Name != "" && r.Env.Name != "single" {
		return nil, "", fmt.Errorf("environment %q: steer evaluates single-turn runs only", r.Env.Name)
	}
	t, err := task.New(r.Task.Name, r.Task.Params)
	if err != nil {
		return nil, "", err
	}
	train, err := task.Generate(t, task.Train, o.seed*31+0x7374656572, o.calib+o.dev, r.Task.Template)
	if err != nil {
		return nil, "", err
	}
	test, err := run.EvalProblems(r, t, o.test)
	if err != nil {
		return nil, "", err
	}
	toProblems := func(ps []task.Problem) ([]steer.Problem, error) {
		out := make([]steer.Problem, len(ps))
		for i, p := range ps {
			ids, err := tok.Encode(p.Prompt)
			if err != nil {
				return nil, fmt.Errorf("prompt %q: %w", p.Prompt, err)
			}
			out[i] = steer.Problem{Prompt: append([]int32{bos}, ids...), Grade: func(c []int32) bool {
				if n := len(c); n > 0 && c[n-1] == eos {
					c = c[:n-1]
				}
				return t.Grade(p, tok.Decode(c)).Correct
			}}
		}
		return out, nil
	}
	cal, err := toProblems(train[:o.calib])
	if err != nil {
		return nil, "", err
	}
	dev, err := toProblems(train[o.calib:])
	if err != nil {
		return nil, "", err
	}
	ts, err := toProblems(test)
	if err != nil {
		return nil, "", err
	}
	var layers []int
	if o.layers == "all" {
		for l := range m.Layers {
			layers = append(layers, l)
		}
	} else {
		for _, f := range strings.Split(o.layers, ",") {
			l, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return nil, "", fmt.Errorf("--layers: %q is not a layer index", f)
			}
			layers = append(layers, l)
		}
	}
	maxNew := o.maxNew
	if maxNew == 0 {
		maxNew = r.Eval.MaxNewTokens
	}
	res, err := steer.Study(m, cal, dev, ts, steer.Options{Layers: layers, Alphas: alphas, Norm: o.norm, Scope: o.scope,
		Samples: o.samples, Temperature: float32(o.temperature), MaxNew: maxNew, Stop: []int32{eos}, Tolerance: o.tol, Seed: o.seed})
	return res, mdir, err
}
