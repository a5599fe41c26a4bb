// Package compare runs a grid of recipes × seeds with shared overrides, one
// run directory per cell, and summarises it: per recipe the mean and 95%
// t-interval of every summary figure over seeds, paired differences against
// a baseline recipe, a Markdown table (compare.md) and compare.json.
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/run"
)

// File names inside a compare directory.
const (
	JSONFile     = "compare.json"
	MarkdownFile = "compare.md"
	FailedFile   = "failed.txt" // inside a cell directory: the error of its last attempt
)

// Grid is what to run: every recipe with every seed, each with Sets
// applied (after the recipe's smoke configuration, Recipe.Smoke, when Smoke is set).
type Grid struct {
	Recipes  []string // recipe names or paths; the first is the baseline unless Baseline names another
	Seeds    []uint64
	Sets     []string // KEY=VALUE overrides applied to every cell
	Smoke    bool     // the tiny configuration of `autodidact run --smoke`
	Baseline string   // recipe the paired differences are taken against (default Recipes[0])
}

// Cell is one run of the grid.
type Cell struct {
	Recipe string `json:"recipe"`
	Seed   uint64 `json:"seed"`
	Dir    string `json:"dir"` // relative to the compare directory
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// PretrainCache is the directory of pretrained models the cell shares
	// with the grid's other cells (run.Options.PretrainCache; empty: none).
	PretrainCache string `json:"-"`

	recipe *run.Recipe
}

// Cell states.
const (
	StatusDone   = "done"
	StatusFailed = "failed"
)

// Runner runs (resume false) or continues (resume true) one cell whose
// recipe is fully resolved, in dir. threads is the cell's share of the
// cores (0: leave the recipe's setting).
type Runner func(c *Cell, r *run.Recipe, dir string, resume bool, threads int, log io.Writer) error

// InProcess runs a cell with run.Run in this process. The matrix-product
// thread count is process-wide, so use it for one cell at a time.
func InProcess(c *Cell, r *run.Recipe, dir string, resume bool, threads int, log io.Writer) error {
	if resume {
		saved, err := run.LoadRecipe(filepath.Join(dir, run.ConfigFile))
		if err != nil {
			return err
		}
		r = saved
	}
	if threads > 0 {
		r.Threads = threads
	}
	_, err := run.RunWith(r, dir, resume, log, run.Options{PretrainCache: c.PretrainCache})
	return err
}

// Options say how to execute a grid.
type Options struct {
	Parallel int    // cells at once (default 1)
	Threads  int    // threads per cell (0: the recipe's setting)
	Run      Runner // default InProcess (only with Parallel 1)
	Log      io.Writer
	// SharePretraining lets cells whose pretraining is identical (same
	// seed, task, model, pretraining, environment and numerics: see
	// run.Recipe.PretrainKey) share one pretrained model, kept in the
	// grid's PretrainDir: the first such cell pretrains, the others load
	// its model. Results are unchanged, bit for bit.
	SharePretraining bool
}

// PretrainDir is the directory of a compare directory that holds the
// pretrained models its cells share (Options.SharePretraining).
const PretrainDir = "pretrained"

// Plan resolves every cell's recipe, so an unknown recipe, an unknown or
// ill-typed override or an invalid result fails before any run starts.
func Plan(g Grid) ([]*Cell, error) {
	if len(g.Recipes) == 0 {
		return nil, errors.New("compare: name at least one recipe")
	}
	if len(g.Seeds) == 0 {
		return nil, errors.New("compare: name at least one seed")
	}
	seen := map[string]bool{}
	for _, name := range g.Recipes {
		if seen[name] {
			return nil, fmt.Errorf("compare: recipe %q named twice", name)
		}
		seen[name] = true
	}
	if g.Baseline != "" && !seen[g.Baseline] {
		return nil, fmt.Errorf("compare: baseline %q is not among the recipes %v", g.Baseline, g.Recipes)
	}
	var cells []*Cell
	for _, name := range g.Recipes {
		for _, seed := range g.Seeds {
			r, err := run.LoadRecipe(name)
			if err != nil {
				return nil, fmt.Errorf("compare: recipe %q: %w", name, err)
			}
			if g.Smoke {
				if err := r.Smoke(); err != nil {
					return nil, fmt.Errorf("compare: recipe %q: %w", name, err)
				}
			}
			sets := append(append([]string{}, g.Sets...), fmt.Sprintf("seed=%d", seed))
			if err := r.Set(sets); err != nil {
				return nil, fmt.Errorf("compare: recipe %q: %w", name, err)
			}
			if err := r.Validate(); err != nil {
				return nil, fmt.Errorf("compare: recipe %q with the overrides: %w", name, err)
			}
			cells = append(cells, &Cell{Recipe: name, Seed: seed, Dir: cellDir(name, seed), recipe: r})
		}
	}
	return cells, nil
}

