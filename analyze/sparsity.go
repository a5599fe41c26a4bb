// Package analyze measures what RL did to a run: how sparse, how low-rank
// and how shared across runs the parameter update is (card D8, "RL
// fine-tunes small subnetworks"), and which solution style the policy's
// outputs collapse onto (card B10, "Echo Chamber").
//
// Everything reads a run directory (run.Run's layout) or model directories
// and never writes; a malformed input gives an error naming the file.
package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// Run-directory names read here (the run package's layout; repeated so
// that analyze does not depend on the trainer).
const (
	refDir        = "reference"
	checkpointDir = "checkpoints"
	samplesFile   = "samples.jsonl"
)

// DefaultTol is the default tolerance of the update mask: an entry is
// "changed" when |Δ_i| > DefaultTol (card D8, after the paper's
// torch.isclose(Δ, 0, atol=1e-5)).
const DefaultTol = 1e-5

// DefaultTolerances are the tolerances at which the changed fraction is
// always reported besides the mask's own (card D8: exact, 1e-5, 1e-4,
// 1e-3).
var DefaultTolerances = []float64{0, 1e-5, 1e-4, 1e-3}

// SparsityOptions choose the two models and the criteria.
//
// The update is Δ = θ_Final − θ_Base per tensor. The "updated subnetwork"
// (the mask used for the headline figure and for Overlap) is
//
//	I = { i : |Δ_i| > Tol }                      (default, Tol = 1e-5)
//	I = { i : Δ_i ≠ 0 }                          (Exact)
//	I = { i : bf16(θ_Final,i) ≠ bf16(θ_Base,i) } (BF16)
//
// where bf16(x) rounds the float32 x to bfloat16, round to nearest even on
// the top 16 bits of its bit pattern (the paper's checkpoints are bf16).
type SparsityOptions struct {
	// Base and Final are the two models compared: model directories
	// (config.json and model.safetensors: reference/, a checkpoint
	// checkpoints/step-N/, a Hugging Face directory) or run directories
	// (meaning their latest checkpoint). Empty Base is runDir/reference
	// (the model when RL started); empty Final is runDir's latest
	// checkpoint.
	Base, Final string
	// Tol is the mask tolerance (0: DefaultTol). Negative is refused.
	Tol float64
	// Exact makes the mask Δ_i ≠ 0 (Tol is then ignored).
	Exact bool
	// BF16 makes the mask bf16(θ_Final,i) ≠ bf16(θ_Base,i).
	BF16 bool
	// Tolerances are extra tolerances reported (nil: DefaultTolerances).
	Tolerances []float64
	// RankRTol is the relative singular-value threshold of the numerical
	// rank: rank(Δ) = #{ σ_k > RankRTol · σ_max }. 0 means the
	// numpy/torch default for float32 data, max(rows, cols) · 2⁻²³.
	RankRTol float64
	// NoRank skips the SVDs.
	NoRank bool
}

// TolFrac is the changed fraction at one tolerance:
// Frac = #{ i : |Δ_i| > Tol } / n.
type TolFrac struct {
	Tol     float64 `json:"tol"`
	Changed int     `json:"changed"`
	Frac    float64 `json:"frac"`
}

// TensorSparsity is the update of one tensor of n entries.
//
//	ChangedFrac = |I| / n            (I: the mask of SparsityOptions)
//	BF16Frac    = #{ i : bf16(θ_Final,i) ≠ bf16(θ_Base,i) } / n
//	MaxAbs      = max_i |Δ_i|
//	RelNorm     = ‖Δ‖_F / ‖θ_Base‖_F  (0 when ‖θ_Base‖_F = 0)
//	Rank        = #{ σ_k(Δ) > r · σ_max(Δ) } for a 2-D tensor (Δ as rows × cols)
//	RankRatio   = Rank / min(rows, cols)
//
// Rank and RankRatio are -1 for 1-D tensors and when ranks were skipped.
type TensorSparsity struct {
	Name        string    `json:"name"`
	Shape       []int     `json:"shape"`
	N           int       `json:"n"`
	Changed     int       `json:"changed"`
	ChangedFrac float64   `json:"changed_frac"`
	ByTol       []TolFrac `json:"by_tol"`
	BF16Changed int       `json:"bf16_changed"`
	BF16Frac    float64   `json:"bf16_frac"`
	MaxAbs      float64   `json:"max_abs"`
	RelNorm     float64   `json:"rel_norm"`
	Rank        int       `json:"rank"`
	RankRatio   float64   `json:"rank_ratio"`

	mask []uint64 // bit i set: entry i is in I
}

