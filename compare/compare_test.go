package compare

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/run"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestTInterval(t *testing.T) {
	// Hand-derived: mean 0.4, s = 0.2, se = 0.2/√3, t(0.975, 2) = 4.302653
	// → half-width 0.496828; for {1, 3}: mean 2, s = √2, se = 1,
	// t(0.975, 1) = 12.706205.
	tests := []struct {
		xs       []float64
		mean, hw float64
		noCI     bool
	}{
		{[]float64{0.2, 0.4, 0.6}, 0.4, 4.302652729749464 * 0.2 / math.Sqrt(3), false},
		{[]float64{1, 3}, 2, 12.706204736174707, false},
		{[]float64{5, 5, 5, 5}, 5, 0, false},
		{[]float64{0.7}, 0.7, 0, true},
	}
	for _, tc := range tests {
		s := TInterval(tc.xs)
		if s.N != len(tc.xs) || !near(s.Mean, tc.mean) {
			t.Errorf("%v: n %d mean %v, want %d %v", tc.xs, s.N, s.Mean, len(tc.xs), tc.mean)
		}
		if tc.noCI {
			if s.CI95 != nil {
				t.Errorf("%v: interval %v from one value", tc.xs, *s.CI95)
			}
			continue
		}
		if s.CI95 == nil || math.Abs(s.CI95[0]-(tc.mean-tc.hw)) > 1e-6 || math.Abs(s.CI95[1]-(tc.mean+tc.hw)) > 1e-6 {
			t.Errorf("%v: ci95 %v, want ±%v around %v", tc.xs, s.CI95, tc.hw, tc.mean)
		}
	}
	if got := TQuantile975(2); math.Abs(got-4.302653) > 1e-6 {
		t.Errorf("t(0.975, 2) = %v, want 4.302653", got)
	}
}

// writeSummary puts a hand-made summary.json in out/dir.
func writeSummary(t *testing.T, out, dir string, s run.Summary) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(out, dir), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(out, dir, run.SummaryFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSummariseHandMade(t *testing.T) {
	out := t.TempDir()
	// baseline "a": final pass@1 0.2, 0.4, 0.6 over seeds 1..3;
	// "b": 0.3, 0.6, 0.6 (differences 0.1, 0.2, 0.0: mean 0.1, s = 0.1);
	// "b" seed 3 failed in "c"'s place: recipe "c" has seeds 1, 2 only.
	a := []float64{0.2, 0.4, 0.6}
	b := []float64{0.3, 0.6, 0.6}
	var cells []*Cell
	for i, seed := range []uint64{1, 2, 3} {
		for _, rc := range []struct {
			name string
			p1   float64
		}{{"a", a[i]}, {"b", b[i]}} {
			dir := cellDir(rc.name, seed)
			writeSummary(t, out, dir, run.Summary{Seed: seed, FinalPass1: rc.p1, BasePass1: 0.1, FinalCurve: []float64{rc.p1, 1}, BaseCurve: []float64{0.1, 0.5}})
			cells = append(cells, &Cell{Recipe: rc.name, Seed: seed, Dir: dir, Status: StatusDone})
		}
	}
	cells = append(cells, &Cell{Recipe: "c", Seed: 1, Dir: "c-seed1", Status: StatusFailed, Error: "boom"})
	res, err := Summarise(out, cells, "a")
	if err != nil {
		t.Fatal(err)
	}
	fa := res.Figures["a"]["final_pass@1"]
	if fa.N != 3 || !near(fa.Mean, 0.4) || math.Abs(fa.CI95[1]-(0.4+0.496828)) > 1e-6 {
		t.Errorf("a final_pass@1 = %+v %v", fa, *fa.CI95)
	}
	if d := res.Figures["b"]["delta_pass@1"]; !near(d.Mean, 0.5-0.1) {
		t.Errorf("b delta_pass@1 mean %v, want 0.4", d.Mean)
	}
	p := res.Paired["b"]["final_pass@1"]
	hw := 4.302652729749464 * 0.1 / math.Sqrt(3)
	if p.N != 3 || !near(p.Mean, 0.1) || math.Abs(p.CI95[0]-(0.1-hw)) > 1e-6 || math.Abs(p.CI95[1]-(0.1+hw)) > 1e-6 {
		t.Errorf("paired b−a = %+v %v, want 0.1 ± %v", p, *p.CI95, hw)
	}
	if _, ok := res.Paired["a"]; ok {
		t.Error("the baseline has a paired difference against itself")
	}
	if c := res.Figures["c"]["final_pass@1"]; c.N != 0 {
		t.Errorf("failed-only recipe c has n = %d", c.N)
	}
	if cv := res.Curves["b"].Final; len(cv) != 2 || !near(cv[0].Mean, 0.5) || !near(cv[1].Mean, 1) {
		t.Errorf("b final curve %+v", cv)
	}
	if err := res.Write(out); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, MarkdownFile))
	for _, want := range []string{"| b | 3 | 0.500 [", "+0.100 [-0.148, +0.348]", "failed: c-seed1: boom"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("compare.md lacks %q:\n%s", want, md)
		}
	}
}

