// Package tokenizer maps text to token ids and back. Char is the
// character-level tokenizer of the procedural tasks; Byte is byte-level;
// both carry special tokens. HF (LoadHF) is a BPE tokenizer read from a
// Hugging Face tokenizer.json (Qwen, Llama, GPT-2 families) and implements
// the same Tokenizer interface.
//
// Token ids flow end to end through training: text the model produced is
// never re-tokenized, so Decode need not be invertible by Encode.
package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// Standard special tokens.
const (
	Pad = "<pad>"
	BOS = "<bos>"
	EOS = "<eos>"
)

// Tokenizer converts between text and token ids.
type Tokenizer interface {
	// Encode maps text to ids; an error names the first position it cannot map.
	Encode(text string) ([]int32, error)
	// Decode maps ids to text; special tokens appear by name and unknown ids
	// as "<?id>", so untrusted ids never panic.
	Decode(ids []int32) string
	// VocabSize is one more than the largest id.
	VocabSize() int
	// Special returns the id of a special token such as EOS.
	Special(name string) (int32, bool)
}

// Char is a character-level tokenizer: special tokens take ids 0..S-1, the
// characters of the alphabet follow in order.
type Char struct {
	Specials []string `json:"specials"`
	Alphabet string   `json:"alphabet"`

	runes []rune
	index map[rune]int32
}

// DefaultAlphabet covers the procedural tasks: digits, letters,
// arithmetic, punctuation, space and newline.
const DefaultAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ +-*/=()[]{}<>.,:;?!'\"$%#_|^\n"

// NewChar builds a character tokenizer; specials nil means pad, bos, eos.
func NewChar(alphabet string, specials []string) (*Char, error) {
	if specials == nil {
		specials = []string{Pad, BOS, EOS}
	}
	c := &Char{Specials: specials, Alphabet: alphabet}
	return c, c.build()
}

func (c *Char) build() error {
	c.index = map[rune]int32{}
	c.runes = nil
	seen := map[string]bool{}
	for _, s := range c.Specials {
		if s == "" || seen[s] {
			return fmt.Errorf("tokenizer: special token %q is empty or repeated", s)
		}
		seen[s] = true
	}
	for i, r := range c.Alphabet {
		if r == utf8.RuneError {
			return fmt.Errorf("tokenizer: alphabet has invalid UTF-8 at byte %d", i)
		}
		if _, dup := c.index[r]; dup {
			return fmt.Errorf("tokenizer: alphabet repeats %q", r)
		}
		c.index[r] = int32(len(c.Specials) + len(c.runes))
		c.runes = append(c.runes, r)
	}
	return nil
}

// Encode maps each character to its id.
func (c *Char) Encode(text string) ([]int32, error) {
	ids := make([]int32, 0, len(text))
	for i, r := range text {
		id, ok := c.index[r]
		if !ok {
			return nil, fmt.Errorf("tokenizer: character %q at byte %d is not in the alphabet", r, i)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Decode maps ids back to text.
func (c *Char) Decode(ids []int32) string {
	buf := make([]byte, 0, len(ids))
	for _, id := range ids {
		switch {
		case id >= 0 && int(id) < len(c.Specials):
			buf = append(buf, c.Specials[id]...)
		case id >= 0 && int(id) < c.VocabSize():
			buf = utf8.AppendRune(buf, c.runes[int(id)-len(c.Specials)])
		default:
			buf = fmt.Appendf(buf, "<?%d>", id)
		}
	}
	return string(buf)
}

// VocabSize is the number of specials plus the alphabet size.
func (c *Char) VocabSize() int { return len(c.Specials) + len(c.runes) }

// Special returns the id of a special token.
func (c *Char) Special(name string) (int32, bool) {
	for i, s := range c.Specials {
		if s == name {
			return int32(i), true
		}
	}
	return 0, false
}

// Save writes the tokenizer as JSON.
func (c *Char) Save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// LoadChar reads a tokenizer written by Save.
func LoadChar(path string) (*Char, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Char{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.build(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Byte is a byte-level tokenizer: specials take ids 0..S-1, byte b is id
// S+b. Every string encodes.
type Byte struct{ Specials []string }

// NewByte builds a byte tokenizer; specials nil means pad, bos, eos.
func NewByte(specials []string) *Byte {
	if specials == nil {
		specials = []string{Pad, BOS, EOS}
	}
	return &Byte{Specials: specials}
}

// Encode maps each byte to its id.
func (t *Byte) Encode(text string) ([]int32, error) {
	ids := make([]int32, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int32(len(t.Specials)) + int32(text[i])
	}
	return ids, nil
}

// Decode maps ids back to bytes (invalid UTF-8 is kept as is).
func (t *Byte) Decode(ids []int32) string {
	buf := make([]byte, 0, len(ids))
	for _, id := range ids {
		switch {
		case id >= 0 && int(id) < len(t.Specials):
			buf = append(buf, t.Specials[id]...)
		case id >= 0 && int(id) < t.VocabSize():
			buf = append(buf, byte(int(id)-len(t.Specials)))
		default:
			buf = fmt.Appendf(buf, "<?%d>", id)
		}
	}
	return string(buf)
}

// VocabSize is the number of specials plus 256.
func (t *Byte) VocabSize() int { return len(t.Specials) + 256 }

// Special returns the id of a special token.
func (t *Byte) Special(name string) (int32, bool) {
	for i, s := range t.Specials {
		if s == name {
			return int32(i), true
		}
	}
	return 0, false
}
