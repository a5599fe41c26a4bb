package hf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/lm"
)

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func editConfig(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func maxErr(t *testing.T, m *lm.Model, ref reference) float64 {
	t.Helper()
	worst := 0.0
	for _, s := range ref.Sequences {
		lp, err := LogProbs(m, s.IDs)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range s.LogProbs {
			worst = math.Max(worst, math.Abs(float64(lp[i])-want))
		}
	}
	return worst
}

// The parity test must be able to fail: without the llama3 rope scaling,
// or with Qwen2 read as Llama (no q/k/v biases), the errors are large.
func TestReferenceDetectsMissingFeatures(t *testing.T) {
	dir := copyDir(t, "testdata/llama3-f32")
	editConfig(t, dir, func(m map[string]any) { m["rope_scaling"] = nil })
	m, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := maxErr(t, m, readReference(t, "testdata/llama3-f32")); e < 1e-2 {
		t.Fatalf("dropping rope_scaling changed the log-probs by only %.3g", e)
	}
	dir = copyDir(t, "testdata/qwen3-f32")
	m, err = Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Layers {
		b.QNorm.Fill(1)
	}
	if e := maxErr(t, m, readReference(t, "testdata/qwen3-f32")); e < 1e-2 {
		t.Fatalf("resetting q_norm changed the log-probs by only %.3g", e)
	}
}

func TestLoadedConfigs(t *testing.T) {
	for dir, want := range map[string]lm.Config{
		"testdata/qwen3-bf16": {VocabSize: 300, HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4,
			NumKeyValueHeads: 2, RopeTheta: 1e6, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64, HeadDimension: 24, QKNorm: true},
		"testdata/qwen2-f32": {VocabSize: 300, HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4,
			NumKeyValueHeads: 2, RopeTheta: 1e6, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64, TieWordEmbeddings: true, AttentionBias: true},
		"testdata/llama3-f32": {VocabSize: 300, HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4,
			NumKeyValueHeads: 2, RopeTheta: 1e4, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64,
			RopeScaling: lm.RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32}},
		"testdata/llama_bias_linear_tied-f32": {VocabSize: 300, HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4,
			NumKeyValueHeads: 2, RopeTheta: 500, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64, TieWordEmbeddings: true,
			AttentionBias: true, OProjBias: true, RopeScaling: lm.RopeScaling{Type: "linear", Factor: 2}},
	} {
		c, err := LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.LM != want {
			t.Errorf("%s: config\n%+v, want\n%+v", dir, c.LM, want)
		}
		// lm.LoadConfig (used by checkpoint.LoadModel) reads the same shape.
		l, err := lm.LoadConfig(filepath.Join(dir, ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if l != want {
			t.Errorf("%s: lm.LoadConfig\n%+v, want\n%+v", dir, l, want)
		}
	}
	g, err := LoadGenerationConfig("testdata/qwen2-f32")
	if err != nil || g == nil || len(g.EOSTokenID) != 1 || g.Temperature != 0.7 {
		t.Fatalf("generation config %+v, %v", g, err)
	}
	if o := g.SampleOptions(16); o.Temperature != 0.7 || o.TopP != 0.8 || len(o.Stop) != 1 || o.Stop[0] != 267 || o.Validate() != nil {
		t.Fatalf("sample options %+v", o)
	}
	if g, err := LoadGenerationConfig("testdata/qwen3-f32"); g != nil || err != nil {
		t.Fatalf("absent generation config: %+v, %v", g, err)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	base := `"vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2`
	for _, tc := range []struct{ json, want string }{
		{`{"model_type": "gpt2", ` + base + `}`, `model_type "gpt2" is not supported (supported: llama, qwen2, qwen3)`},
		{`{` + base + `}`, `model_type is missing`},
		{`{"model_type": "llama", "vocab_size": 10}`, `hidden_size is missing`},
		{`{"model_type": "llama", "hidden_act": "gelu", ` + base + `}`, `hidden_act "gelu" is not supported (supported: silu)`},
		{`{"model_type": "llama", "mlp_bias": true, ` + base + `}`, `mlp_bias`},
		{`{"model_type": "qwen2", "use_sliding_window": true, ` + base + `}`, `use_sliding_window`},
		{`{"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}, ` + base + `}`, `rope_scaling type "yarn" is not supported (supported: default, linear, llama3)`},
		{`{"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8}, ` + base + `}`, `rope_scaling.low_freq_factor`},
		{`{"model_type": "llama", "rope_scaling": {"rope_type": "linear", "factor": 2, "attention_factor": 2}, ` + base + `}`, `rope_scaling key "attention_factor"`},
		{`{"model_type": "llama", "num_key_value_heads": 3, ` + base + `}`, `num_key_value_heads`},
		{`{"model_type": "llama", "head_dim": 5, ` + base + `}`, `head dimension 5 must be even`},
		{`{"model_type": "llama", "eos_token_id": "x", ` + base + `}`, `eos_token_id`},
		{`{"model_type": "qwen3", "layer_types": ["full_attention", "sliding_attention"], ` + base + `}`, `layer_types[1] "sliding_attention" is not supported`},
	} {
		_, err := ParseConfig([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.json, err, tc.want)
		}
	}
	c, err := ParseConfig([]byte(`{"model_type": "qwen3", ` + base + `}`))
	if err != nil || c.LM.HeadDim() != 128 || !c.LM.QKNorm || c.LM.MaxPositionEmbeddings != 32768 {
		t.Fatalf("qwen3 defaults: %+v, %v", c.LM, err)
	}
}

// writeST writes a safetensors file with raw tensors (dtype and bytes).
func writeST(t *testing.T, path string, ts map[string]rawT) {
	t.Helper()
	header := map[string]any{}
	var body []byte
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	for _, n := range names {
		r := ts[n]
		header[n] = map[string]any{"dtype": r.dtype, "shape": r.shape, "data_offsets": []int{len(body), len(body) + len(r.data)}}
		body = append(body, r.data...)
	}
	hj, _ := json.Marshal(header)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	out = append(append(out, hj...), body...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

type rawT struct {
	dtype string
	shape []int
	data  []byte
}

// readRaw returns the tensors of a safetensors file as raw entries.
func readRaw(t *testing.T, path string) map[string]rawT {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := parseSafetensors(path, b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]rawT{}
	for n, x := range ts {
		out[n] = rawT{x.dtype, x.shape, x.data}
	}
	return out
}

func TestLoadErrorsNameTheTensor(t *testing.T) {
	src := "testdata/qwen2-f32"
	orig := readRaw(t, filepath.Join(src, WeightsFile))
	for _, tc := range []struct {
		name string
		edit func(map[string]rawT)
		want string
	}{
		{"missing", func(m map[string]rawT) { delete(m, "model.layers.1.self_attn.k_proj.bias") }, "tensor model.layers.1.self_attn.k_proj.bias is missing"},
		{"extra", func(m map[string]rawT) { m["model.layers.0.mlp.extra.weight"] = rawT{"F32", []int{1}, make([]byte, 4)} }, "tensor model.layers.0.mlp.extra.weight is not part of the qwen2 model"},
		{"shape", func(m map[string]rawT) {
			r := m["model.norm.weight"]
			m["model.norm.weight"] = rawT{"F32", []int{32, 2}, r.data}
		}, "tensor model.norm.weight has shape [32 2], the config needs [64]"},
		{"dtype", func(m map[string]rawT) {
			r := m["model.norm.weight"]
			m["model.norm.weight"] = rawT{"I32", r.shape, r.data}
		}, `tensor model.norm.weight has unsupported dtype "I32"`},
		{"tied head differs", func(m map[string]rawT) {
			r := m["model.embed_tokens.weight"]
			m["lm_head.weight"] = rawT{"F32", r.shape, make([]byte, len(r.data))}
		}, "lm_head.weight differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			ts := map[string]rawT{}
			for k, v := range orig {
				ts[k] = v
			}
			tc.edit(ts)
			writeST(t, filepath.Join(dir, WeightsFile), ts)
			_, err := Load(dir, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A tied lm_head equal to the embedding and rotary inv_freq buffers are accepted.
	dir := copyDir(t, src)
	ts := map[string]rawT{}
	for k, v := range orig {
		ts[k] = v
	}
	ts["lm_head.weight"] = orig["model.embed_tokens.weight"]
	ts["model.layers.0.self_attn.rotary_emb.inv_freq"] = rawT{"F32", []int{8}, make([]byte, 32)}
	writeST(t, filepath.Join(dir, WeightsFile), ts)
	if _, err := Load(dir, Options{}); err != nil {
		t.Fatal(err)
	}
}

// Sharded files with an index, and F16 tensors, load to the same model.
func TestShardedAndF16(t *testing.T) {
	src := "testdata/qwen3-bf16"
	want, err := Load(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	orig := readRaw(t, filepath.Join(src, WeightsFile))
	dir := copyDir(t, src)
	os.Remove(filepath.Join(dir, WeightsFile))
	shards := []map[string]rawT{{}, {}}
	index := map[string]string{}
	i := 0
	for n, r := range orig {
		shards[i%2][n] = r
		index[n] = []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i%2]
		i++
	}
	writeST(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), shards[0])
	writeST(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), shards[1])
	ib, _ := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": index})
	os.WriteFile(filepath.Join(dir, IndexFile), ib, 0o644)
	got, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got.Params() {
		if !equal32(p.W, want.Params()[i].W) {
			t.Fatalf("sharded %s differs", p.Name)
		}
	}
	// An index naming a tensor its shard lacks is an error naming it.
	index["model.norm.weight"] = "model-00002-of-00002.safetensors"
	if _, ok := shards[1]["model.norm.weight"]; ok {
		index["model.norm.weight"] = "model-00001-of-00002.safetensors"
	}
	ib, _ = json.Marshal(map[string]any{"weight_map": index})
	os.WriteFile(filepath.Join(dir, IndexFile), ib, 0o644)
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), "model.norm.weight") {
		t.Fatalf("inconsistent index: got %v", err)
	}

	// F16: convert every tensor and compare with float32 values rounded to half.
	dir = copyDir(t, "testdata/qwen3-f32")
	f32, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]rawT{}
	for _, p := range f32.Params() {
		b := make([]byte, 2*len(p.W))
		for j, v := range p.W {
			binary.LittleEndian.PutUint16(b[2*j:], floatToHalf(v))
		}
		ts[p.Name] = rawT{"F16", p.Shape, b}
	}
	writeST(t, filepath.Join(dir, WeightsFile), ts)
	f16, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range f16.Params() {
		for j, v := range p.W {
			w := f32.Params()[i].W[j]
			if math.Abs(float64(v-w)) > 1e-3*math.Max(1, math.Abs(float64(w))) {
				t.Fatalf("F16 %s[%d] = %v, want about %v", p.Name, j, v, w)
			}
		}
	}
	ref := readReference(t, "testdata/qwen3-f32")
	if e := maxErr(t, f16, ref); e > 0.1 {
		t.Fatalf("F16 model log-probs off by %.3g", e)
	}
}

// floatToHalf rounds to binary16 via float64 arithmetic (no overflow handling, for tests).
func floatToHalf(f float32) uint16 {
	if f == 0 {
		return 0
	}
	sign := uint16(0)
	if f < 0 {
		sign, f = 0x8000, -f
	}
	e := math.Floor(math.Log2(float64(f)))
	if e < -14 { // subnormal: multiples of 2^-24
		return sign | uint16(math.RoundToEven(float64(f)*(1<<24)))
	}
	m := math.RoundToEven(float64(f)/math.Pow(2, e)*1024) - 1024
	if m == 1024 {
		m, e = 0, e+1
	}
	return sign | uint16(e+15)<<10 | uint16(m)
}

func equal32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestHalfToFloat(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x0001: 1.0 / (1 << 24), 0x7bff: 65504, 0x3555: 0.333251953125} {
		if got := halfToFloat(h); got != want {
			t.Errorf("half %#x = %v, want %v", h, got, want)
		}
	}
	for f, want := range map[float32]uint16{1: 0x3f80, 1.00390625: 0x3f80, 1.01171875: 0x3f82, -3: 0xc040} {
		if got := toBF16(f); got != want {
			t.Errorf("bf16(%v) = %#x, want %#x", f, got, want)
		}
	}
}

// Export writes any model in the Hugging Face layout; loading it back
// gives the same weights (F32) or their BF16 rounding, and the same scores.
func TestExportRoundTrip(t *testing.T) {
	base := lm.Config{VocabSize: 40, HiddenSize: 32, IntermediateSize: 48, NumHiddenLayers: 2, NumAttentionHeads: 4,
		NumKeyValueHeads: 2, RopeTheta: 10000, RMSNormEps: 1e-5, MaxPositionEmbeddings: 64}
	tiny := lm.Tiny(20)
	qwen2 := base
	qwen2.AttentionBias, qwen2.TieWordEmbeddings = true, true
	qwen3 := base
	qwen3.HeadDimension, qwen3.QKNorm, qwen3.AttentionBias, qwen3.OProjBias = 12, true, true, true
	llama := base
	llama.ValueHead = true
	llama.RopeScaling = lm.RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 16}
	for name, tc := range map[string]struct {
		cfg  lm.Config
		want string
	}{"tiny": {tiny, "llama"}, "qwen2": {qwen2, "qwen2"}, "qwen3": {qwen3, "qwen3"}, "llama3-value": {llama, "llama"}} {
		t.Run(name, func(t *testing.T) {
			m, err := lm.New(tc.cfg, 11)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range m.Params() { // non-trivial biases and gains
				for j := range p.W {
					p.W[j] += float32(math.Sin(float64(i*1000+j))) * 0.05
				}
			}
			toks := []int32{1, 5, 9, 3, 7, 2, 11, 4}
			for _, dtype := range []string{"F32", "BF16"} {
				dir := t.TempDir()
				if err := Export(dir, m, ExportOptions{DType: dtype}); err != nil {
					t.Fatal(err)
				}
				c, err := LoadConfig(dir)
				if err != nil {
					t.Fatal(err)
				}
				if c.ModelType != tc.want {
					t.Fatalf("model_type %s, want %s", c.ModelType, tc.want)
				}
				back, err := Load(dir, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if back.Cfg != m.Cfg {
					t.Fatalf("config %+v, want %+v", back.Cfg, m.Cfg)
				}
				for i, p := range back.Params() {
					src := m.Params()[i].W
					for j, v := range p.W {
						w := src[j]
						if dtype == "BF16" {
							w = math.Float32frombits(uint32(toBF16(w)) << 16)
						}
						if math.Float32bits(v) != math.Float32bits(w) {
							t.Fatalf("%s %s[%d] = %v, want %v", dtype, p.Name, j, v, w)
						}
					}
				}
				if dtype == "F32" {
					a, _ := LogProbs(m, toks)
					b, _ := LogProbs(back, toks)
					if !equal32(a, b) {
						t.Fatalf("scores differ after the round trip: %v vs %v", a, b)
					}
				}
			}
		})
	}
	bad := base
	bad.OProjBias = true
	m, _ := lm.New(bad, 1)
	if err := Export(t.TempDir(), m, ExportOptions{}); err == nil || !strings.Contains(err.Error(), "o_proj bias") {
		t.Fatalf("o_proj bias alone: %v", err)
	}
	m, _ = lm.New(qwen2, 1)
	if err := Export(t.TempDir(), m, ExportOptions{ModelType: "qwen3"}); err == nil || !strings.Contains(err.Error(), "it needs qwen2") {
		t.Fatalf("wrong model type: %v", err)
	}
	if err := Export(t.TempDir(), m, ExportOptions{DType: "F16"}); err == nil || !strings.Contains(err.Error(), "F16") {
		t.Fatalf("F16 export: %v", err)
	}
}

func TestLogprobsCLI(t *testing.T) {
	dir := "testdata/qwen2-f32"
	ref := readReference(t, dir)
	var in bytes.Buffer
	for _, s := range ref.Sequences {
		b, _ := json.Marshal(map[string]any{"ids": s.IDs})
		in.Write(append(b, '\n'))
	}
	in.WriteString("\n{\"text\": \"hello world\"}\n")
	var out bytes.Buffer
	if err := RunLogprobsCLI(&in, &out, dir); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(ref.Sequences)+1 {
		t.Fatalf("%d output lines, want %d", len(lines), len(ref.Sequences)+1)
	}
	for i, s := range ref.Sequences {
		var o struct{ LogProbs []float64 }
		if err := json.Unmarshal([]byte(lines[i]), &o); err != nil {
			t.Fatal(err)
		}
		if len(o.LogProbs) != len(s.IDs)-1 {
			t.Fatalf("line %d: %d log-probs for %d ids", i+1, len(o.LogProbs), len(s.IDs))
		}
		for j, w := range s.LogProbs {
			if math.Abs(o.LogProbs[j]-w) > 2e-4 {
				t.Fatalf("line %d entry %d: %v, want %v", i+1, j, o.LogProbs[j], w)
			}
		}
	}
	var o struct {
		IDs      []int32
		LogProbs []float32
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &o); err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokenizer(dir)
	if err != nil || tok == nil {
		t.Fatalf("tokenizer: %v", err)
	}
	ids, _ := tok.Encode("hello world")
	if len(o.IDs) != len(ids) || len(o.LogProbs) != len(ids)-1 || ids[0] != 256+10 {
		t.Fatalf("text line: ids %v (tokenizer %v), %d log-probs", o.IDs, ids, len(o.LogProbs))
	}
	for _, tc := range []struct{ in, want string }{
		{"{\"ids\": [1, 2]}\n{\"ids\": [1, 400]}\n", "line 2: "},
		{"{\"ids\": [1, 2]}\n\nnot json\n", "line 3: "},
		{"{\"ids\": []}\n", "line 1: no ids"},
		{"{\"idz\": [1]}\n", "line 1: "},
		{"{\"text\": \"hi\"}\n", "has no tokenizer.json"},
	} {
		d := dir
		if strings.Contains(tc.want, "tokenizer") {
			d = "testdata/qwen3-f32"
		}
		err := RunLogprobsCLI(strings.NewReader(tc.in), &bytes.Buffer{}, d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	p, err := Open("testdata/qwen2-f32", Options{MaxPositions: 32})
	if err != nil {
		t.Fatal(err)
	}
	if p.Tokenizer == nil || p.Generation == nil || p.ChatTemplate != nil || p.Config.ModelType != "qwen2" {
		t.Fatalf("Open: %+v", p)
	}
	if p.Model.Cfg.MaxPositionEmbeddings != 32 {
		t.Fatalf("MaxPositions: %d", p.Model.Cfg.MaxPositionEmbeddings)
	}
	p, err = Open("testdata/llama3-bf16", Options{ValueHead: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Tokenizer != nil || p.Model.ValueW == nil {
		t.Fatalf("Open without tokenizer, with value head: %+v", p)
	}
}

// checkpoint.SaveModel/LoadModel (autodidact's own layout) keep the new
// options, and checkpoint.LoadModel reads Hugging Face directories too.
func TestCheckpointKeepsHFOptions(t *testing.T) {
	m, err := Load("testdata/qwen3-f32", Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := checkpoint.SaveModel(dir, m); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, "testdata/qwen3-f32", "testdata/qwen2-bf16", "testdata/llama_bias_linear_tied-f32"} {
		back, err := checkpoint.LoadModel(d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Load(d, Options{}) // hf.Load reads autodidact's directories too
		if err != nil {
			t.Fatal(err)
		}
		if back.Cfg != want.Cfg {
			t.Fatalf("%s: %+v, want %+v", d, back.Cfg, want.Cfg)
		}
		a, _ := LogProbs(back, []int32{1, 2, 3, 4, 5})
		b, _ := LogProbs(want, []int32{1, 2, 3, 4, 5})
		if !equal32(a, b) {
			t.Fatalf("%s: scores differ", d)
		}
	}
}