func TestBadGridFailsBeforeAnyRun(t *testing.T) {
	tests := []struct {
		name string
		g    Grid
		want string
	}{
		{"unknown recipe", Grid{Recipes: []string{"grpo", "no_such_recipe"}, Seeds: []uint64{1}}, "no_such_recipe"},
		{"unknown override", Grid{Recipes: []string{"grpo"}, Seeds: []uint64{1}, Sets: []string{"rl.no_such_knob=3"}}, "no_such_knob"},
		{"ill-typed override", Grid{Recipes: []string{"grpo"}, Seeds: []uint64{1}, Sets: []string{"rl.steps=many"}}, "rl.steps"},
		{"no seeds", Grid{Recipes: []string{"grpo"}}, "seed"},
		{"no recipes", Grid{Seeds: []uint64{1}}, "recipe"},
		{"baseline outside grid", Grid{Recipes: []string{"grpo"}, Seeds: []uint64{1}, Baseline: "nsr"}, "baseline"},
		{"recipe twice", Grid{Recipes: []string{"grpo", "grpo"}, Seeds: []uint64{1}}, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "cmp")
			calls := 0
			_, err := Execute(tc.g, out, Options{Run: func(*Cell, *run.Recipe, string, bool, int, io.Writer) error {
				calls++
				return nil
			}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
			if calls != 0 {
				t.Errorf("%d cells ran before the error", calls)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("compare directory created: %v", err)
			}
		})
	}
}