// LayerSparsity is the card's per-layer profile: the unweighted mean of
// ChangedFrac over the 2-D matrices of a group, where the groups are the
// transformer blocks ("model.layers.ℓ.*", named "layer ℓ"), "embed"
// (model.embed_tokens.*), "head" (lm_head.*) and "other".
type LayerSparsity struct {
	Layer           string  `json:"layer"`
	Matrices        int     `json:"matrices"`
	MeanChangedFrac float64 `json:"mean_changed_frac"`
}

// SparsityReport compares two models. Totals are over all n = Σ n_t
// entries of all tensors:
//
//	ChangedFrac = Σ_t |I_t| / n,  Sparsity = 1 − ChangedFrac
//	MeanRankRatio = mean of RankRatio over the 2-D tensors
//
// BaseStep and FinalStep are the checkpoint steps when the directories
// are checkpoints (step-N), else -1.
type SparsityReport struct {
	Base          string           `json:"base"`
	Final         string           `json:"final"`
	BaseStep      int              `json:"base_step"`
	FinalStep     int              `json:"final_step"`
	Criterion     string           `json:"criterion"` // "abs>1e-05", "exact" or "bf16"
	N             int              `json:"n"`
	Changed       int              `json:"changed"`
	ChangedFrac   float64          `json:"changed_frac"`
	Sparsity      float64          `json:"sparsity"`
	ByTol         []TolFrac        `json:"by_tol"`
	BF16Changed   int              `json:"bf16_changed"`
	BF16Frac      float64          `json:"bf16_frac"`
	Matrices      int              `json:"matrices"`
	MeanRankRatio float64          `json:"mean_rank_ratio"` // -1 when ranks were skipped
	RankRTol      float64          `json:"rank_rtol"`       // 0: max(rows, cols)·2⁻²³ per matrix
	Layers        []LayerSparsity  `json:"layers"`
	Tensors       []TensorSparsity `json:"tensors"`
}

// Sparsity compares the model RL started from (runDir/reference) with the
// run's final checkpoint, or the models that opts.Base and opts.Final name
// (then runDir may be empty when both are given).
func Sparsity(runDir string, opts SparsityOptions) (*SparsityReport, error) {
	base, final := opts.Base, opts.Final
	if base == "" {
		if runDir == "" {
			return nil, errors.New("analyze sparsity: no run directory and no base model")
		}
		base = filepath.Join(runDir, refDir)
	}
	if final == "" {
		if runDir == "" {
			return nil, errors.New("analyze sparsity: no run directory and no final model")
		}
		final = runDir
	}
	return Compare(base, final, opts)
}

