package lm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refModel is an independent float64 implementation of the same network,
// written for clarity (naive loops), used to check the float32 engine's
// logits, log-probs, entropies, values and, through finite differences,
// its gradients.
type refModel struct {
	cfg Config
	w   map[string][]float64 // parameter name -> values
}

func newRef(m *Model) *refModel {
	r := &refModel{cfg: m.Cfg, w: map[string][]float64{}}
	for _, p := range m.Params() {
		v := make([]float64, len(p.W))
		for i, x := range p.W {
			v[i] = float64(x)
		}
		r.w[p.Name] = v
	}
	return r
}

func (r *refModel) get(name string) []float64 {
	if name == "lm_head.weight" && r.cfg.TieWordEmbeddings {
		return r.w["model.embed_tokens.weight"]
	}
	return r.w[name]
}

func refLinear(x []float64, w, b []float64, in, out int) []float64 {
	n := len(x) / in
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for j := 0; j < in; j++ {
				s += x[i*in+j] * w[o*in+j]
			}
			y[i*out+o] = s
		}
	}
	return y
}

func refRMS(x, g []float64, d int, eps float64) []float64 {
	y := make([]float64, len(x))
	for i := 0; i < len(x)/d; i++ {
		ss := 0.0
		for j := 0; j < d; j++ {
			ss += x[i*d+j] * x[i*d+j]
		}
		rs := 1 / math.Sqrt(ss/float64(d)+eps)
		for j := 0; j < d; j++ {
			y[i*d+j] = x[i*d+j] * rs * g[j]
		}
	}
	return y
}

// forward returns logits [N, V] (divided by temp) and the final normed
// hidden states [N, d] for one batch.
func (r *refModel) forward(b *Batch) (logits, hidden []float64) {
	c := r.cfg
	B, T := b.Rows, b.Len
	N := B * T
	d, f, V, H, KVH, hd := c.HiddenSize, c.IntermediateSize, c.VocabSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim()
	qw, kw := H*hd, KVH*hd
	start := func(i int) int {
		if b.Start == nil {
			return 0
		}
		return int(b.Start[i])
	}
	x := make([]float64, N*d)
	emb := r.w["model.embed_tokens.weight"]
	for i, tok := range b.Tokens {
		copy(x[i*d:], emb[int(tok)*d:int(tok+1)*d])
	}
	inv := refInvFreqs(c)
	rope := func(v []float64, heads, pos int) {
		for h := 0; h < heads; h++ {
			for i := 0; i < hd/2; i++ {
				a := float64(pos) * inv[i]
				x0, x1 := v[h*hd+i], v[h*hd+i+hd/2]
				v[h*hd+i] = x0*math.Cos(a) - x1*math.Sin(a)
				v[h*hd+i+hd/2] = x1*math.Cos(a) + x0*math.Sin(a)
			}
		}
	}
	for l := 0; l < c.NumHiddenLayers; l++ {
		p := "model.layers." + itoa(l) + "."
		h := refRMS(x, r.w[p+"input_layernorm.weight"], d, c.RMSNormEps)
		q := refLinear(h, r.w[p+"self_attn.q_proj.weight"], r.w[p+"self_attn.q_proj.bias"], d, qw)
		k := refLinear(h, r.w[p+"self_attn.k_proj.weight"], r.w[p+"self_attn.k_proj.bias"], d, kw)
		v := refLinear(h, r.w[p+"self_attn.v_proj.weight"], r.w[p+"self_attn.v_proj.bias"], d, kw)
		if c.QKNorm { // per-head RMSNorm before the rotary embedding (Qwen3)
			q = refRMS(q, r.w[p+"self_attn.q_norm.weight"], hd, c.RMSNormEps)
			k = refRMS(k, r.w[p+"self_attn.k_norm.weight"], hd, c.RMSNormEps)
		}
		for i := 0; i < N; i++ {
			pos := i%T - start(i)
			rope(q[i*qw:(i+1)*qw], H, pos)
			rope(k[i*kw:(i+1)*kw], KVH, pos)
		}
		att := make([]float64, N*qw)
		for bb := 0; bb < B; bb++ {
			for hh := 0; hh < H; hh++ {
				g := hh / (H / KVH)
				for i := 0; i < T; i++ {
					ti := bb*T + i
					s := make([]float64, T)
					mx := math.Inf(-1)
					for j := start(ti); j <= i; j++ {
						tj := bb*T + j
						for e := 0; e < hd; e++ {
							s[j] += q[ti*qw+hh*hd+e] * k[tj*kw+g*hd+e]
						}
						s[j] /= math.Sqrt(float64(hd))
						mx = math.Max(mx, s[j])
					}
					sum := 0.0
					for j := start(ti); j <= i; j++ {
						s[j] = math.Exp(s[j] - mx)
						sum += s[j]
					}
					for j := start(ti); j <= i; j++ {
						tj := bb*T + j
						for e := 0; e < hd; e++ {
							att[ti*qw+hh*hd+e] += s[j] / sum * v[tj*kw+g*hd+e]
						}
					}
				}
			}
		}
		o := refLinear(att, r.w[p+"self_attn.o_proj.weight"], r.w[p+"self_attn.o_proj.bias"], qw, d)
		for i := range x {
			x[i] += o[i]
		}
		h2 := refRMS(x, r.w[p+"post_attention_layernorm.weight"], d, c.RMSNormEps)
		gate := refLinear(h2, r.w[p+"mlp.gate_proj.weight"], nil, d, f)
		up := refLinear(h2, r.w[p+"mlp.up_proj.weight"], nil, d, f)
		for i := range gate {
			gate[i] = gate[i] / (1 + math.Exp(-gate[i])) * up[i]
		}
		down := refLinear(gate, r.w[p+"mlp.down_proj.weight"], nil, f, d)
		for i := range x {
			x[i] += down[i]
		}
	}
	hidden = refRMS(x, r.w["model.norm.weight"], d, c.RMSNormEps)
	logits = refLinear(hidden, r.get("lm_head.weight"), nil, d, V)
	temp := float64(b.Temperature)
	if temp == 0 {
		temp = 1
	}
	for i := range logits {
		logits[i] /= temp
	}
	return logits, hidden
}

