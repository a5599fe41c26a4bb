package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/run"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// runRun implements `autodidact run [RECIPE] [--set k=v]... [--out DIR]`
// and `autodidact run --resume DIR`.
func runRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sets multiFlag
	fs.Var(&sets, "set", "override a recipe field, e.g. --set rl.lr=1e-5 (repeatable)")
	out := fs.String("out", "", "run directory (default runs/<timestamp>-<recipe>)")
	resume := fs.String("resume", "", "continue the run in this directory")
	seed := fs.Int64("seed", -1, "shorthand for --set seed=N")
	smoke := fs.Bool("smoke", false, "run a tiny configuration of the recipe (seconds) to check its whole path")
	cache := fs.String("pretrain-cache", "", "share pretrained models through this directory (runs with identical pretraining load it instead of pretraining)")
	// Accept the recipe name before or after the flags.
	var recipe string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		recipe, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if recipe != "" || fs.NArg() > 1 {
			return fmt.Errorf("run: unexpected arguments %v", fs.Args())
		}
		recipe = fs.Arg(0)
	}
	if *resume != "" {
		if recipe != "" || len(sets) > 0 {
			return fmt.Errorf("run --resume takes the recipe saved in the run directory; drop the recipe and --set")
		}
		if _, err := os.Stat(filepath.Join(*resume, run.ConfigFile)); err != nil {
			return fmt.Errorf("run --resume %s: not a run directory (it has no %s)", *resume, run.ConfigFile)
		}
		r, err := run.LoadRecipe(filepath.Join(*resume, run.ConfigFile))
		if err != nil {
			return err
		}
		_, err = run.RunWith(r, *resume, true, stdout, run.Options{PretrainCache: *cache})
		return err
	}
	if recipe == "" {
		recipe = "grpo"
	}
	r, err := run.LoadRecipe(recipe)
	if err != nil {
		return err
	}
	if *seed >= 0 {
		sets = append(sets, fmt.Sprintf("seed=%d", *seed))
	}
	if *smoke {
		if err := r.Smoke(); err != nil {
			return err
		}
	}
	if err := r.Set(sets); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", time.Now().Format("20060102-150405")+"-"+r.Name)
	}
	_, err = run.RunWith(r, dir, false, stdout, run.Options{PretrainCache: *cache})
	return err
}

// runReport implements `autodidact report [--plot] DIR [DIR...]`.
func runReport(args []string, stdout, stderr io.Writer) error {
	args, plotDir, err := reportPlotFlags(args, stderr)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("report: name one or more run directories")
	}
	if err := run.Report(stdout, args); err != nil || plotDir == "" {
		return err
	}
	return reportPlots(plotDir, args, stdout)
}

func recipeList() string { return strings.Join(recipes.Names(), ", ") }
