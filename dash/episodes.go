package dash

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/autodidact-rl/autodidact/tokenizer"
)

// Segment is one part of an episode: text from one role, with per-token
// log-probs, advantages and entropies when the policy produced it.
type Segment struct {
	Role       string    `json:"role"`
	Source     string    `json:"source,omitempty"` // tool name, judge name, ...
	Trainable  bool      `json:"trainable"`
	Text       string    `json:"text"`
	IDs        []int32   `json:"ids,omitempty"`
	Logprobs   []float64 `json:"logprobs,omitempty"`
	Advantages []float64 `json:"advantages,omitempty"`
	Entropies  []float64 `json:"entropies,omitempty"`
	Tokens     []string  `json:"tokens,omitempty"` // per-token text from the run's tokenizer; absent: show Text whole
}

// Verdict is one judge's or verifier's decision on an episode.
type Verdict struct {
	Judge  string   `json:"judge"`
	Reward *float64 `json:"reward,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

// Episode is one line of samples.jsonl in the episode format; lines in the
// older {gstep, prompt, completion, reward, correct, advantage} format are
// converted to a prompt and a policy segment.
type Episode struct {
	Line      int       `json:"line"` // 0-based line number in samples.jsonl
	GStep     int       `json:"gstep"`
	Step      int       `json:"step"`
	Episode   int       `json:"episode"`
	Group     int       `json:"group"`
	Env       string    `json:"env,omitempty"`
	Reward    float64   `json:"reward"`
	Correct   *bool     `json:"correct,omitempty"`
	Advantage *float64  `json:"advantage,omitempty"`
	Segments  []Segment `json:"segments"`
	Verdicts  []Verdict `json:"verdicts,omitempty"`

	// old format
	Prompt     *string `json:"prompt,omitempty"`
	Completion *string `json:"completion,omitempty"`
}

// Episodes is a page of samples.jsonl (GET /api/samples).
type Episodes struct {
	Total    int       `json:"total"` // lines in the file
	Offset   int       `json:"offset"`
	Episodes []Episode `json:"episodes"`
	Errors   []string  `json:"errors,omitempty"` // lines that could not be read, by number
}

// maxLine bounds one samples.jsonl line (a long episode with per-token
// arrays); longer lines are reported, not loaded.
const maxLine = 16 << 20

// readEpisodes returns lines [offset, offset+limit) of a samples file; a
// negative offset counts from the end (-limit: the last page). tok, when
// not nil, splits segments with ids into per-token text.
func readEpisodes(path string, offset, limit int, tok tokenizer.Tokenizer) (*Episodes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	total, err := countLines(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if offset < 0 {
		offset = max(total+offset, 0)
	}
	out := &Episodes{Total: total, Offset: offset, Episodes: []Episode{}}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	for i := 0; i < offset+limit; i++ {
		line, err := br.ReadSlice('\n')
		long := err == bufio.ErrBufferFull
		for err == bufio.ErrBufferFull { // skip or gather an over-long line
			var more []byte
			more, err = br.ReadSlice('\n')
			if len(line) < maxLine {
				line = append(append([]byte(nil), line...), more...)
			}
		}
		if len(line) == 0 && err != nil {
			break
		}
		if i < offset {
			continue
		}
		if long && len(line) >= maxLine {
			out.Errors = append(out.Errors, fmt.Sprintf("%s:%d: line longer than %d bytes", path, i+1, maxLine))
			continue
		}
		ep, perr := parseEpisode(line, tok)
		if perr != nil {
			out.Errors = append(out.Errors, fmt.Sprintf("%s:%d: %v", path, i+1, perr))
			continue
		}
		ep.Line = i
		out.Episodes = append(out.Episodes, *ep)
		if err != nil {
			break
		}
	}
	return out, nil
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 1<<20)
	n, last := 0, byte('\n')
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if k > 0 {
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// parseEpisode decodes one line in either format and checks that per-token
// arrays have one entry per id.
func parseEpisode(line []byte, tok tokenizer.Tokenizer) (*Episode, error) {
	ep := &Episode{}
	if err := json.Unmarshal(line, ep); err != nil {
		return nil, err
	}
	if len(ep.Segments) == 0 && (ep.Prompt != nil || ep.Completion != nil) {
		if ep.Prompt != nil {
			ep.Segments = append(ep.Segments, Segment{Role: "prompt", Text: *ep.Prompt})
		}
		if ep.Completion != nil {
			ep.Segments = append(ep.Segments, Segment{Role: "policy", Trainable: true, Text: *ep.Completion})
		}
	}
	ep.Prompt, ep.Completion = nil, nil
	for i := range ep.Segments {
		s := &ep.Segments[i]
		for name, a := range map[string]int{"logprobs": len(s.Logprobs), "advantages": len(s.Advantages), "entropies": len(s.Entropies)} {
			if a != 0 && a != len(s.IDs) {
				return nil, fmt.Errorf("segment %d (%s): %d %s for %d ids", i, s.Role, a, name, len(s.IDs))
			}
		}
		if tok != nil && len(s.IDs) > 0 {
			s.Tokens = make([]string, len(s.IDs))
			for j, id := range s.IDs {
				s.Tokens[j] = tok.Decode([]int32{id})
			}
		}
	}
	return ep, nil
}
