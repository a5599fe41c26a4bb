// Package steer is training-free efficiency steering (card B9 part A;
// "Exploring and exploiting the inherent efficiency of large reasoning
// models", arXiv 2506.15647): among a model's own correct answers to a
// problem the shortest suffices, and efficient and verbose correct answers
// separate along a direction of the residual stream. So:
//
//  1. Calibrate: sample N responses per calibration problem and keep the
//     correct ones; per problem the shortest is "efficient", the longest
//     "verbose" (a problem with fewer than two correct lengths gives none).
//
//  2. At layer ℓ, average the residual stream over each response's tokens
//     (h̄); the direction is
//
//     v_ℓ = mean over problems h̄(efficient) − mean over problems h̄(verbose)
//
//  3. At inference add α · v_ℓ to layer ℓ's residual stream at every
//     generated position (lm.Steering); pick ℓ and α on dev problems —
//     the shortest mean length among the settings whose dev accuracy is
//     within Tolerance of the unsteered model's — and report both on
//     held-out problems.
//
// CHOICEs (no code was seen; card B9): the mean over every generated token
// (the end-of-sequence token excluded) rather than over "reasoning" tokens
// only (at our scale the answer line is a few tokens); Norm "none" uses v
// as computed, "mean" rescales it to the calibration activations' mean
// norm (α is then a fraction of a typical activation); Scope "generated"
// steers the decoded positions only, "all" the prompt too; the selection
// rule and its tolerance (0.02, the issue's ≤ 2 points) are ours.
package steer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/lm"
)

// Problem is one prompt (its token ids) and its grader.
type Problem struct {
	Prompt []int32
	Grade  func(completion []int32) bool
}

// Options are the settings of calibration and evaluation.
type Options struct {
	Layers      []int     // candidate layers ℓ (0-based)
	Alphas      []float64 // candidate α; 0 is the unsteered model
	Norm        string    // none or mean
	Scope       string    // generated or all
	Samples     int       // responses per problem (calibration and evaluation)
	Temperature float32   // sampling temperature
	MaxNew      int       // generated tokens at most
	Stop        []int32   // tokens that end a response (e.g. EOS)
	Tolerance   float64   // dev accuracy a chosen setting may lose
	Seed        uint64    // sampling seed (the same draws for every setting)
}

// Validate checks the options against a model of layers blocks.
func (o *Options) Validate(layers int) error {
	if len(o.Layers) == 0 || len(o.Alphas) == 0 {
		return fmt.Errorf("steer: need at least one layer and one alpha")
	}
	for _, l := range o.Layers {
		if l < 0 || l >= layers {
			return fmt.Errorf("steer: layer %d out of range [0, %d)", l, layers)
		}
	}
	for _, a := range o.Alphas {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("steer: alpha %v is not a number", a)
		}
	}
	switch {
	case o.Norm != "none" && o.Norm != "mean":
		return fmt.Errorf("steer: norm %q: want none or mean", o.Norm)
	case o.Scope != "generated" && o.Scope != "all":
		return fmt.Errorf("steer: scope %q: want generated or all", o.Scope)
	case o.Samples < 1 || o.MaxNew < 1:
		return fmt.Errorf("steer: samples and max_new must be >= 1")
	case o.Temperature < 0 || o.Tolerance < 0:
		return fmt.Errorf("steer: temperature and tolerance must be >= 0")
	}
	return nil
}

// Direction is mean(efficient) − mean(verbose), each argument one mean
// activation per problem.
func Direction(efficient, verbose [][]float32) ([]float32, error) {
	if len(efficient) == 0 || len(efficient) != len(verbose) {
		return nil, fmt.Errorf("steer: %d efficient and %d verbose activations", len(efficient), len(verbose))
	}
	d := len(efficient[0])
	v := make([]float64, d)
	for i := range efficient {
		if len(efficient[i]) != d || len(verbose[i]) != d {
			return nil, fmt.Errorf("steer: activation %d has another size", i)
		}
		for j := range v {
			v[j] += float64(efficient[i][j]) - float64(verbose[i][j])
		}
	}
	out := make([]float32, d)
	for j := range v {
		out[j] = float32(v[j] / float64(len(efficient)))
	}
	return out, nil
}

// Scaled is α · v.
func Scaled(v []float32, alpha float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(alpha * float64(x))
	}
	return out
}

// Calibration is what Calibrate found: the direction per candidate layer
// (after Norm), the problems that gave a pair, and the mean lengths of
// the efficient and verbose responses.
type Calibration struct {
	Vectors            map[int][]float32 `json:"-"`
	VectorNorm         map[int]float64   `json:"vector_norm"`     // |v_ℓ| before Norm
	ActivationNorm     map[int]float64   `json:"activation_norm"` // mean |h| over the pairs' tokens
	Pairs              int               `json:"pairs"`
	Problems           int               `json:"problems"`
	EfficientLen       float64           `json:"efficient_len"`
	VerboseLen         float64           `json:"verbose_len"`
	CalibrationPassAt1 float64           `json:"calibration_pass@1"`
}