// Compare is Sparsity for two explicit model (or run) directories, Δ =
// θ_final − θ_base; opts.Base and opts.Final are ignored.
func Compare(base, final string, opts SparsityOptions) (*SparsityReport, error) {
	if opts.Tol < 0 || math.IsNaN(opts.Tol) {
		return nil, fmt.Errorf("analyze sparsity: tolerance %v must be >= 0", opts.Tol)
	}
	tol := opts.Tol
	if tol == 0 {
		tol = DefaultTol
	}
	tols := opts.Tolerances
	if tols == nil {
		tols = DefaultTolerances
	}
	for _, t := range tols {
		if t < 0 || math.IsNaN(t) {
			return nil, fmt.Errorf("analyze sparsity: tolerance %v must be >= 0", t)
		}
	}
	bdir, err := modelDir(base)
	if err != nil {
		return nil, err
	}
	fdir, err := modelDir(final)
	if err != nil {
		return nil, err
	}
	a, err := readModel(bdir)
	if err != nil {
		return nil, err
	}
	b, err := readModel(fdir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	for n := range b {
		if _, ok := a[n]; !ok {
			return nil, fmt.Errorf("analyze sparsity: tensor %s of %s is not in %s", n, filepath.Join(fdir, checkpoint.ModelFile), filepath.Join(bdir, checkpoint.ModelFile))
		}
	}
	r := &SparsityReport{Base: bdir, Final: fdir, BaseStep: stepOf(bdir), FinalStep: stepOf(fdir), RankRTol: opts.RankRTol}
	switch {
	case opts.BF16:
		r.Criterion = "bf16"
	case opts.Exact:
		r.Criterion = "exact"
	default:
		r.Criterion = "abs>" + strconv.FormatFloat(tol, 'g', -1, 64)
	}
	r.ByTol = make([]TolFrac, len(tols))
	for i, t := range tols {
		r.ByTol[i].Tol = t
	}
	rankSum := 0.0
	for _, n := range names {
		ta := a[n]
		tb, ok := b[n]
		if !ok {
			return nil, fmt.Errorf("analyze sparsity: tensor %s of %s is not in %s", n, filepath.Join(bdir, checkpoint.ModelFile), filepath.Join(fdir, checkpoint.ModelFile))
		}
		if !sameShape(ta.Shape, tb.Shape) || len(ta.Data) != len(tb.Data) {
			return nil, fmt.Errorf("analyze sparsity: tensor %s has shape %v in %s and %v in %s", n, ta.Shape, bdir, tb.Shape, fdir)
		}
		ts := compareTensor(n, ta.Shape, ta.Data, tb.Data, opts, tol, tols)
		r.Tensors = append(r.Tensors, ts)
		r.N += ts.N
		r.Changed += ts.Changed
		r.BF16Changed += ts.BF16Changed
		for i := range tols {
			r.ByTol[i].Changed += ts.ByTol[i].Changed
		}
		if len(ts.Shape) == 2 {
			r.Matrices++
			rankSum += ts.RankRatio
		}
	}
	r.ChangedFrac = frac(r.Changed, r.N)
	r.Sparsity = 1 - r.ChangedFrac
	r.BF16Frac = frac(r.BF16Changed, r.N)
	for i := range r.ByTol {
		r.ByTol[i].Frac = frac(r.ByTol[i].Changed, r.N)
	}
	r.MeanRankRatio = -1
	if !opts.NoRank && r.Matrices > 0 {
		r.MeanRankRatio = rankSum / float64(r.Matrices)
	}
	r.Layers = layers(r.Tensors)
	return r, nil
}

func frac(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// compareTensor measures one tensor's update.
func compareTensor(name string, shape []int, a, b []float32, opts SparsityOptions, tol float64, tols []float64) TensorSparsity {
	ts := TensorSparsity{Name: name, Shape: append([]int(nil), shape...), N: len(a), Rank: -1, RankRatio: -1,
		ByTol: make([]TolFrac, len(tols)), mask: make([]uint64, (len(a)+63)/64)}
	var d2, a2 float64
	for i := range a {
		d := float64(b[i]) - float64(a[i]) // exact for two float32s of similar size
		ad := math.Abs(d)
		if math.IsNaN(d) {
			ad = math.Inf(1) // a NaN on either side counts as changed
		}
		d2 += d * d
		a2 += float64(a[i]) * float64(a[i])
		if ad > ts.MaxAbs {
			ts.MaxAbs = ad
		}
		bfChanged := !BF16Equal(a[i], b[i])
		if bfChanged {
			ts.BF16Changed++
		}
		for k, t := range tols {
			if ad > t {
				ts.ByTol[k].Changed++
			}
		}
		var in bool
		switch {
		case opts.BF16:
			in = bfChanged
		case opts.Exact:
			in = ad > 0
		default:
			in = ad > tol
		}
		if in {
			ts.Changed++
			ts.mask[i/64] |= 1 << (i % 64)
		}
	}
	ts.ChangedFrac = frac(ts.Changed, ts.N)
	ts.BF16Frac = frac(ts.BF16Changed, ts.N)
	for k, t := range tols {
		ts.ByTol[k].Tol = t
		ts.ByTol[k].Frac = frac(ts.ByTol[k].Changed, ts.N)
	}
	if a2 > 0 {
		ts.RelNorm = math.Sqrt(d2) / math.Sqrt(a2)
	}
	if len(shape) == 2 && !opts.NoRank && shape[0] > 0 && shape[1] > 0 {
		delta := make([]float64, len(a))
		for i := range a {
			delta[i] = float64(b[i]) - float64(a[i])
		}
		ts.Rank = Rank(shape[0], shape[1], delta, opts.RankRTol)
		ts.RankRatio = float64(ts.Rank) / float64(min(shape[0], shape[1]))
	}
	return ts
}

// Rank is the numerical rank of the rows × cols matrix data (row-major):
//
//	rank = #{ k : σ_k > rtol · σ_max },
//
// with rtol = max(rows, cols) · 2⁻²³ (numpy's and torch's default for
// float32 data) when rtol is 0. A zero matrix, or one holding a NaN or an
// infinity, has rank 0.
func Rank(rows, cols int, data []float64, rtol float64) int {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		return 0
	}
	for _, x := range data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0
		}
	}
	if rtol == 0 {
		rtol = float64(max(rows, cols)) * math.Ldexp(1, -23)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(rows, cols, data), mat.SVDNone) {
		return 0
	}
	s := svd.Values(nil)
	if len(s) == 0 || s[0] == 0 {
		return 0
	}
	n := 0
	for _, v := range s {
		if v > rtol*s[0] {
			n++
		}
	}
	return n
}

