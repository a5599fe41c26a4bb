package steer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
)

// Card B9's steering example: efficient mean [1, 2], verbose mean [3, 1]
// → v = [−2, 1]; h = [0, 0], α = 0.5 → h + α v = [−1, 0.5]. The model adds
// exactly α v to the residual stream after the steered layer.
func TestSteeringCard(t *testing.T) {
	v, err := Direction([][]float32{{1, 2}}, [][]float32{{3, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != -2 || v[1] != 1 {
		t.Fatalf("v = %v, want [-2 1]", v)
	}
	h := []float32{0, 0}
	for i, s := range Scaled(v, 0.5) {
		h[i] += s
	}
	if h[0] != -1 || h[1] != 0.5 {
		t.Fatalf("h + alpha v = %v, want [-1 0.5]", h)
	}
	// Two problems average: efficient [1,2] and [3,4], verbose [0,0] and [2,2] → [1, 2].
	v, _ = Direction([][]float32{{1, 2}, {3, 4}}, [][]float32{{0, 0}, {2, 2}})
	if v[0] != 1 || v[1] != 2 {
		t.Fatalf("v = %v, want [1 2]", v)
	}
	if _, err := Direction(nil, nil); err == nil {
		t.Error("no pairs accepted")
	}

	m := tinyModel(t)
	b := &lm.Batch{Rows: 1, Len: 3, Tokens: []int32{1, 2, 3}, Mask: make([]float32, 3), Temperature: 1}
	if _, err := m.Score(b); err != nil {
		t.Fatal(err)
	}
	r, _ := m.Residual(0)
	base := append([]float32(nil), r[:3*m.Cfg.HiddenSize]...)
	vec := make([]float32, m.Cfg.HiddenSize)
	vec[0], vec[1] = -2, 1
	if err := m.SetSteering(&lm.Steering{Layer: 0, Vec: Scaled(vec, 0.5), Prompt: true}); err != nil {
		t.Fatal(err)
	}
	_, _ = m.Score(b)
	r, _ = m.Residual(0)
	d := m.Cfg.HiddenSize
	for t0 := 0; t0 < 3; t0++ {
		if r[t0*d] != base[t0*d]-1 || r[t0*d+1] != base[t0*d+1]+0.5 || r[t0*d+2] != base[t0*d+2] {
			t.Fatalf("position %d: residual %v, unsteered %v", t0, r[t0*d:t0*d+3], base[t0*d:t0*d+3])
		}
	}
}

func tinyModel(t *testing.T) *lm.Model {
	t.Helper()
	cfg := lm.Config{VocabSize: 8, HiddenSize: 16, IntermediateSize: 24, NumHiddenLayers: 2, NumAttentionHeads: 2,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, MaxPositionEmbeddings: 40}
	m, err := lm.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	for _, p := range m.Params() {
		if len(p.Shape) == 2 {
			p.InitNormal(r, 0.5)
		}
	}
	return m
}

// A whole study on a random model whose every finished response is
// "correct": the unsteered dev point is α 0, each dev point is what
// Evaluate gives alone (the draws are the same for every setting), the
// chosen setting is the shortest within the tolerance, and the model is
// left unsteered.
func TestStudy(t *testing.T) {
	m := tinyModel(t)
	var ps []Problem
	for i := 0; i < 12; i++ {
		ps = append(ps, Problem{Prompt: []int32{1, int32(2 + i%5), int32(1 + i%3)}, Grade: func(c []int32) bool { return len(c) > 0 && c[len(c)-1] == 7 }})
	}
	o := Options{Layers: []int{0, 1}, Alphas: []float64{0, 1, 4, -4}, Norm: "mean", Scope: "generated", Samples: 6,
		Temperature: 1, MaxNew: 20, Stop: []int32{7}, Tolerance: 0.05, Seed: 9}
	res, err := Study(m, ps[:6], ps[6:9], ps[9:], o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calibration.Pairs == 0 || res.Calibration.EfficientLen >= res.Calibration.VerboseLen {
		t.Fatalf("calibration %+v", res.Calibration)
	}
	for _, l := range o.Layers {
		// Norm mean: |v| equals the mean activation norm.
		if got := norm(res.Calibration.Vectors[l]); math.Abs(got-res.Calibration.ActivationNorm[l]) > 1e-3*got {
			t.Errorf("layer %d: |v| %v, mean activation norm %v", l, got, res.Calibration.ActivationNorm[l])
		}
	}
	if res.Dev[0].Alpha != 0 || len(res.Dev) != 1+2*3 {
		t.Fatalf("dev grid %+v", res.Dev)
	}
	base := res.Dev[0]
	for _, pt := range res.Dev[1:] {
		again, err := Evaluate(m, ps[6:9], pt.Layer, res.Calibration.Vectors[pt.Layer], pt.Alpha, o)
		if err != nil {
			t.Fatal(err)
		}
		if again != pt {
			t.Errorf("dev point %+v is not reproduced: %+v", pt, again)
		}
		if pt.PassAt1 >= base.PassAt1-o.Tolerance && pt.MeanLen < res.Chosen.MeanLen {
			t.Errorf("point %+v is shorter within tolerance than the chosen %+v", pt, res.Chosen)
		}
	}
	if res.Chosen.PassAt1 < base.PassAt1-o.Tolerance || res.Chosen.MeanLen > base.MeanLen {
		t.Errorf("chosen %+v breaks the rule against base %+v", res.Chosen, base)
	}
	if plain, _ := Evaluate(m, ps[9:], res.Chosen.Layer, nil, 0, o); plain != res.TestBase {
		t.Errorf("test base %+v differs from the unsteered model %+v", res.TestBase, plain)
	}
	if _, err := Calibrate(m, ps, Options{Layers: []int{5}, Alphas: []float64{1}, Norm: "none", Scope: "generated", Samples: 1, MaxNew: 1}); err == nil {
		t.Error("layer 5 accepted")
	}
}