// refInvFreqs are the rotary inverse frequencies, with Hugging Face's
// "linear" and "llama3" rope_scaling written out from their definitions.
func refInvFreqs(c Config) []float64 {
	hd := c.HeadDim()
	inv := make([]float64, hd/2)
	for i := range inv {
		f := 1 / math.Pow(c.RopeTheta, float64(2*i)/float64(hd))
		rs := c.RopeScaling
		switch rs.Type {
		case "linear":
			f /= rs.Factor
		case "llama3":
			old := float64(rs.OriginalMaxPositionEmbeddings)
			wavelen := 2 * math.Pi / f
			if wavelen > old/rs.LowFreqFactor {
				f /= rs.Factor
			} else if wavelen >= old/rs.HighFreqFactor {
				smooth := (old/wavelen - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
				f = (1-smooth)*f/rs.Factor + smooth*f
			}
		}
		inv[i] = f
	}
	return inv
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// scores returns per-token log-probs, entropies and values as Score does.
func (r *refModel) scores(b *Batch) (lp, ent, val []float64) {
	logits, hidden := r.forward(b)
	V, d, T := r.cfg.VocabSize, r.cfg.HiddenSize, b.Len
	N := len(b.Tokens)
	lp, ent, val = make([]float64, N), make([]float64, N), make([]float64, N)
	for i := 0; i < N; i++ {
		st := 0
		if b.Start != nil {
			st = int(b.Start[i])
		}
		if i%T == st || (b.Mask != nil && b.Mask[i] == 0) {
			continue
		}
		z := logits[(i-1)*V : i*V]
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(v - mx)
		}
		lse := mx + math.Log(sum)
		lp[i] = z[b.Tokens[i]] - lse
		for _, v := range z {
			ent[i] -= math.Exp(v-lse) * (v - lse)
		}
		if r.cfg.ValueHead {
			w, bias := r.w["value_head.weight"], r.w["value_head.bias"]
			val[i] = bias[0]
			for j := 0; j < d; j++ {
				val[i] += w[j] * hidden[(i-1)*d+j]
			}
		}
	}
	return lp, ent, val
}

type lmCase struct {
	name  string
	cfg   Config
	batch *Batch
}

func lmCases(r *rand.Rand) []lmCase {
	base := Config{VocabSize: 7, HiddenSize: 8, IntermediateSize: 12, NumHiddenLayers: 2, NumAttentionHeads: 2,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, TieWordEmbeddings: true, MaxPositionEmbeddings: 64}
	gqa := base
	gqa.NumAttentionHeads, gqa.NumKeyValueHeads, gqa.HiddenSize = 4, 2, 16
	gqa.TieWordEmbeddings, gqa.AttentionBias, gqa.ValueHead = false, true, true
	toks := func(n int) []int32 {
		t := make([]int32, n)
		for i := range t {
			t[i] = int32(r.IntN(7))
		}
		return t
	}
	mask := make([]float32, 2*6)
	for i := range mask {
		if i%6 >= 2 {
			mask[i] = 1
		}
	}
	// Qwen3-like: head_dim independent of hidden/heads, q/k norms, biases on
	// q/k/v/o, llama3 rope scaling (original context 32 so that all
	// three frequency bands occur).
	qwen3 := gqa
	qwen3.HeadDimension, qwen3.QKNorm, qwen3.OProjBias, qwen3.ValueHead = 6, true, true, false
	qwen3.RopeTheta = 100
	qwen3.RopeScaling = RopeScaling{Type: "llama3", Factor: 4, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32}
	linear := base
	linear.HeadDimension, linear.OProjBias = 8, true
	linear.RopeScaling = RopeScaling{Type: "linear", Factor: 2}
	cases := []lmCase{
		{"tied", base, &Batch{Rows: 2, Len: 6, Tokens: toks(12)}},
		{"gqa-bias-untied-value-masked-temp", gqa, &Batch{Rows: 2, Len: 6, Tokens: toks(12), Mask: mask, Temperature: 0.7}},
		{"packed", base, &Batch{Rows: 1, Len: 9, Tokens: toks(9), Start: []int32{0, 0, 0, 0, 4, 4, 4, 7, 7}}},
	}
	return append(cases,
		lmCase{"headdim-qknorm-obias-llama3rope", qwen3, &Batch{Rows: 2, Len: 7, Tokens: toks(14), Temperature: 0.9}},
		lmCase{"headdim-obias-linearrope-packed", linear, &Batch{Rows: 1, Len: 9, Tokens: toks(9), Start: []int32{0, 0, 0, 0, 4, 4, 4, 7, 7}}},
	)
}

func TestScoreMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range lmCases(r) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			scaleUp(m, r) // larger weights than init so the test exercises the math
			ref := newRef(m)
			s, err := m.Score(tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			logits, _ := ref.forward(tc.batch)
			V := tc.cfg.VocabSize
			for i := 1; i < len(tc.batch.Tokens); i++ {
				if got := m.Logits(i); got != nil && tc.batch.Start == nil {
					assertRel(t, "logits", got, logits[(i-1)*V:i*V], 1e-4)
				}
			}
			lp, ent, val := ref.scores(tc.batch)
			assertRel(t, "logprobs", s.LogProbs, lp, 1e-4)
			assertRel(t, "entropies", s.Entropies, ent, 1e-4)
			if tc.cfg.ValueHead {
				assertRel(t, "values", s.Values, val, 1e-4)
			}
		})
	}
}

