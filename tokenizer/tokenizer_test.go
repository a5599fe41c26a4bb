package tokenizer

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCharRoundTripAndErrors(t *testing.T) {
	c, err := NewChar(DefaultAlphabet, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := "12+34=46\n#### 46"
	ids, err := c.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Decode(ids); got != text {
		t.Fatalf("round trip = %q", got)
	}
	eos, _ := c.Special(EOS)
	if eos != 2 || c.Decode([]int32{eos, -1, 9999}) != "<eos><?-1><?9999>" {
		t.Fatalf("specials/unknown ids decode wrongly: %q", c.Decode([]int32{eos, -1, 9999}))
	}
	if _, err := c.Encode("ok é"); err == nil || !strings.Contains(err.Error(), "byte 3") {
		t.Fatalf("unknown character: got %v, want an error naming byte 3", err)
	}
	if _, err := NewChar("aa", nil); err == nil {
		t.Fatal("repeated alphabet character must be an error")
	}
	path := filepath.Join(t.TempDir(), "tok.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	c2, err := LoadChar(path)
	if err != nil || c2.VocabSize() != c.VocabSize() {
		t.Fatalf("reload: %v, vocab %d vs %d", err, c2.VocabSize(), c.VocabSize())
	}
	ids2, _ := c2.Encode(text)
	for i := range ids {
		if ids[i] != ids2[i] {
			t.Fatal("reloaded tokenizer encodes differently")
		}
	}
}

func TestByte(t *testing.T) {
	b := NewByte(nil)
	ids, _ := b.Encode("é\x00")
	if len(ids) != 3 || b.Decode(ids) != "é\x00" || b.VocabSize() != 259 {
		t.Fatalf("byte tokenizer: ids %v decode %q", ids, b.Decode(ids))
	}
	var _ Tokenizer = b
	var _ Tokenizer = &Char{}
}