// cellDir names a cell's run directory after its recipe (a path's base name
// without extension) and seed.
func cellDir(recipe string, seed uint64) string {
	base := strings.TrimSuffix(filepath.Base(recipe), filepath.Ext(recipe))
	return fmt.Sprintf("%s-seed%d", base, seed)
}

// Execute runs the grid in out. Cells whose summary.json exists are
// skipped; a cell with a run directory but no summary is resumed from its
// last checkpoint; a cell that fails is recorded with its error (also in
// its failed.txt) and the others go on. It then writes compare.json,
// compare.md and the plots (see Result.Plots) and returns the result. The error is non-nil only when the
// grid could not be planned or the result not written.
func Execute(g Grid, out string, o Options) (*Result, error) {
	cells, err := Plan(g)
	if err != nil {
		return nil, err
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.Run == nil {
		if o.Parallel > 1 {
			return nil, errors.New("compare: parallel cells need a Runner in separate processes")
		}
		o.Run = InProcess
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(o.Log, format, args...)
	}
	jobs := make(chan *Cell)
	var wg sync.WaitGroup
	for w := 0; w < o.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				runCell(c, out, o, logf)
			}
		}()
	}
	for _, c := range cells {
		if o.SharePretraining {
			c.PretrainCache = filepath.Join(out, PretrainDir)
		}
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	res, err := Summarise(out, cells, baseline(g))
	if err != nil {
		return nil, err
	}
	if err := res.Write(out); err != nil {
		return nil, err
	}
	if _, err := res.Plots(out); err != nil {
		return res, err
	}
	return res, nil
}

func baseline(g Grid) string {
	if g.Baseline != "" {
		return g.Baseline
	}
	return g.Recipes[0]
}