// scaleUp multiplies the weights by random factors so activations are O(1).
func scaleUp(m *Model, r *rand.Rand) {
	for _, p := range m.Params() {
		for i := range p.W {
			if len(p.Shape) == 2 {
				p.W[i] = float32(r.NormFloat64() * 0.5)
			} else {
				p.W[i] = float32(1 + 0.3*r.NormFloat64())
			}
		}
	}
}

// assertRel fails if max|got-want| exceeds tol times max(1e-3, max|want|).
func assertRel(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	scale, worst, at := 1e-3, 0.0, 0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst/scale > tol || math.IsNaN(worst) {
		t.Fatalf("%s: element %d = %v, want %v (error %.3g relative to %.3g)", name, at, got[at], want[at], worst/scale, scale)
	}
}

// TestBackwardMatchesFiniteDifferences checks every parameter gradient of
// the loss L = sum_i a_i logp_i + b_i H_i + c_i V_i against central
// differences of the float64 reference.
func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range lmCases(r) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, 9)
			if err != nil {
				t.Fatal(err)
			}
			scaleUp(m, r)
			ref := newRef(m)
			N := len(tc.batch.Tokens)
			ca, cb, cc := make([]float32, N), make([]float32, N), make([]float32, N)
			for i := 0; i < N; i++ {
				ca[i], cb[i], cc[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			loss := func() float64 {
				lp, ent, val := ref.scores(tc.batch)
				s := 0.0
				for i := range lp {
					s += float64(ca[i])*lp[i] + float64(cb[i])*ent[i] + float64(cc[i])*val[i]
				}
				return s
			}
			if _, err := m.Score(tc.batch); err != nil {
				t.Fatal(err)
			}
			var dv []float32
			if tc.cfg.ValueHead {
				dv = cc
			}
			m.ZeroGrad()
			if err := m.Backward(ca, cb, dv); err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Params() {
				assertRel(t, "grad "+p.Name, p.G, fdGrad(ref.w[p.Name], loss), 1e-4)
			}
		})
	}
}

