package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// TokenizeCLIOptions configures RunTokenizeCLIWith.
type TokenizeCLIOptions struct {
	// File is the tokenizer.json to load.
	File string
	// Decode reads {"ids": [...]} lines and writes {"text": ...};
	// otherwise {"text": ...} lines are read and {"ids": [...]} written.
	Decode bool
	// NoSpecial encodes without the post-processor's special tokens.
	NoSpecial bool
	// SkipSpecial decodes without special tokens.
	SkipSpecial bool
}

// RunTokenizeCLI is the body of `autodidact tokenize`: it loads the
// tokenizer.json file and converts JSONL from r to w, one output line per
// input line. Encoding reads {"text": ...} and writes {"ids": [...]};
// with decode it reads {"ids": [...]} and writes {"text": ...}.
//
// A bad input line (not JSON, missing field) does not stop the run: its
// output line is {"error": "line N: ..."}, so outputs stay aligned with
// inputs, and RunTokenizeCLI returns an error counting the bad lines and
// naming the first. Errors loading the file or writing w stop at once.
func RunTokenizeCLI(r io.Reader, w io.Writer, file string, decode bool) error {
	return RunTokenizeCLIWith(r, w, TokenizeCLIOptions{File: file, Decode: decode})
}

// RunTokenizeCLIWith is RunTokenizeCLI with all options.
func RunTokenizeCLIWith(r io.Reader, w io.Writer, o TokenizeCLIOptions) error {
	tok, err := LoadHF(o.File)
	if err != nil {
		return fmt.Errorf("tokenize: %w", err)
	}
	return convertJSONL(tok, r, w, o)
}

func convertJSONL(tok *HF, r io.Reader, w io.Writer, o TokenizeCLIOptions) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
	bw := bufio.NewWriter(w)
	bad, firstBad := 0, ""
	for line := 1; sc.Scan(); line++ {
		out, err := convertLine(tok, sc.Bytes(), o)
		if err != nil {
			msg := fmt.Sprintf("line %d: %v", line, err)
			if bad == 0 {
				firstBad = msg
			}
			bad++
			out, _ = marshalLine(struct {
				Error string `json:"error"`
			}{msg})
		}
		bw.Write(out)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("tokenize: writing output: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tokenize: reading input: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tokenize: writing output: %w", err)
	}
	if bad > 0 {
		return fmt.Errorf("tokenize: %d bad input line(s); first: %s", bad, firstBad)
	}
	return nil
}

func convertLine(tok *HF, b []byte, o TokenizeCLIOptions) ([]byte, error) {
	if o.Decode {
		var in struct {
			IDs *[]int32 `json:"ids"`
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, fmt.Errorf("want {\"ids\": [...]}: %w", err)
		}
		if in.IDs == nil {
			return nil, fmt.Errorf("field \"ids\" is missing")
		}
		return marshalLine(struct {
			Text string `json:"text"`
		}{tok.DecodeWith(*in.IDs, o.SkipSpecial)})
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("want {\"text\": ...}: %w", err)
	}
	if in.Text == nil {
		return nil, fmt.Errorf("field \"text\" is missing")
	}
	ids, err := tok.EncodeWith(*in.Text, !o.NoSpecial)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int32{}
	}
	return marshalLine(struct {
		IDs []int32 `json:"ids"`
	}{ids})
}

// marshalLine is json.Marshal without HTML escaping, so "<|im_end|>"
// stays readable.
func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
