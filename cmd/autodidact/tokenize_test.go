package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyTokenizerJSON is a byte-level BPE with a 4-token vocabulary beyond
// the bytes it needs: "ab" merges from "a" "b", and <eos> is special.
const tinyTokenizerJSON = `{
  "version": "1.0",
  "added_tokens": [{"id": 5, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "Whitespace"},
  "post_processor": null,
  "decoder": {"type": "Fuse"},
  "model": {"type": "BPE", "dropout": null, "unk_token": "?", "continuing_subword_prefix": null, "end_of_word_suffix": null,
    "fuse_unk": false, "byte_fallback": false, "vocab": {"?": 0, "a": 1, "b": 2, "c": 3, "ab": 4}, "merges": ["a b"]}
}`

// TestTokenizeCommand: lines of text become lines of ids and back, one
// output line per input line; a bad line is answered in place and fails
// the command.
func TestTokenizeCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(file, []byte(tinyTokenizerJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		root := newRoot(&out, &out)
		root.SetIn(strings.NewReader(stdin))
		root.SetArgs(append([]string{"tokenize", "--tokenizer", file}, args...))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("{\"text\": \"abc ab\"}\n{\"text\": \"c<eos>\"}\n")
	if err != nil {
		t.Fatal(err, out)
	}
	if want := "{\"ids\":[4,3,4]}\n{\"ids\":[3,5]}\n"; out != want {
		t.Errorf("encode wrote %q, want %q", out, want)
	}
	out, err = run("{\"ids\": [4, 3]}\n", "--decode")
	if err != nil || out != "{\"text\":\"abc\"}\n" {
		t.Errorf("decode wrote %q (%v)", out, err)
	}
	out, err = run("{\"text\": \"a\"}\nnot json\n")
	if err == nil || !strings.Contains(out, `"error":"line 2`) || !strings.HasPrefix(out, "{\"ids\":[1]}\n") {
		t.Errorf("bad line: %q, err %v", out, err)
	}
}

// TestGradeReason: an incorrect grade carries the verifier's reason.
func TestGradeReason(t *testing.T) {
	var out, errb bytes.Buffer
	in := strings.NewReader(`{"gold":"#### 3","response":"the answer is 3 or 4"}` + "\n" + `{"gold":"#### 3","response":"#### 3"}` + "\n")
	if err := runGrade("auto", false, nil, in, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"reason":"hedge"`) || strings.Contains(lines[1], "reason") {
		t.Errorf("grade wrote %q", out.String())
	}
}

// TestLogprobsCommand: a Hugging Face model directory scores id lines,
// len(ids)-1 log-probs each, all negative.
func TestLogprobsCommand(t *testing.T) {
	var out bytes.Buffer
	root := newRoot(&out, &out)
	root.SetIn(strings.NewReader("{\"ids\": [1, 2, 3, 4]}\n"))
	root.SetArgs([]string{"logprobs", "--model", filepath.Join("..", "..", "hf", "testdata", "qwen3-f32")})
	if err := root.Execute(); err != nil {
		t.Fatal(err, out.String())
	}
	var got struct{ Logprobs []float64 }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Logprobs) != 3 {
		t.Fatalf("logprobs wrote %q (%v)", out.String(), err)
	}
	for _, lp := range got.Logprobs {
		if !(lp < 0) {
			t.Errorf("log-prob %v", lp)
		}
	}
}
