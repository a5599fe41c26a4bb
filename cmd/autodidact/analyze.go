package main

import (
	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/analyze"
)

// newAnalyzeCmd is `autodidact analyze sparsity|overlap|curve|echo`.
func newAnalyzeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "analyze",
		Short: "what RL did to a run: update sparsity and rank, overlap across runs, output-style shares",
		Args:  noArgs,
	}
	var o analyze.SparsityOptions
	var asJSON bool
	var bucket int
	format := func() string {
		if asJSON {
			return "json"
		}
		return "text"
	}
	sparsityFlags := func(cmd *cobra.Command) {
		f := cmd.Flags()
		f.Float64Var(&o.Tol, "tol", analyze.DefaultTol, "an entry counts as changed when |Δ| exceeds this")
		f.BoolVar(&o.Exact, "exact", false, "count any change (Δ ≠ 0)")
		f.BoolVar(&o.BF16, "bf16", false, "count entries whose bf16 roundings differ")
		f.StringVar(&o.Base, "base", "", "model or run directory to compare from (default RUN/reference: the model when RL started)")
		f.StringVar(&o.Final, "final", "", "model or run directory to compare to (default RUN's latest checkpoint)")
		f.BoolVar(&o.NoRank, "no-rank", false, "skip the SVD rank of each matrix's update")
		f.BoolVar(&asJSON, "json", false, "write JSON")
	}
	sparsity := &cobra.Command{
		Use:   "sparsity RUN [flags]",
		Short: "fraction of parameters RL changed, per matrix and layer, and the rank of each update",
		Long: `Compare the model when RL started (RUN/reference) with RUN's latest
checkpoint, or --base with --final (model or run directories, e.g. two
checkpoints/step-N of a pretraining): per tensor and in total the fraction
of entries changed beyond --tol (or any change with --exact, or a changed
bf16 rounding with --bf16), at several tolerances, and the numerical rank
of each matrix's update (card D8, "RL fine-tunes small subnetworks").`,
		Args: rangeArgs(1, 1, "takes one run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := analyze.Sparsity(args[0], o)
			if err != nil {
				return err
			}
			return analyze.WriteSparsity(cmd.OutOrStdout(), r, format())
		},
	}
	sparsityFlags(sparsity)
	overlap := &cobra.Command{
		Use:   "overlap RUN1 RUN2 [flags]",
		Short: "overlap of the parameters two runs' RL updated, against chance",
		Args:  rangeArgs(2, 2, "takes two run directories"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := analyze.Sparsity(args[0], o)
			if err != nil {
				return err
			}
			b, err := analyze.Sparsity(args[1], o)
			if err != nil {
				return err
			}
			ov, err := analyze.Overlap(a, b)
			if err != nil {
				return err
			}
			return analyze.WriteOverlap(cmd.OutOrStdout(), ov, format())
		},
	}
	sparsityFlags(overlap)
	curve := &cobra.Command{
		Use:   "curve RUN [flags]",
		Short: "changed fraction from the RL start to every RL checkpoint",
		Args:  rangeArgs(1, 1, "takes one run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pts, err := analyze.SparsityCurve(args[0], o)
			if err != nil {
				return err
			}
			return analyze.WriteCurve(cmd.OutOrStdout(), pts, format())
		},
	}
	sparsityFlags(curve)
	echo := &cobra.Command{
		Use:   "echo RUN [flags]",
		Short: "each output style's share and accuracy over RL steps (Echo Chamber), from samples.jsonl",
		Args:  rangeArgs(1, 1, "takes one run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := analyze.EchoWith(args[0], analyze.EchoOptions{Bucket: bucket})
			if err != nil {
				return err
			}
			return analyze.WriteEcho(cmd.OutOrStdout(), e, format())
		},
	}
	echo.Flags().IntVar(&bucket, "bucket", analyze.DefaultBucket, "RL steps per row")
	echo.Flags().BoolVar(&asJSON, "json", false, "write JSON")
	c.AddCommand(sparsity, overlap, curve, echo, newContaminationCmd())
	return c
}
