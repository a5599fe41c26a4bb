package run

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// qwen2Dir writes a random-weight Qwen2-shaped model directory with Qwen3's
// real tokenizer.json and tokenizer_config.json (chat template) into a
// temporary directory.
func qwen2Dir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.Open(filepath.Join("testdata", "qwen3-tokenizer", "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgJSON, err := os.ReadFile(filepath.Join("testdata", "qwen3-tokenizer", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfgJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadHF(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := lm.Config{VocabSize: tok.VocabSize(), HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 1,
		NumAttentionHeads: 2, NumKeyValueHeads: 1, RopeTheta: 1e6, RMSNormEps: 1e-6, TieWordEmbeddings: true,
		AttentionBias: true, MaxPositionEmbeddings: 512}
	m, err := lm.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	eos, _ := tok.TokenToID("<|im_end|>")
	if err := hf.Export(dir, m, hf.ExportOptions{ModelType: "qwen2", EOSTokenID: []int{int(eos)}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestModelFromHuggingFaceDirectory runs a GSM8K-format recipe end to end
// on a random-weight Qwen2-shaped model directory with a real tokenizer:
// prompts are rendered with the chat template, episodes carry the
// tokenizer's ids, sampling log-probs equal what the trainer computes,
// and the run resumes from its checkpoints.
func TestModelFromHuggingFaceDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	model := qwen2Dir(t)
	data := filepath.Join(t.TempDir(), "train.jsonl")
	var rows bytes.Buffer
	for a := 1; a <= 40; a++ {
		fmt.Fprintf(&rows, "{\"question\": \"What is %d plus 3?\", \"answer\": \"%d+3=%d\\n#### %d\"}\n", a, a, a+3, a+3)
	}
	if err := os.WriteFile(data, rows.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	recipe := filepath.Join(t.TempDir(), "gsm8k_hf.yaml")
	yml := fmt.Sprintf(`name: gsm8k_hf_test
threads: 2
task: {name: dataset, params: {path: %q, preset: gsm8k}}
model: {from: %q, chat_template: true, max_position_embeddings: 128}
pretrain: {steps: 0}
sft: {steps: 2, batch: 2}
rl: {steps: 2, prompts_per_step: 2, group_size: 2, max_new_tokens: 8}
eval: {problems: 3, samples: 2, k_list: [1, 2], every: 0, max_new_tokens: 8}
checkpoint_every: 1
`, data, model)
	if err := os.WriteFile(recipe, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRecipe(recipe)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var log bytes.Buffer
	s, err := Run(r, dir, false, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, v := range append(append([]float64{}, s.BaseCurve...), s.FinalCurve...) {
		if v != v || v < 0 || v > 1 {
			t.Fatalf("pass@k value %v", v)
		}
	}
	// The run directory's tokenizer is the model's file.
	if a, _ := os.ReadFile(filepath.Join(dir, TokenizerFile)); !bytes.Equal(a, mustRead(t, filepath.Join(model, "tokenizer.json"))) {
		t.Error("the run directory's tokenizer.json is not the model's")
	}
	// Episodes: the prompt is the chat template's rendering, in the
	// tokenizer's ids.
	tok, err := tokenizer.LoadHF(filepath.Join(model, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	imStart, _ := tok.TokenToID("<|im_start|>")
	f, err := os.Open(filepath.Join(dir, SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		var ep struct {
			Segments []struct {
				Role string  `json:"role"`
				Text string  `json:"text"`
				IDs  []int32 `json:"ids"`
			} `json:"segments"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ep); err != nil {
			t.Fatal(err)
		}
		if len(ep.Segments) < 2 {
			continue
		}
		p := ep.Segments[0]
		if len(p.IDs) == 0 || p.IDs[0] != imStart || !strings.Contains(tok.Decode(p.IDs), "<|im_start|>assistant\n") {
			t.Fatalf("prompt segment %q (ids %v) is not a chat-template rendering", tok.Decode(p.IDs), p.IDs[:min(8, len(p.IDs))])
		}
		n++
	}
	if n == 0 {
		t.Fatal("no episodes in samples.jsonl")
	}
	if !strings.Contains(log.String(), "sft") {
		t.Errorf("no SFT stage in the log:\n%s", log.String())
	}
	// The example recipes validate against a model directory and a file.
	for _, ex := range []string{"gsm8k_hf", "math_hf"} {
		r, err := LoadRecipe(filepath.Join("..", "examples", ex+".yaml"))
		if err == nil || r == nil {
			t.Fatalf("%s without model.from: recipe %v, error %v (want the recipe and a validation error)", ex, r, err)
		}
		sets := []string{"model.from=" + model, "task.params.path=" + data}
		if ex == "math_hf" {
			sets = append(sets, "task.params.question=question") // MATH's field is "problem"
		}
		if err = r.Set(sets); err == nil {
			err = r.Validate()
		}
		if err != nil {
			t.Errorf("%s: %v", ex, err)
		} else if r.Model.From != model || !r.Model.ChatTemplate {
			t.Errorf("%s: model %+v", ex, r.Model)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