// TestSmokeGrid runs grpo and nsr over two seeds in the smoke configuration
// with one cell failing, then "kills" a finished cell (its summary removed,
// as if the process died after the last checkpoint) and restarts: only that
// cell runs again, resumed, and reproduces its figures exactly.
func TestSmokeGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five smoke cells")
	}
	out := t.TempDir()
	g := Grid{Recipes: []string{"grpo", "nsr", "psr"}, Seeds: []uint64{1, 2}, Smoke: true, Sets: []string{"rl.steps=4"}}
	runner := func(c *Cell, r *run.Recipe, dir string, resume bool, threads int, log io.Writer) error {
		if c.Recipe == "psr" && c.Seed == 2 {
			return errors.New("injected failure")
		}
		if r.RL.Steps != 4 || r.Seed != c.Seed || r.Model.HiddenSize != 32 {
			t.Errorf("cell %s: rl.steps %d seed %d hidden %d: overrides not applied", c.Dir, r.RL.Steps, r.Seed, r.Model.HiddenSize)
		}
		return InProcess(c, r, dir, resume, threads, log)
	}
	res, err := Execute(g, out, Options{Run: runner})
	if err != nil {
		t.Fatal(err)
	}
	// compare.json's shape, read as plain JSON.
	var raw map[string]any
	b, err := os.ReadFile(filepath.Join(out, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"grpo", "nsr"} {
		f := raw["figures"].(map[string]any)[name].(map[string]any)
		for _, fig := range FigureNames {
			st, ok := f[fig].(map[string]any)
			if !ok {
				t.Fatalf("%s: figure %s missing", name, fig)
			}
			ci, _ := st["ci95"].([]any)
			mean, _ := st["mean"].(float64)
			if st["n"] != 2.0 || len(ci) != 2 || ci[0].(float64) > mean || ci[1].(float64) < mean {
				t.Errorf("%s %s = %v, want mean inside ci95 with n 2", name, fig, st)
			}
		}
	}
	if p := res.Figures["psr"]["final_pass@1"]; p.N != 1 || p.CI95 != nil {
		t.Errorf("psr with one seed: %+v", p)
	}
	failed := 0
	for _, c := range res.Cells {
		if c.Status == StatusFailed {
			failed++
			if c.Dir != "psr-seed2" || !strings.Contains(c.Error, "injected failure") {
				t.Errorf("unexpected failure %+v", c)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed cells, want 1", failed)
	}
	if msg, err := os.ReadFile(filepath.Join(out, "psr-seed2", FailedFile)); err != nil || !strings.Contains(string(msg), "injected") {
		t.Errorf("failed.txt: %q %v", msg, err)
	}
	// Each summary figure agrees with the cells' own summaries.
	s1, _ := run.ReadSummary(filepath.Join(out, "nsr-seed1"))
	s2, _ := run.ReadSummary(filepath.Join(out, "nsr-seed2"))
	if m := res.Figures["nsr"]["final_mean_len"].Mean; !near(m, (s1.FinalLen+s2.FinalLen)/2) {
		t.Errorf("nsr final_mean_len mean %v, want %v", m, (s1.FinalLen+s2.FinalLen)/2)
	}
	for _, f := range []string{"passk", "accuracy", "entropy", "response_len", "kl", "reward"} {
		for _, ext := range []string{".svg", ".png"} {
			if st, err := os.Stat(filepath.Join(out, f+ext)); err != nil || st.Size() == 0 {
				t.Errorf("plot %s%s: %v", f, ext, err)
			}
		}
	}

	// Kill and restart.
	before, _ := os.ReadFile(filepath.Join(out, "grpo-seed2", run.SummaryFile))
	if err := os.Remove(filepath.Join(out, "grpo-seed2", run.SummaryFile)); err != nil {
		t.Fatal(err)
	}
	var ran []string
	res, err = Execute(g, out, Options{Run: func(c *Cell, r *run.Recipe, dir string, resume bool, threads int, log io.Writer) error {
		ran = append(ran, c.Dir)
		if c.Dir == "grpo-seed2" && !resume {
			t.Errorf("grpo-seed2 started afresh, want resumed")
		}
		if c.Dir == "psr-seed2" {
			return errors.New("injected failure")
		}
		return InProcess(c, r, dir, resume, threads, log)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ran, " ") != "grpo-seed2 psr-seed2" {
		t.Errorf("restart ran %v, want only the unfinished grpo-seed2 and the failed psr-seed2", ran)
	}
	after, _ := run.ReadSummary(filepath.Join(out, "grpo-seed2"))
	var old run.Summary
	json.Unmarshal(before, &old)
	if after == nil || after.FinalPass1 != old.FinalPass1 || after.FinalLen != old.FinalLen || after.FinalEntropy != old.FinalEntropy {
		t.Errorf("resumed cell differs: %+v vs %+v", after, old)
	}
}

// TestSharedPretraining: a grid whose cells share pretraining gives the
// same figures as one that pretrains every cell, and pretrains once per
// seed.
func TestSharedPretraining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight smoke cells")
	}
	g := Grid{Recipes: []string{"grpo", "nsr"}, Seeds: []uint64{1, 2}, Smoke: true, Sets: []string{"rl.steps=3"}}
	plain, shared := t.TempDir(), t.TempDir()
	a, err := Execute(g, plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Execute(g, shared, Options{SharePretraining: true})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(shared, PretrainDir))
	if err != nil || len(entries) != 2 {
		t.Fatalf("pretrained cache: %d entries (%v), want one per seed", len(entries), err)
	}
	if _, err := os.Stat(filepath.Join(plain, PretrainDir)); err == nil {
		t.Error("a grid without sharing wrote a pretrain cache")
	}
	for _, name := range g.Recipes {
		for _, fig := range FigureNames {
			if fig == "wall_seconds" {
				continue
			}
			if x, y := a.Figures[name][fig].Mean, b.Figures[name][fig].Mean; x != y {
				t.Errorf("%s %s: %v pretraining every cell, %v sharing", name, fig, x, y)
			}
		}
	}
	log, _ := os.ReadFile(filepath.Join(shared, "nsr-seed2.log"))
	if !strings.Contains(string(log), "loaded from the cache") {
		t.Errorf("nsr-seed2 did not load the shared model:\n%s", log)
	}
}

// TestExtraFigures: an environment's extra summary figures are aggregated
// under their own names (over the seeds that have them), paired against
// the baseline, and tabled.
func TestExtraFigures(t *testing.T) {
	out := t.TempDir()
	// "tool": final_tool_calls 0.5, 0.7, 0.9; "plain" has none.
	var cells []*Cell
	for i, seed := range []uint64{1, 2, 3} {
		for _, name := range []string{"plain", "tool"} {
			s := run.Summary{Seed: seed, FinalPass1: 0.5}
			if name == "tool" {
				s.Extra = map[string]float64{"final_tool_calls": 0.5 + 0.2*float64(i), "base_tool_calls": 0.3}
			}
			dir := cellDir(name, seed)
			writeSummary(t, out, dir, s)
			cells = append(cells, &Cell{Recipe: name, Seed: seed, Dir: dir, Status: StatusDone})
		}
	}
	res, err := Summarise(out, cells, "tool")
	if err != nil {
		t.Fatal(err)
	}
	tc := res.Figures["tool"]["final_tool_calls"]
	hw := 4.302652729749464 * 0.2 / math.Sqrt(3)
	if tc.N != 3 || !near(tc.Mean, 0.7) || math.Abs(tc.CI95[1]-(0.7+hw)) > 1e-6 {
		t.Errorf("tool final_tool_calls = %+v", tc)
	}
	if p := res.Figures["plain"]["final_tool_calls"]; p.N != 0 {
		t.Errorf("plain has no tool calls but n = %d", p.N)
	}
	if p := res.Paired["plain"]["final_tool_calls"]; p.N != 0 {
		t.Errorf("a difference against a figure one side lacks: n = %d", p.N)
	}
	if err := res.Write(out); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, MarkdownFile))
	for _, want := range []string{"| recipe | base_tool_calls | final_tool_calls |", "| plain | — | — |", "| tool | 0.300 ["} {
		if !strings.Contains(string(md), want) {
			t.Errorf("compare.md lacks %q:\n%s", want, md)
		}
	}
}

// TestLockedCellIsLeftAlone: a cell whose directory another process is
// writing fails with the lock error and gets no failed.txt in that
// directory.
func TestLockedCellIsLeftAlone(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, cellDir("grpo", 1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := checkpoint.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	res, err := Execute(Grid{Recipes: []string{"grpo"}, Seeds: []uint64{1}, Smoke: true}, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Cells[0]; c.Status != StatusFailed || !strings.Contains(c.Error, "in use by another run") {
		t.Errorf("locked cell: %+v", c)
	}
	if _, err := os.Stat(filepath.Join(dir, FailedFile)); err == nil {
		t.Error("failed.txt written into a directory another process holds")
	}
}
