package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/plot"
	"github.com/autodidact-rl/autodidact/run"
)

// reportPlotFlags parses `report [--plot] [--plot-dir DIR] RUN...`; plotDir
// is empty when no plots are asked for.
func reportPlotFlags(args []string, stderr io.Writer) (dirs []string, plotDir string, err error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	doPlot := fs.Bool("plot", false, "also draw pass@k and training curves as SVG and PNG")
	dir := fs.String("plot-dir", "report-plots", "where --plot writes its pictures")
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if *doPlot {
		plotDir = *dir
	}
	return fs.Args(), plotDir, nil
}

// reportPlots draws, for run directories, their base and final pass@k
// curves (passk.svg/png) and their RL training curves (accuracy, reward,
// entropy, response_len, kl) into out.
func reportPlots(out string, dirs []string, stdout io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("report --plot: %w", err)
	}
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