// sampleAll draws o.Samples responses per problem (problem-major) with
// the model as it is (steered or not) and grades them.
func sampleAll(m *lm.Model, ps []Problem, o *Options) (resp [][]int32, correct []bool, err error) {
	rng := rand.New(rand.NewPCG(o.Seed, 0x73746565))
	var prompts [][]int32
	for _, p := range ps {
		for k := 0; k < o.Samples; k++ {
			prompts = append(prompts, p.Prompt)
		}
	}
	const chunk = 128
	for lo := 0; lo < len(prompts); lo += chunk {
		hi := min(lo+chunk, len(prompts))
		g, err := m.Generate(prompts[lo:hi], lm.SampleOptions{Temperature: o.Temperature, MaxNew: o.MaxNew, Stop: o.Stop}, rng)
		if err != nil {
			return nil, nil, err
		}
		resp = append(resp, g.Tokens...)
	}
	for i, r := range resp {
		correct = append(correct, ps[i/o.Samples].Grade(r))
	}
	return resp, correct, nil
}

// trim drops a final stop token.
func trim(r []int32, stop []int32) []int32 {
	if n := len(r); n > 0 {
		for _, s := range stop {
			if r[n-1] == s {
				return r[:n-1]
			}
		}
	}
	return r
}

// Calibrate samples the calibration problems with the unsteered model and
// computes the direction at every candidate layer.
func Calibrate(m *lm.Model, ps []Problem, o Options) (*Calibration, error) {
	if err := o.Validate(len(m.Layers)); err != nil {
		return nil, err
	}
	if err := m.SetSteering(nil); err != nil {
		return nil, err
	}
	resp, correct, err := sampleAll(m, ps, &o)
	if err != nil {
		return nil, err
	}
	cal := &Calibration{Vectors: map[int][]float32{}, VectorNorm: map[int]float64{}, ActivationNorm: map[int]float64{}, Problems: len(ps)}
	type pair struct{ prompt, eff, verb []int32 }
	var pairs []pair
	nc := 0
	for i := range ps {
		short, long := -1, -1
		for k := 0; k < o.Samples; k++ {
			j := i*o.Samples + k
			if !correct[j] {
				continue
			}
			nc++
			if short < 0 || len(resp[j]) < len(resp[short]) {
				short = j
			}
			if long < 0 || len(resp[j]) > len(resp[long]) {
				long = j
			}
		}
		if short >= 0 && len(trim(resp[short], o.Stop)) < len(trim(resp[long], o.Stop)) {
			pairs = append(pairs, pair{ps[i].Prompt, trim(resp[short], o.Stop), trim(resp[long], o.Stop)})
		}
	}
	cal.CalibrationPassAt1 = float64(nc) / float64(len(resp))
	cal.Pairs = len(pairs)
	if len(pairs) == 0 {
		return nil, fmt.Errorf("steer: no calibration problem has two correct responses of different lengths (%d problems, pass@1 %.3f)", len(ps), cal.CalibrationPassAt1)
	}
	// One forward pass per answer gives its mean activation at every
	// candidate layer.
	effs, verbs := map[int][][]float32{}, map[int][][]float32{}
	normSum := map[int]float64{}
	normN := 0
	for _, p := range pairs {
		for side, r := range [][]int32{p.eff, p.verb} {
			means, nsums, err := meanActivations(m, p.prompt, r, o.Layers)
			if err != nil {
				return nil, err
			}
			normN += len(r)
			for k, l := range o.Layers {
				normSum[l] += nsums[k]
				if side == 0 {
					effs[l] = append(effs[l], means[k])
				} else {
					verbs[l] = append(verbs[l], means[k])
				}
			}
		}
	}
	for _, l := range o.Layers {
		v, err := Direction(effs[l], verbs[l])
		if err != nil {
			return nil, err
		}
		cal.ActivationNorm[l] = normSum[l] / float64(max(normN, 1))
		cal.VectorNorm[l] = norm(v)
		if o.Norm == "mean" && cal.VectorNorm[l] > 0 {
			v = Scaled(v, cal.ActivationNorm[l]/cal.VectorNorm[l])
		}
		cal.Vectors[l] = v
	}
	for _, p := range pairs {
		cal.EfficientLen += float64(len(p.eff)) / float64(len(pairs))
		cal.VerboseLen += float64(len(p.verb)) / float64(len(pairs))
	}
	return cal, nil
}

