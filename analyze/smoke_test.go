package analyze

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/autodidact-rl/autodidact/run"
)

// A real smoke run (grpo on chain, run.Run's smoke configuration) analysed
// end to end: every fraction in [0, 1], the reference against the last
// RL checkpoint (RL moved the weights: pretraining is long enough for
// some right answers), the sparsity curve, and the styles of its samples.
func TestSmokeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	r, err := run.LoadRecipe("grpo")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"task.name=chain", "task.params={min_ops: 1, max_ops: 1}"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Smoke(); err != nil {
		t.Fatal(err)
	}
	// Enough pretraining that some rollouts are right, so RL moves weights.
	if err := r.Set([]string{"pretrain.steps=400", "rl.steps=10", "rl.prompts_per_step=8"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := run.Run(r, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	in01 := func(what string, x float64) {
		t.Helper()
		if !(x >= 0 && x <= 1) {
			t.Errorf("%s = %v, not in [0, 1]", what, x)
		}
	}
	for _, opts := range []SparsityOptions{{}, {BF16: true}, {Exact: true}} {
		s, err := Sparsity(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.N == 0 || s.Changed == 0 || s.Matrices == 0 || filepath.Base(s.Base) != "reference" || s.FinalStep <= 0 {
			t.Errorf("%s: report %+v", s.Criterion, s)
		}
		in01(s.Criterion+" changed", s.ChangedFrac)
		in01(s.Criterion+" bf16", s.BF16Frac)
		in01(s.Criterion+" mean rank ratio", s.MeanRankRatio)
		for _, tf := range s.ByTol {
			in01("by tol", tf.Frac)
		}
		for _, ts := range s.Tensors {
			in01(ts.Name, ts.ChangedFrac)
			if len(ts.Shape) == 2 {
				in01(ts.Name+" rank ratio", ts.RankRatio)
			}
		}
		if err := WriteSparsity(io.Discard, s, "text"); err != nil {
			t.Error(err)
		}
		o, err := Overlap(s, s) // a run with itself: o = 1 unless nothing changed
		if err != nil {
			t.Fatal(err)
		}
		if s.Changed > 0 && !near(o.Total.Overlap, 1) {
			t.Errorf("self overlap %v", o.Total.Overlap)
		}
		in01("chance", o.Total.Chance)
	}
	pts, err := SparsityCurve(dir, SparsityOptions{NoRank: true})
	if err != nil {
		t.Fatal(err)
	}
	// The first RL checkpoint is the RL-start model itself: nothing changed.
	if len(pts) < 2 || pts[0].ChangedFrac != 0 || pts[0].BF16Frac != 0 || pts[len(pts)-1].ChangedFrac == 0 {
		t.Errorf("curve %+v", pts)
	}
	for i, p := range pts {
		in01("curve changed", p.ChangedFrac)
		in01("curve bf16", p.BF16Frac)
		if i > 0 && p.Step <= pts[i-1].Step {
			t.Errorf("curve steps not increasing: %+v", pts)
		}
	}
	var cur bytes.Buffer
	if err := WriteCurve(&cur, pts, "text"); err != nil {
		t.Error(err)
	}
	t.Logf("\n%s", cur.String())
	if _, err := SparsityCurve(t.TempDir(), SparsityOptions{}); err == nil {
		t.Error("curve of an empty directory: no error")
	}
	e, err := Echo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e.Records == 0 || len(e.Buckets) == 0 {
		t.Errorf("echo %+v", e)
	}
	for _, b := range append(e.Buckets, e.Total) {
		in01("accuracy", b.Accuracy)
		sum := 0.0
		for _, s := range b.Styles {
			in01(s.Style+" share", s.Share)
			sum += s.Share
		}
		if !near(sum, 1) {
			t.Errorf("shares of steps %d-%d sum to %v", b.FirstStep, b.LastStep, sum)
		}
	}
	var out bytes.Buffer
	if err := WriteEcho(&out, e, "text"); err != nil {
		t.Error(err)
	}
	t.Logf("\n%s", out.String())
}
