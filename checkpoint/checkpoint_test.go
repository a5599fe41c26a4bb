package checkpoint

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	in := []Tensor{
		{Name: "a", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}},
		{Name: "b.bias", Shape: []int{1}, Data: []float32{-0.5}},
		{Name: "scalar", Shape: []int{}, Data: []float32{7}},
	}
	data, err := EncodeSafetensors(in, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	if hl := binary.LittleEndian.Uint64(data); (8+hl)%8 != 0 {
		t.Fatalf("data section starts at %d, not 8-byte aligned", 8+hl)
	}
	out, meta, err := DecodeSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" {
		t.Fatalf("metadata = %v", meta)
	}
	for _, want := range in {
		got := out[want.Name]
		if !sameShape(got.Shape, want.Shape) {
			t.Fatalf("%s: shape %v, want %v", want.Name, got.Shape, want.Shape)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%s[%d] = %v, want %v", want.Name, i, got.Data[i], want.Data[i])
			}
		}
	}
}

// build makes a raw safetensors buffer from a header string and data size.
func build(header string, body int) []byte {
	b := make([]byte, 8+len(header)+body)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	copy(b[8:], header)
	return b
}

func TestSafetensorsRejectsMalformedFiles(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	past := make([]byte, 16)
	binary.LittleEndian.PutUint64(past, 100)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"too short", []byte{1, 2, 3}, "too short"},
		{"oversize header", huge, "exceeds"},
		{"header past end", past, "past the end"},
		{"not json", build("{nope", 0), "not a JSON object"},
		{"unknown dtype", build(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8), "unsupported dtype"},
		{"shape mismatch", build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes"},
		{"offset out of range", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 8), "outside"},
		{"negative offset", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, 8), "outside"},
		{"reversed offsets", build(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8), "outside"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "overlaps"},
		{"hole", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "hole"},
		{"trailing bytes", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "after the last tensor"},
		{"negative dim", build(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "invalid shape"},
		{"overflowing shape", build(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), "invalid shape"},
		{"bad metadata", build(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
	} {
		_, _, err := DecodeSafetensors(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestHalfPrecisionDecoding(t *testing.T) {
	// F16: 1.0 = 0x3c00, -2.5 = 0xc100, 2^-24 (subnormal) = 0x0001; BF16: 1.0 = 0x3f80.
	h := `{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]}}`
	data := build(h, 8)
	body := data[8+len(h):]
	binary.LittleEndian.PutUint16(body[0:], 0x3c00)
	binary.LittleEndian.PutUint16(body[2:], 0xc100)
	binary.LittleEndian.PutUint16(body[4:], 0x0001)
	binary.LittleEndian.PutUint16(body[6:], 0x3f80)
	ts, _, err := DecodeSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2.5, float32(math.Pow(2, -24))}
	for i, w := range want {
		if ts["h"].Data[i] != w {
			t.Errorf("f16[%d] = %v, want %v", i, ts["h"].Data[i], w)
		}
	}
	if ts["b"].Data[0] != 1 {
		t.Errorf("bf16 = %v, want 1", ts["b"].Data[0])
	}
}

func FuzzDecodeSafetensors(f *testing.F) {
	ok, _ := EncodeSafetensors([]Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, map[string]string{"k": "v"})
	f.Add(ok)
	f.Add(build(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, err := DecodeSafetensors(data)
		if err == nil {
			for name, tt := range ts {
				n := 1
				for _, s := range tt.Shape {
					n *= s
				}
				if n != len(tt.Data) {
					t.Fatalf("%s: shape %v but %d values", name, tt.Shape, len(tt.Data))
				}
			}
		}
	})
}

func smallModel(t *testing.T) *lm.Model {
	cfg := lm.Tiny(12)
	cfg.TieWordEmbeddings = false
	m, err := lm.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSaveLoadModel(t *testing.T) {
	m := smallModel(t)
	dir := t.TempDir()
	if err := SaveModel(dir, m); err != nil {
		t.Fatal(err)
	}
	m2, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := &lm.Batch{Rows: 1, Len: 5, Tokens: []int32{1, 2, 3, 4, 5}}
	s1, _ := m.Score(b)
	lp1 := append([]float32(nil), s1.LogProbs...)
	s2, _ := m2.Score(b)
	for i := range lp1 {
		if lp1[i] != s2.LogProbs[i] {
			t.Fatalf("log-prob %d differs after reload: %v vs %v", i, lp1[i], s2.LogProbs[i])
		}
	}
	// A tensor of the wrong shape is named in the error.
	ts, meta, _ := ReadSafetensors(filepath.Join(dir, ModelFile))
	var list []Tensor
	for _, tt := range ts {
		if tt.Name == "model.norm.weight" {
			tt = Tensor{Name: tt.Name, Shape: []int{3}, Data: []float32{1, 1, 1}}
		}
		list = append(list, tt)
	}
	if err := WriteSafetensors(filepath.Join(dir, ModelFile), list, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(dir); err == nil || !strings.Contains(err.Error(), "model.norm.weight") {
		t.Fatalf("want an error naming model.norm.weight, got %v", err)
	}
}

// trainSteps runs n AdamW steps of next-token training on a fixed batch
// whose tokens are drawn from rng.
func trainSteps(t *testing.T, m *lm.Model, opt *optim.AdamW, rng *rand.Rand, n int) {
	for s := 0; s < n; s++ {
		b := &lm.Batch{Rows: 2, Len: 8, Tokens: make([]int32, 16)}
		for i := range b.Tokens {
			b.Tokens[i] = int32(rng.IntN(12))
		}
		if _, err := m.Score(b); err != nil {
			t.Fatal(err)
		}
		d := make([]float32, 16)
		for i := range d {
			d[i] = -1.0 / 14
		}
		m.ZeroGrad()
		if err := m.Backward(d, nil, nil); err != nil {
			t.Fatal(err)
		}
		opt.Step(1e-2)
	}
}

func TestResumeIsExact(t *testing.T) {
	root := t.TempDir()
	m := smallModel(t)
	opt := optim.NewAdamW(m.Params(), optim.DefaultAdamW())
	src := rand.NewPCG(1, 2)
	rng := rand.New(src)
	trainSteps(t, m, opt, rng, 3)
	rs, _ := src.MarshalBinary()
	if _, err := Save(root, m, opt, State{Step: 3, RNG: rs}); err != nil {
		t.Fatal(err)
	}
	trainSteps(t, m, opt, rng, 2)

	m2 := smallModel(t)
	opt2 := optim.NewAdamW(m2.Params(), optim.DefaultAdamW())
	dir, err := Latest(root)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Load(dir, m2, opt2)
	if err != nil {
		t.Fatal(err)
	}
	src2 := &rand.PCG{}
	if err := src2.UnmarshalBinary(st.RNG); err != nil || st.Step != 3 || opt2.T != 3 {
		t.Fatalf("state = %+v, opt step %d, err %v", st, opt2.T, err)
	}
	trainSteps(t, m2, opt2, rand.New(src2), 2)
	p1, p2 := m.Params(), m2.Params()
	for i := range p1 {
		for j := range p1[i].W {
			if math.Float32bits(p1[i].W[j]) != math.Float32bits(p2[i].W[j]) {
				t.Fatalf("%s[%d] differs after resume: %v vs %v", p1[i].Name, j, p1[i].W[j], p2[i].W[j])
			}
		}
	}
}

func TestLatestSurvivesInterruptedWrites(t *testing.T) {
	root := t.TempDir()
	m := smallModel(t)
	for _, step := range []int{10, 20} {
		if _, err := Save(root, m, nil, State{Step: step}); err != nil {
			t.Fatal(err)
		}
	}
	// A crash mid-save leaves a temporary directory; a crash between the
	// renames can leave latest pointing at nothing.
	os.MkdirAll(filepath.Join(root, ".tmp-step-00000030-x"), 0o755)
	os.WriteFile(filepath.Join(root, LatestFile), []byte("step-00000030\n"), 0o644)
	dir, err := Latest(root)
	if err != nil || filepath.Base(dir) != "step-00000020" {
		t.Fatalf("Latest = %s, %v; want step-00000020", dir, err)
	}
	// Saving the same step twice replaces it.
	if _, err := Save(root, m, nil, State{Step: 20, Extra: []byte(`{"again":true}`)}); err != nil {
		t.Fatal(err)
	}
	st, err := Load(filepath.Join(root, "step-00000020"), m, nil)
	if err != nil || !strings.Contains(string(st.Extra), `"again": true`) {
		t.Fatalf("re-saved state = %+v, %v", st, err)
	}
	if _, err := Latest(t.TempDir()); err != ErrNoCheckpoint {
		t.Fatalf("empty root: got %v, want ErrNoCheckpoint", err)
	}
}
