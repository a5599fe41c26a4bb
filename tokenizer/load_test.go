package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadTellsTheFormsApart: a character tokenizer's file and a Hugging
// Face tokenizer.json both load through Load, each as its own kind; a
// file that is neither is an error naming it.
func TestLoadTellsTheFormsApart(t *testing.T) {
	dir := t.TempDir()
	c, err := NewChar("ab", nil)
	if err != nil {
		t.Fatal(err)
	}
	charPath := filepath.Join(dir, "char.json")
	if err := c.Save(charPath); err != nil {
		t.Fatal(err)
	}
	hfPath := filepath.Join(dir, "hf.json")
	hf := `{"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
 "post_processor": null, "decoder": {"type": "Fuse"},
 "model": {"type": "BPE", "dropout": null, "unk_token": "?", "continuing_subword_prefix": null, "end_of_word_suffix": null,
   "fuse_unk": false, "byte_fallback": false, "vocab": {"?": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b"]}}`
	if err := os.WriteFile(hfPath, []byte(hf), 0o644); err != nil {
		t.Fatal(err)
	}
	if tok, err := Load(charPath); err != nil {
		t.Fatal(err)
	} else if _, ok := tok.(*Char); !ok {
		t.Errorf("character file loaded as %T", tok)
	}
	if tok, err := Load(hfPath); err != nil {
		t.Fatal(err)
	} else if ids, _ := tok.Encode("ab"); len(ids) != 1 || ids[0] != 3 {
		t.Errorf("Hugging Face file: %T encodes ab as %v", tok, ids)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("[1, 2"), 0o644)
	if _, err := Load(bad); err == nil {
		t.Error("a malformed file loaded")
	}
}