// ToBF16 rounds a float32 to bfloat16 (its top 16 bits), round to nearest
// even: with x the float32 bit pattern, bf16 = (x + 0x7FFF + ((x >> 16) & 1)) >> 16.
// A NaN stays a (quiet) NaN.
func ToBF16(f float32) uint16 {
	x := math.Float32bits(f)
	if f != f {
		return uint16(x>>16) | 0x40
	}
	return uint16((x + 0x7FFF + ((x >> 16) & 1)) >> 16)
}

// BF16Equal reports whether a and b round to the same bfloat16 value
// (compared as numbers, so −0 equals +0 and a NaN equals nothing).
func BF16Equal(a, b float32) bool {
	fa := math.Float32frombits(uint32(ToBF16(a)) << 16)
	fb := math.Float32frombits(uint32(ToBF16(b)) << 16)
	return fa == fb
}

// layers groups the 2-D tensors' changed fractions (see LayerSparsity).
func layers(ts []TensorSparsity) []LayerSparsity {
	type acc struct {
		n   int
		sum float64
	}
	groups := map[string]*acc{}
	key := func(name string) (string, int) {
		switch {
		case strings.HasPrefix(name, "model.embed_tokens."):
			return "embed", -3
		case strings.HasPrefix(name, "lm_head."):
			return "head", 1 << 30
		case strings.HasPrefix(name, "model.layers."):
			rest := strings.TrimPrefix(name, "model.layers.")
			if i := strings.IndexByte(rest, '.'); i > 0 {
				if l, err := strconv.Atoi(rest[:i]); err == nil {
					return "layer " + rest[:i], l
				}
			}
		}
		return "other", 1<<30 + 1
	}
	order := map[string]int{}
	for _, t := range ts {
		if len(t.Shape) != 2 {
			continue
		}
		k, o := key(t.Name)
		if groups[k] == nil {
			groups[k] = &acc{}
			order[k] = o
		}
		groups[k].n++
		groups[k].sum += t.ChangedFrac
	}
	out := make([]LayerSparsity, 0, len(groups))
	for k, g := range groups {
		out = append(out, LayerSparsity{Layer: k, Matrices: g.n, MeanChangedFrac: g.sum / float64(g.n)})
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Layer] < order[out[j].Layer] })
	return out
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stepOf is a checkpoint directory's step, or -1.
func stepOf(dir string) int {
	if n, ok := checkpoint.StepOf(dir); ok {
		return n
	}
	return -1
}

