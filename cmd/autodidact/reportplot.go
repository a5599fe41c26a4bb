package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/plot"
	"github.com/autodidact-rl/autodidact/run"
)

// reportPlots draws, for run directories, their base and final pass@k
// curves (passk.svg/png) and their RL training curves (accuracy, reward,
// entropy, response_len, kl) into out. Only finished language-model runs
// are drawn; report's table marks the others.
func reportPlots(out string, dirs []string, stdout io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("report --plot: %w", err)
	}
	var lm []string
	for _, d := range dirs {
		if run.ClassifyDir(d).Kind == run.KindLM {
			lm = append(lm, d)
		}
	}
	if len(lm) == 0 {
		return fmt.Errorf("report --plot: none of %s is a finished language-model run", strings.Join(dirs, ", "))
	}
	dirs = lm
	var bands []plot.Band
	for _, d := range dirs {
		s, err := run.ReadSummary(d)
		if err != nil {
			return fmt.Errorf("report --plot: %w", err)
		}
		name := filepath.Base(d)
		bands = append(bands, plot.Band{Name: name + " base", Mean: s.BaseCurve}, plot.Band{Name: name + " final", Mean: s.FinalCurve})
	}
	base := filepath.Join(out, "passk")
	if err := plot.PassAtK(base, "pass@k", bands); err != nil {
		return err
	}
	written := []string{base}
	names := make([]string, len(dirs))
	for i, d := range dirs {
		names[i] = filepath.Base(d)
	}
	more, err := plot.Training(out, dirs, names)
	if err != nil {
		return err
	}
	for _, w := range append(written, more...) {
		fmt.Fprintf(stdout, "wrote %s.svg and %s.png\n", w, w)
	}
	return nil
}

// newReportCmd is `autodidact report [--plot] [--plot-dir DIR] DIR...`.
func newReportCmd() *cobra.Command {
	var doPlot bool
	var plotDir string
	c := &cobra.Command{
		Use:   "report DIR... [flags]",
		Short: "compare runs side by side (language-model and control runs)",
		Long: `Report runs side by side: for language-model runs their recipe, task,
the settings that differ between them, pass@k before and after RL; for
control runs their algorithm, environment and final return. Arguments
that are unfinished runs, failed runs or not runs at all are listed
with what they are; an argument that is not a run directory at all
makes the exit status 1.`,
		Example: `  autodidact report runs/*
  autodidact report --plot --plot-dir plots runs/a runs/b`,
		Args: needArgs(1, "name one or more run directories"),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			if err := run.Report(cmd.OutOrStdout(), dirs); err != nil || !doPlot {
				return err
			}
			return reportPlots(plotDir, dirs, cmd.OutOrStdout())
		},
	}
	c.Flags().BoolVar(&doPlot, "plot", false, "also draw pass@k and training curves as SVG and PNG")
	c.Flags().StringVar(&plotDir, "plot-dir", "report-plots", "where --plot writes its pictures")
	c.MarkFlagDirname("plot-dir")
	return c
}