// fdGrad is the central-difference gradient of loss with respect to the
// reference weights w (step 1e-6; w is restored).
func fdGrad(w []float64, loss func() float64) []float64 {
	g := make([]float64, len(w))
	for i := range w {
		old := w[i]
		w[i] = old + 1e-6
		fp := loss()
		w[i] = old - 1e-6
		fm := loss()
		w[i] = old
		g[i] = (fp - fm) / 2e-6
	}
	return g
}

func TestLogitGradAddsToBackward(t *testing.T) {
	// A loss defined directly on logits, L = sum_v u_v z_v at one position,
	// must give the same gradients as the equivalent per-token route.
	r := rand.New(rand.NewPCG(5, 6))
	tc := lmCases(r)[0]
	m, _ := New(tc.cfg, 3)
	scaleUp(m, r)
	ref := newRef(m)
	if _, err := m.Score(tc.batch); err != nil {
		t.Fatal(err)
	}
	V := tc.cfg.VocabSize
	u := make([]float32, V)
	for v := range u {
		u[v] = float32(r.NormFloat64())
	}
	copy(m.LogitGrad(4), u)
	m.ZeroGrad()
	if err := m.Backward(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		logits, _ := ref.forward(tc.batch)
		s := 0.0
		for v := 0; v < V; v++ {
			s += float64(u[v]) * logits[3*V+v]
		}
		return s
	}
	for _, p := range m.Params()[:3] {
		assertRel(t, "grad "+p.Name, p.G, fdGrad(ref.w[p.Name], loss), 1e-4)
	}
}

func TestScoreRejectsBadInput(t *testing.T) {
	m, _ := New(Tiny(10), 1)
	for _, tc := range []struct {
		name string
		b    Batch
		want string
	}{
		{"token out of vocabulary", Batch{Rows: 1, Len: 3, Tokens: []int32{1, 12, 2}}, "position 1"},
		{"length mismatch", Batch{Rows: 2, Len: 3, Tokens: []int32{1, 2, 3}}, "3 tokens for 2 rows"},
		{"mask mismatch", Batch{Rows: 1, Len: 2, Tokens: []int32{1, 2}, Mask: []float32{1}}, "mask"},
		{"too long", Batch{Rows: 1, Len: 300, Tokens: make([]int32, 300)}, "max_position_embeddings"},
	} {
		_, err := m.Score(&tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := m.Score(&Batch{Rows: 1, Len: 3, Tokens: []int32{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	nan := []float32{0, float32(math.NaN()), 0}
	if err := m.Backward(nan, nil, nil); err == nil || !strings.Contains(err.Error(), "element 1") {
		t.Errorf("NaN loss gradient: got %v, want an error naming element 1", err)
	}
}

func TestTrainingStepAllocatesNothing(t *testing.T) {
	hfOpts := Tiny(16)
	hfOpts.HeadDimension, hfOpts.QKNorm, hfOpts.AttentionBias, hfOpts.OProjBias = 24, true, true, true
	hfOpts.RopeScaling = RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32}
	for _, cfg := range []Config{Tiny(16), hfOpts} {
		trainingStepAllocatesNothing(t, cfg)
	}
}

func trainingStepAllocatesNothing(t *testing.T, cfg Config) {
	m, _ := New(cfg, 1)
	B, T := 4, 40
	b := &Batch{Rows: B, Len: T, Tokens: make([]int32, B*T)}
	for i := range b.Tokens {
		b.Tokens[i] = int32(i % 16)
	}
	dlp := make([]float32, B*T)
	for i := range dlp {
		dlp[i] = -0.01
	}
	step := func() {
		if _, err := m.Score(b); err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(dlp, dlp, nil); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(5, step); allocs > 0 {
		t.Fatalf("a training step allocates %.1f objects after warm-up", allocs)
	}
}
