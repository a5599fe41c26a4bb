package analyze

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// writeModel writes dir/model.safetensors holding ts.
func writeModel(t *testing.T, dir string, ts ...checkpoint.Tensor) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.WriteSafetensors(filepath.Join(dir, checkpoint.ModelFile), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tensor(name string, shape []int, data ...float32) checkpoint.Tensor {
	return checkpoint.Tensor{Name: name, Shape: shape, Data: data}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// Card D8's example: Δ = [0, 0, 1e-6, 2e-3, 0, −5e-4, 0, 0, 3e-5, 0] →
// exact sparsity 0.6, tol 1e-5 sparsity 0.7; by hand also |Δ| > 1e-4:
// {2e-3, 5e-4} → 0.2 and |Δ| > 1e-3: {2e-3} → 0.1.
func TestCardSparsity(t *testing.T) {
	dir := t.TempDir()
	base := writeModel(t, filepath.Join(dir, "a"), tensor("x", []int{10}, make([]float32, 10)...))
	final := writeModel(t, filepath.Join(dir, "b"), tensor("x", []int{10}, 0, 0, 1e-6, 2e-3, 0, -5e-4, 0, 0, 3e-5, 0))
	for _, c := range []struct {
		name     string
		opts     SparsityOptions
		sparsity float64
		crit     string
	}{
		{"default tol", SparsityOptions{}, 0.7, "abs>1e-05"},
		{"tol 1e-5", SparsityOptions{Tol: 1e-5}, 0.7, "abs>1e-05"},
		{"tol 1e-4", SparsityOptions{Tol: 1e-4}, 0.8, "abs>0.0001"},
		{"exact", SparsityOptions{Exact: true}, 0.6, "exact"},
		// bf16 around 0 keeps every one of these values distinct from 0.
		{"bf16", SparsityOptions{BF16: true}, 0.6, "bf16"},
	} {
		r, err := Compare(base, final, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !near(r.Sparsity, c.sparsity) || r.Criterion != c.crit || r.N != 10 {
			t.Errorf("%s: sparsity %v criterion %s n %d, want %v %s 10", c.name, r.Sparsity, r.Criterion, r.N, c.sparsity, c.crit)
		}
		want := []float64{0.4, 0.3, 0.2, 0.1} // changed at tolerances 0, 1e-5, 1e-4, 1e-3
		for i, tf := range r.ByTol {
			if !near(tf.Frac, want[i]) {
				t.Errorf("%s: changed at tol %g = %v, want %v", c.name, tf.Tol, tf.Frac, want[i])
			}
		}
		if r.Matrices != 0 || r.MeanRankRatio != -1 || r.Tensors[0].Rank != -1 {
			t.Errorf("%s: a 1-D tensor got a rank: %+v", c.name, r)
		}
		if !near(r.Tensors[0].MaxAbs, float64(float32(2e-3))) {
			t.Errorf("%s: max |Δ| %v", c.name, r.Tensors[0].MaxAbs)
		}
	}
}

// Card D8's bf16 examples.
func TestBF16(t *testing.T) {
	for _, c := range []struct {
		a, b  float32
		equal bool
	}{
		{1.0, 1.0001, true},
		{0.01, 0.0101, false}, // 0.010009765625 → 0.01007080078125
		{0.5, 0.503, false},
		{-0.2, -0.2004, true},
		{0, float32(math.Copysign(0, -1)), true},
		{float32(math.NaN()), float32(math.NaN()), false},
	} {
		if got := BF16Equal(c.a, c.b); got != c.equal {
			t.Errorf("BF16Equal(%v, %v) = %v, want %v", c.a, c.b, got, c.equal)
		}
	}
	for _, c := range []struct {
		f    float32
		want float32
	}{
		{0.01, 0.010009765625},
		{0.0101, 0.01007080078125},
		{1.0, 1.0},
		{1 + 1.0/256, 1.0},         // a tie: to the even 1.0
		{1 + 3.0/256, 1 + 4.0/256}, // a tie: to the even 1+2/128
	} {
		if got := math.Float32frombits(uint32(ToBF16(c.f)) << 16); got != c.want {
			t.Errorf("bf16(%v) = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestRank(t *testing.T) {
	u, v := []float64{1, -2, 0.5, 3}, []float64{2, 1, -1}
	outer := make([]float64, 12)
	for i := range u {
		for j := range v {
			outer[i*3+j] = u[i] * v[j]
		}
	}
	two := append([]float64(nil), outer...)
	two[0] += 1 // + e_0 e_0ᵀ: rank 2
	for _, c := range []struct {
		name       string
		rows, cols int
		data       []float64
		want       int
	}{
		{"card [[1,2],[2,4]]", 2, 2, []float64{1, 2, 2, 4}, 1},
		{"uvᵀ 4×3", 4, 3, outer, 1},
		{"uvᵀ + e0e0ᵀ", 4, 3, two, 2},
		{"identity", 3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, 3},
		{"zero", 2, 3, make([]float64, 6), 0},
		{"tiny second value", 2, 2, []float64{1, 0, 0, 1e-9}, 1},
		{"NaN", 2, 2, []float64{1, math.NaN(), 0, 1}, 0},
		{"wrong length", 2, 2, []float64{1}, 0},
	} {
		if got := Rank(c.rows, c.cols, c.data, 0); got != c.want {
			t.Errorf("%s: rank %d, want %d", c.name, got, c.want)
		}
	}
	// A looser threshold drops the second singular value (1 vs 1e-3).
	if got := Rank(2, 2, []float64{1, 0, 0, 1e-3}, 1e-2); got != 1 {
		t.Errorf("rtol 1e-2: rank %d, want 1", got)
	}
}

// A model of a 4×3 matrix updated by 0.5·uvᵀ with u = [1,0,2,0], v =
// [1,1,0] (4 of 12 entries, rank 1, ratio 1/3) and a norm vector of 4
// with one change under the tolerance (1e-6) and one above (1e-2): 1/4.
// Totals: 5 of 16 = 0.3125.
func TestCompareModels(t *testing.T) {
	dir := t.TempDir()
	w0 := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	w1 := append([]float32(nil), w0...)
	u, v := []float32{1, 0, 2, 0}, []float32{1, 1, 0}
	for i := range u {
		for j := range v {
			w1[i*3+j] += 0.5 * u[i] * v[j]
		}
	}
	n0 := []float32{1, 1, 1, 1}
	n1 := []float32{1, 1 + 1e-6, 1.01, 1}
	const mname, nname = "model.layers.0.mlp.down_proj.weight", "model.norm.weight"
	base := writeModel(t, filepath.Join(dir, "base"), tensor(mname, []int{4, 3}, w0...), tensor(nname, []int{4}, n0...))
	final := writeModel(t, filepath.Join(dir, "final"), tensor(mname, []int{4, 3}, w1...), tensor(nname, []int{4}, n1...))
	r, err := Compare(base, final, SparsityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 16 || r.Changed != 5 || !near(r.ChangedFrac, 0.3125) || r.BF16Changed != 5 {
		t.Errorf("totals n %d changed %d frac %v bf16 %d, want 16 5 0.3125 5", r.N, r.Changed, r.ChangedFrac, r.BF16Changed)
	}
	m, nv := r.Tensors[0], r.Tensors[1]
	if m.Name != mname || m.Changed != 4 || !near(m.ChangedFrac, 1.0/3) || m.Rank != 1 || !near(m.RankRatio, 1.0/3) {
		t.Errorf("matrix %+v: want 4 changed, rank 1, ratio 1/3", m)
	}
	if nv.Name != nname || nv.Changed != 1 || !near(nv.ChangedFrac, 0.25) || nv.Rank != -1 {
		t.Errorf("norm %+v: want 1 changed, no rank", nv)
	}
	if r.Matrices != 1 || !near(r.MeanRankRatio, 1.0/3) {
		t.Errorf("mean rank ratio %v over %d matrices, want 1/3 over 1", r.MeanRankRatio, r.Matrices)
	}
	if len(r.Layers) != 1 || r.Layers[0].Layer != "layer 0" || !near(r.Layers[0].MeanChangedFrac, 1.0/3) {
		t.Errorf("layers %+v", r.Layers)
	}
	// ‖Δ‖_F = 0.5·‖u‖‖v‖ = 0.5·√5·√2 over ‖W0‖_F = √650.
	if want := 0.5 * math.Sqrt(10) / math.Sqrt(650); math.Abs(m.RelNorm-want) > 1e-9 {
		t.Errorf("rel norm %v, want %v", m.RelNorm, want)
	}
	// No rank with NoRank.
	r2, err := Compare(base, final, SparsityOptions{NoRank: true})
	if err != nil || r2.Tensors[0].Rank != -1 || r2.MeanRankRatio != -1 {
		t.Errorf("NoRank: %v %+v", err, r2)
	}
	var out bytes.Buffer
	if err := WriteSparsity(&out, r, "text"); err != nil || !strings.Contains(out.String(), "0.3125") || !strings.Contains(out.String(), mname) {
		t.Errorf("text: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := WriteSparsity(&out, r, "json"); err != nil {
		t.Fatal(err)
	}
	var back SparsityReport
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Changed != 5 || back.Tensors[0].Rank != 1 {
		t.Errorf("json round trip: %v %+v", err, back)
	}
	if err := WriteSparsity(&out, r, "yaml"); err == nil {
		t.Error("format yaml: no error")
	}
	// A report read back from JSON has no masks: Overlap says so.
	if _, err := Overlap(&back, r); err == nil {
		t.Error("overlap of a JSON report: no error")
	}
}

// Card D8's overlap example: n = 10, I1 = {0,1,2,3}, I2 = {1,2,3,7} →
// o = |{1,2,3}|/4 = 0.75, chance |I2|/n = 0.4, reverse 3/4, Jaccard 3/5.
func TestOverlap(t *testing.T) {
	dir := t.TempDir()
	base := writeModel(t, filepath.Join(dir, "base"), tensor("x", []int{10}, make([]float32, 10)...))
	a := writeModel(t, filepath.Join(dir, "a"), tensor("x", []int{10}, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0))
	b := writeModel(t, filepath.Join(dir, "b"), tensor("x", []int{10}, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0))
	ra, err := Compare(base, a, SparsityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Compare(base, b, SparsityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Overlap(ra, rb)
	if err != nil {
		t.Fatal(err)
	}
	want := OverlapStat{N: 10, I1: 4, I2: 4, Intersection: 3, Overlap: 0.75, Reverse: 0.75, Chance: 0.4, Jaccard: 0.6}
	got := o.Total
	if got.N != want.N || got.I1 != want.I1 || got.I2 != want.I2 || got.Intersection != 3 ||
		!near(got.Overlap, want.Overlap) || !near(got.Reverse, want.Reverse) || !near(got.Chance, want.Chance) || !near(got.Jaccard, want.Jaccard) {
		t.Errorf("overlap %+v, want %+v", got, want)
	}
	var out bytes.Buffer
	if err := WriteOverlap(&out, o, "text"); err != nil || !strings.Contains(out.String(), "0.7500") {
		t.Errorf("text: %v\n%s", err, out.String())
	}
	// Different criteria are refused.
	rbf, err := Compare(base, b, SparsityOptions{BF16: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Overlap(ra, rbf); err == nil {
		t.Error("overlap across criteria: no error")
	}
	// Different tensors are refused.
	c := writeModel(t, filepath.Join(dir, "c"), tensor("y", []int{10}, make([]float32, 10)...))
	rc, err := Compare(c, c, SparsityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Overlap(ra, rc); err == nil {
		t.Error("overlap across tensor names: no error")
	}
}

// Malformed inputs give errors that name the file, never a panic.
func TestSparsityErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeModel(t, filepath.Join(dir, "good"), tensor("x", []int{2, 2}, 1, 2, 3, 4))
	other := writeModel(t, filepath.Join(dir, "other"), tensor("x", []int{4}, 1, 2, 3, 4))
	extra := writeModel(t, filepath.Join(dir, "extra"), tensor("x", []int{2, 2}, 1, 2, 3, 4), tensor("z", []int{1}, 1))
	trunc := filepath.Join(dir, "trunc")
	writeModel(t, trunc, tensor("x", []int{2, 2}, 1, 2, 3, 4))
	data, _ := os.ReadFile(filepath.Join(trunc, checkpoint.ModelFile))
	os.WriteFile(filepath.Join(trunc, checkpoint.ModelFile), data[:len(data)-3], 0o644)
	badsum := filepath.Join(dir, "badsum")
	writeModel(t, badsum, tensor("x", []int{2, 2}, 1, 2, 3, 4))
	os.WriteFile(filepath.Join(badsum, checkpoint.StateFile), []byte(`{"step":3,"sha256":{"model.safetensors":"00"}}`), 0o644)
	badstate := filepath.Join(dir, "badstate")
	writeModel(t, badstate, tensor("x", []int{2, 2}, 1, 2, 3, 4))
	os.WriteFile(filepath.Join(badstate, checkpoint.StateFile), []byte(`{"step":`), 0o644)
	noRef := filepath.Join(dir, "run-noref")
	os.MkdirAll(filepath.Join(noRef, "checkpoints"), 0o755)
	emptyCk := filepath.Join(dir, "run-empty")
	writeModel(t, filepath.Join(emptyCk, "reference"), tensor("x", []int{2, 2}, 1, 2, 3, 4))
	os.MkdirAll(filepath.Join(emptyCk, "checkpoints"), 0o755)
	for _, c := range []struct {
		name string
		run  string
		opts SparsityOptions
		want string // in the error
	}{
		{"missing reference", noRef, SparsityOptions{}, filepath.Join(noRef, "reference")},
		{"no checkpoints", emptyCk, SparsityOptions{}, filepath.Join(emptyCk, "checkpoints")},
		{"missing run", filepath.Join(dir, "nope"), SparsityOptions{}, filepath.Join(dir, "nope")},
		{"truncated safetensors", "", SparsityOptions{Base: good, Final: trunc}, filepath.Join(trunc, checkpoint.ModelFile)},
		{"corrupt by checksum", "", SparsityOptions{Base: badsum, Final: good}, filepath.Join(badsum, checkpoint.ModelFile)},
		{"bad state.json", "", SparsityOptions{Base: good, Final: badstate}, filepath.Join(badstate, checkpoint.StateFile)},
		{"shape mismatch", "", SparsityOptions{Base: good, Final: other}, "shape"},
		{"extra tensor", "", SparsityOptions{Base: good, Final: extra}, "tensor z"},
		{"missing tensor", "", SparsityOptions{Base: extra, Final: good}, "tensor z"},
		{"negative tol", "", SparsityOptions{Base: good, Final: good, Tol: -1}, "tolerance"},
		{"not a directory", "", SparsityOptions{Base: filepath.Join(good, checkpoint.ModelFile), Final: good}, "not a directory"},
		{"no run, no base", "", SparsityOptions{Final: good}, "no run directory"},
	} {
		_, err := Sparsity(c.run, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
