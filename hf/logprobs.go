package hf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// LogProbs scores one sequence: entry t is log p(ids[t+1] | ids[0..t]),
// len(ids)-1 entries (temperature 1).
func LogProbs(m *lm.Model, ids []int32) ([]float32, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("empty id sequence")
	}
	s, err := m.Score(&lm.Batch{Rows: 1, Len: len(ids), Tokens: ids})
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), s.LogProbs[1:len(ids)]...), nil
}

// RunLogprobsCLI is `autodidact logprobs --model DIR`: it loads the Hugging
// Face directory, reads JSONL lines {"ids": [...]} or {"text": "..."}
// (text is encoded with the directory's tokenizer.json, special tokens
// added as its post-processor says) and writes one {"logprobs": [...]} line
// per input line, entry t being log p(ids[t+1] | ids[0..t]). Lines with
// text also get "ids". Blank lines are skipped; a bad line stops with an
// error naming its number.
func RunLogprobsCLI(r io.Reader, w io.Writer, modelDir string) error {
	m, err := Load(modelDir, Options{})
	if err != nil {
		return err
	}
	var tok *tokenizer.HF
	tokLoaded := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var in struct {
			IDs  []int32 `json:"ids"`
			Text *string `json:"text"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return fmt.Errorf("line %d: want {\"ids\": [...]} or {\"text\": \"...\"}: %w", n, err)
		}
		out := struct {
			IDs      []int32   `json:"ids,omitempty"`
			LogProbs []float32 `json:"logprobs"`
		}{}
		switch {
		case in.Text != nil && in.IDs != nil:
			return fmt.Errorf("line %d: give ids or text, not both", n)
		case in.Text != nil:
			if !tokLoaded {
				if tok, err = LoadTokenizer(modelDir); err != nil {
					return err
				}
				tokLoaded = true
			}
			if tok == nil {
				return fmt.Errorf("line %d: text needs a tokenizer, but %s has no %s", n, modelDir, TokenizerFile)
			}
			if in.IDs, err = tok.Encode(*in.Text); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			out.IDs = in.IDs
		case in.IDs == nil:
			return fmt.Errorf("line %d: want {\"ids\": [...]} or {\"text\": \"...\"}", n)
		}
		if len(in.IDs) == 0 {
			return fmt.Errorf("line %d: no ids to score", n)
		}
		if out.LogProbs, err = LogProbs(m, in.IDs); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		bw.Write(append(b, '\n'))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}