// modelDir resolves a model directory: dir itself when it holds
// model.safetensors, else (a run directory) its latest checkpoint.
func modelDir(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("analyze: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("analyze: %s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ModelFile)); err == nil {
		return dir, nil
	}
	root := filepath.Join(dir, checkpointDir)
	if _, err := os.Stat(root); err != nil {
		return "", fmt.Errorf("analyze: %s has neither %s nor %s/", dir, checkpoint.ModelFile, checkpointDir)
	}
	ck, err := checkpoint.Latest(root)
	if err != nil {
		return "", fmt.Errorf("analyze: %s: %w", root, err)
	}
	if _, err := os.Stat(filepath.Join(ck, checkpoint.ModelFile)); err != nil {
		return "", fmt.Errorf("analyze: %w", err)
	}
	return ck, nil
}

// readModel reads dir/model.safetensors (F32, F16 or BF16), checking its
// SHA-256 against dir/state.json when a checkpoint's state records one.
func readModel(dir string) (map[string]checkpoint.Tensor, error) {
	path := filepath.Join(dir, checkpoint.ModelFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if sj, err := os.ReadFile(filepath.Join(dir, checkpoint.StateFile)); err == nil {
		var st checkpoint.State
		if err := json.Unmarshal(sj, &st); err != nil {
			return nil, fmt.Errorf("analyze: %s: %w", filepath.Join(dir, checkpoint.StateFile), err)
		}
		if want, ok := st.SHA256[checkpoint.ModelFile]; ok {
			h := sha256.Sum256(data)
			if hex.EncodeToString(h[:]) != want {
				return nil, fmt.Errorf("analyze: %s does not match the SHA-256 recorded in %s (the file is corrupt)", path, checkpoint.StateFile)
			}
		}
	}
	ts, _, err := checkpoint.DecodeSafetensors(data)
	if err != nil {
		return nil, fmt.Errorf("analyze: %s: %w", path, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("analyze: %s holds no tensors", path)
	}
	return ts, nil
}

// CurvePoint is the update from the RL-start model to one checkpoint:
// the totals of Compare(runDir/reference, checkpoint) (see SparsityReport).
type CurvePoint struct {
	Step          int       `json:"step"`
	ChangedFrac   float64   `json:"changed_frac"`
	BF16Frac      float64   `json:"bf16_frac"`
	ByTol         []TolFrac `json:"by_tol"`
	MeanRankRatio float64   `json:"mean_rank_ratio"` // -1 with NoRank
}

// SparsityCurve is card D8's "sparsity vs step": for every checkpoint of
// runDir written in the RL stage (its state's extra.stage is "rl"), in
// step order, the totals of the update from runDir/reference to it.
// opts.Base and opts.Final are ignored.
func SparsityCurve(runDir string, opts SparsityOptions) ([]CurvePoint, error) {
	root := filepath.Join(runDir, checkpointDir)
	dirs, err := checkpoint.List(root)
	if err != nil {
		return nil, fmt.Errorf("analyze: %s: %w", root, err)
	}
	ref := filepath.Join(runDir, refDir)
	var out []CurvePoint
	for i := len(dirs) - 1; i >= 0; i-- { // oldest first
		st, err := checkpoint.ReadState(dirs[i])
		if err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		var extra struct {
			Stage string `json:"stage"`
		}
		if len(st.Extra) > 0 {
			if err := json.Unmarshal(st.Extra, &extra); err != nil {
				return nil, fmt.Errorf("analyze: %s: extra: %w", filepath.Join(dirs[i], checkpoint.StateFile), err)
			}
		}
		if extra.Stage != "rl" {
			continue
		}
		r, err := Compare(ref, dirs[i], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, CurvePoint{Step: st.Step, ChangedFrac: r.ChangedFrac, BF16Frac: r.BF16Frac, ByTol: r.ByTol, MeanRankRatio: r.MeanRankRatio})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("analyze: %s holds no RL-stage checkpoint", root)
	}
	return out, nil
}