// runCell runs or resumes one cell and records its status.
func runCell(c *Cell, out string, o Options, logf func(string, ...any)) {
	dir := filepath.Join(out, c.Dir)
	if _, err := run.ReadSummary(dir); err == nil {
		logf("compare: %s finished, skipped\n", c.Dir)
		c.Status = StatusDone
		return
	}
	_, statErr := os.Stat(filepath.Join(dir, run.ConfigFile))
	resume := statErr == nil
	verb := "running"
	if resume {
		verb = "resuming"
	}
	logf("compare: %s %s\n", verb, c.Dir)
	var log io.Writer = io.Discard
	f, err := os.OpenFile(filepath.Join(out, c.Dir+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		defer f.Close()
		log = f
	}
	err = o.Run(c, c.recipe, dir, resume, o.Threads, log)
	if err == nil {
		if _, err = run.ReadSummary(dir); err == nil {
			os.Remove(filepath.Join(dir, FailedFile))
			c.Status = StatusDone
			logf("compare: %s done\n", c.Dir)
			return
		}
	}
	c.Status, c.Error = StatusFailed, err.Error()
	logf("compare: %s failed: %v\n", c.Dir, err)
	var locked *run.LockedError
	if errors.As(err, &locked) {
		return // another process is writing the cell: leave its directory alone
	}
	if os.MkdirAll(dir, 0o755) == nil {
		checkpoint.WriteFileAtomic(filepath.Join(dir, FailedFile), []byte(c.Error+"\n"))
	}
}

// Result is compare.json.
type Result struct {
	Baseline string             `json:"baseline"`
	Recipes  []string           `json:"recipes"`
	Cells    []*Cell            `json:"cells"`
	Figures  map[string]Figures `json:"figures"` // per recipe
	// Paired holds, per recipe other than the baseline, the t-interval of
	// the per-seed differences (recipe − baseline) over the seeds both
	// finished.
	Paired map[string]Figures `json:"paired_vs_baseline"`
	// Curves holds per recipe the mean and interval of pass@k for
	// k = 1..len at the base and final evaluations.
	Curves map[string]Curves `json:"curves"`
}

// Figures maps a summary figure's name (as in summary.json) to its
// statistic over seeds.
type Figures map[string]Stat

// Curves are pass@k curves over seeds.
type Curves struct {
	Base  []Stat `json:"base_pass_curve"`
	Final []Stat `json:"final_pass_curve"`
}

// FigureNames lists the summary figures compare aggregates, in table order.
var FigureNames = []string{"final_pass@1", "base_pass@1", "delta_pass@1", "final_pass@k", "base_pass@k",
	"final_maj@k", "base_maj@k", "final_mean_len", "base_mean_len", "final_entropy", "wall_seconds"}

// figures extracts the named figures of a summary, and its environment's
// and methods' extra figures (summary.json's "extra": e.g.
// final_t2_accuracy, final_tool_calls) under their own names.
func figures(s *run.Summary) map[string]float64 {
	f := map[string]float64{
		"final_pass@1": s.FinalPass1, "base_pass@1": s.BasePass1, "delta_pass@1": s.FinalPass1 - s.BasePass1,
		"final_pass@k": s.FinalPassK, "base_pass@k": s.BasePassK, "final_maj@k": s.FinalMajK, "base_maj@k": s.BaseMajK,
		"final_mean_len": s.FinalLen, "base_mean_len": s.BaseLen, "final_entropy": s.FinalEntropy, "wall_seconds": s.WallSeconds,
	}
	for k, v := range s.Extra {
		if _, ok := f[k]; !ok {
			f[k] = v
		}
	}
	return f
}

// extraNames lists, sorted, the extra figures any of the summaries has.
func extraNames(ss ...[]*run.Summary) []string {
	seen := map[string]bool{}
	for _, group := range ss {
		for _, s := range group {
			for k := range s.Extra {
				seen[k] = true
			}
		}
	}
	return extrasOf(seen)
}

// extrasOf returns the names in seen that are not FigureNames, sorted.
func extrasOf(seen map[string]bool) []string {
	var names []string
	for k := range seen {
		if !slices.Contains(FigureNames, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// Summarise reads the summaries of the finished cells in out and computes
// the per-recipe statistics and the paired differences against baseline.
func Summarise(out string, cells []*Cell, baseline string) (*Result, error) {
	res := &Result{Baseline: baseline, Cells: cells, Figures: map[string]Figures{}, Paired: map[string]Figures{}, Curves: map[string]Curves{}}
	bySeed := map[string]map[uint64]*run.Summary{}
	for _, c := range cells {
		if bySeed[c.Recipe] == nil {
			bySeed[c.Recipe] = map[uint64]*run.Summary{}
			res.Recipes = append(res.Recipes, c.Recipe)
		}
		if c.Status != StatusDone {
			continue
		}
		s, err := run.ReadSummary(filepath.Join(out, c.Dir))
		if err != nil {
			return nil, fmt.Errorf("compare: cell %s: %w", c.Dir, err)
		}
		bySeed[c.Recipe][c.Seed] = s
	}
	for _, name := range res.Recipes {
		ss := sorted(bySeed[name])
		res.Figures[name] = aggregate(ss, nil)
		res.Curves[name] = Curves{Base: curveStats(ss, func(s *run.Summary) []float64 { return s.BaseCurve }),
			Final: curveStats(ss, func(s *run.Summary) []float64 { return s.FinalCurve })}
		if name == baseline {
			continue
		}
		var pairs, base []*run.Summary
		for seed, s := range bySeed[name] {
			if b, ok := bySeed[baseline][seed]; ok {
				pairs, base = append(pairs, s), append(base, b)
			}
		}
		res.Paired[name] = aggregate(pairs, base)
	}
	return res, nil
}

// sorted returns summaries in seed order.
func sorted(m map[uint64]*run.Summary) []*run.Summary {
	seeds := make([]uint64, 0, len(m))
	for s := range m {
		seeds = append(seeds, s)
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	out := make([]*run.Summary, len(seeds))
	for i, s := range seeds {
		out[i] = m[s]
	}
	return out
}

// aggregate computes the t-interval of every figure over ss, or of the
// differences ss[i] − minus[i] when minus is given.
func aggregate(ss, minus []*run.Summary) Figures {
	f := Figures{}
	for _, name := range append(append([]string{}, FigureNames...), extraNames(ss, minus)...) {
		xs := make([]float64, 0, len(ss))
		for i, s := range ss {
			x, ok := figures(s)[name]
			if minus != nil {
				y, ok2 := figures(minus[i])[name]
				x, ok = x-y, ok && ok2
			}
			if ok {
				xs = append(xs, x)
			}
		}
		f[name] = TInterval(xs)
	}
	return f
}

// curveStats computes the t-interval at each k over the curves of ss
// (truncated to the shortest).
func curveStats(ss []*run.Summary, get func(*run.Summary) []float64) []Stat {
	if len(ss) == 0 {
		return nil
	}
	n := len(get(ss[0]))
	for _, s := range ss {
		n = min(n, len(get(s)))
	}
	out := make([]Stat, n)
	for k := range out {
		xs := make([]float64, len(ss))
		for i, s := range ss {
			xs[i] = get(s)[k]
		}
		out[k] = TInterval(xs)
	}
	return out
}

// Write saves compare.json and compare.md in out.
func (res *Result) Write(out string) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(out, JSONFile), append(b, '\n')); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	var sb strings.Builder
	res.Markdown(&sb)
	if err := checkpoint.WriteFileAtomic(filepath.Join(out, MarkdownFile), []byte(sb.String())); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

// ReadResult loads compare.json from a compare directory.
func ReadResult(out string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(out, JSONFile))
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if err := json.Unmarshal(b, res); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(out, JSONFile), err)
	}
	return res, nil
}

// Markdown writes the result as a table: per recipe the seeds finished,
// final pass@1, its paired difference from the baseline, pass@k, mean
// length and entropy, each as mean [95% interval], then the failed cells.
func (res *Result) Markdown(w io.Writer) {
	fmt.Fprintf(w, "| recipe | n | final pass@1 | Δ pass@1 vs %s (paired) | final pass@k | Δ pass@k vs %s (paired) | final length | final entropy |\n", res.Baseline, res.Baseline)
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, name := range res.Recipes {
		f, p := res.Figures[name], res.Paired[name]
		dp1, dpk := "—", "—"
		if name != res.Baseline {
			dp1, dpk = signed(p["final_pass@1"]), signed(p["final_pass@k"])
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", name, f["final_pass@1"].N, plain(f["final_pass@1"], "%.3f"), dp1,
			plain(f["final_pass@k"], "%.3f"), dpk, plain(f["final_mean_len"], "%.1f"), plain(f["final_entropy"], "%.3f"))
	}
	res.markdownExtras(w)
	fmt.Fprintln(w, "\nIntervals: two-sided 95% Student-t over seeds (paired: over per-seed differences).")
	for _, c := range res.Cells {
		if c.Status == StatusFailed {
			fmt.Fprintf(w, "\nfailed: %s: %s\n", c.Dir, c.Error)
		}
	}
}

func plain(s Stat, format string) string {
	if s.N == 0 {
		return "—"
	}
	if s.CI95 == nil {
		return fmt.Sprintf(format, s.Mean)
	}
	return fmt.Sprintf(format+" ["+format+", "+format+"]", s.Mean, s.CI95[0], s.CI95[1])
}

func signed(s Stat) string { return plain(s, "%+.3f") }

// markdownExtras writes a second table of the extra figures (those not in
// FigureNames: an environment's or a method's), when any recipe has them.
func (res *Result) markdownExtras(w io.Writer) {
	seen := map[string]bool{}
	for _, f := range res.Figures {
		for k := range f {
			seen[k] = true
		}
	}
	names := extrasOf(seen)
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(w, "\n| recipe | %s |\n|%s\n", strings.Join(names, " | "), strings.Repeat(" --- |", len(names)+1))
	for _, name := range res.Recipes {
		row := []string{name}
		for _, k := range names {
			st, ok := res.Figures[name][k]
			if !ok || st.N == 0 {
				row = append(row, "—")
				continue
			}
			row = append(row, plain(st, "%.3f"))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}