// meanActivations scores prompt+resp once and returns, for each of the
// layers, the mean over the response's tokens of the residual stream after
// it (the stream at the position that reads each response token), with
// the sum of those rows' norms.
func meanActivations(m *lm.Model, prompt, resp []int32, layers []int) ([][]float32, []float64, error) {
	if len(resp) == 0 {
		return nil, nil, fmt.Errorf("steer: empty response")
	}
	T := len(prompt) + len(resp)
	b := &lm.Batch{Rows: 1, Len: T, Tokens: append(append([]int32(nil), prompt...), resp...), Mask: make([]float32, T), Temperature: 1}
	if _, err := m.Score(b); err != nil {
		return nil, nil, err
	}
	d := m.Cfg.HiddenSize
	means, nsums := make([][]float32, len(layers)), make([]float64, len(layers))
	for k, l := range layers {
		h, err := m.Residual(l)
		if err != nil {
			return nil, nil, err
		}
		sum := make([]float64, d)
		for t := len(prompt); t < T; t++ {
			row := h[t*d : (t+1)*d]
			for j, x := range row {
				sum[j] += float64(x)
			}
			nsums[k] += norm(row)
		}
		means[k] = make([]float32, d)
		for j := range sum {
			means[k][j] = float32(sum[j] / float64(len(resp)))
		}
	}
	return means, nsums, nil
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// Point is one setting's accuracy and lengths (in generated tokens, the
// stop token included).
type Point struct {
	Layer         int     `json:"layer"`
	Alpha         float64 `json:"alpha"`
	PassAt1       float64 `json:"pass@1"`
	MeanLen       float64 `json:"mean_len"`
	MeanLenRight  float64 `json:"mean_len_correct"`
	FinishedShare float64 `json:"finished"` // responses that ended on a stop token
}

// Evaluate samples the problems with α · v added at layer l (α 0: the
// model unsteered) and leaves the model unsteered.
func Evaluate(m *lm.Model, ps []Problem, l int, v []float32, alpha float64, o Options) (Point, error) {
	pt := Point{Layer: l, Alpha: alpha}
	var s *lm.Steering
	if alpha != 0 {
		s = &lm.Steering{Layer: l, Vec: Scaled(v, alpha), Prompt: o.Scope == "all"}
	}
	if err := m.SetSteering(s); err != nil {
		return pt, err
	}
	defer m.SetSteering(nil)
	resp, correct, err := sampleAll(m, ps, &o)
	if err != nil {
		return pt, err
	}
	var nc, lenC, fin float64
	for i, r := range resp {
		pt.MeanLen += float64(len(r))
		if len(trim(r, o.Stop)) < len(r) {
			fin++
		}
		if correct[i] {
			nc++
			lenC += float64(len(r))
		}
	}
	n := float64(len(resp))
	pt.PassAt1, pt.MeanLen, pt.FinishedShare = nc/n, pt.MeanLen/n, fin/n
	if nc > 0 {
		pt.MeanLenRight = lenC / nc
	}
	return pt, nil
}

// Result is a run's steering study: the calibration, the dev grid, the
// chosen setting and the unsteered and steered test points.
type Result struct {
	Calibration *Calibration `json:"calibration"`
	Dev         []Point      `json:"dev"`
	Chosen      Point        `json:"chosen"` // on dev
	TestBase    Point        `json:"test_base"`
	TestSteered Point        `json:"test_steered"`
}

// Study calibrates on cal, searches layers × alphas on dev and measures
// the unsteered model and the chosen setting on test.
func Study(m *lm.Model, cal, dev, test []Problem, o Options) (*Result, error) {
	c, err := Calibrate(m, cal, o)
	if err != nil {
		return nil, err
	}
	res := &Result{Calibration: c}
	base, err := Evaluate(m, dev, o.Layers[0], nil, 0, o)
	if err != nil {
		return nil, err
	}
	res.Dev = append(res.Dev, base)
	res.Chosen = base
	for _, l := range o.Layers {
		for _, a := range o.Alphas {
			if a == 0 {
				continue
			}
			pt, err := Evaluate(m, dev, l, c.Vectors[l], a, o)
			if err != nil {
				return nil, err
			}
			res.Dev = append(res.Dev, pt)
			if pt.PassAt1 >= base.PassAt1-o.Tolerance && pt.MeanLen < res.Chosen.MeanLen {
				res.Chosen = pt
			}
		}
	}
	if res.TestBase, err = Evaluate(m, test, res.Chosen.Layer, nil, 0, o); err != nil {
		return nil, err
	}
	if res.TestSteered, err = Evaluate(m, test, res.Chosen.Layer, c.Vectors[res.Chosen.Layer], res.Chosen.Alpha, o); err != nil {
		return nil, err
	}
	return res, nil
}
