package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
)

// Load reads a run directory's tokenizer.json in either form: a Hugging
// Face tokenizer.json (it has a "model" section) or the character
// tokenizer's file written by Char.Save.
func Load(path string) (Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Model json.RawMessage `json:"model"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(probe.Model) > 0 {
		return LoadHF(path)
	}
	return LoadChar(path)
}
