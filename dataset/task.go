package dataset

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/verify"
)

// TaskParams are the parameters of the task "dataset": a file of
// problems as a recipe's task (task: {name: dataset, params: {path:
// gsm8k.jsonl, preset: gsm8k}}). The test split is the task package's
// (a hash of each question), so train and test problems never mix.
type TaskParams struct {
	Path     string `json:"path"`     // a .jsonl or .parquet file
	Preset   string `json:"preset"`   // gsm8k or math: the field mapping and answer format
	Question string `json:"question"` // field names overriding the preset's
	Answer   string `json:"answer"`
	Solution string `json:"solution"`
	Format   string `json:"format"`   // answer format overriding the preset's: auto, gsm8k, math
	SkipBad  bool   `json:"skip_bad"` // skip malformed rows (counted) instead of failing
}

func init() {
	task.Register("dataset", "problems from a JSONL or Parquet file (path, preset gsm8k|math, question, answer, solution, format, skip_bad)", func(params map[string]any) (task.Task, error) {
		var p TaskParams
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("task dataset: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("task dataset parameters: %w (known: path, preset, question, answer, solution, format, skip_bad)", err)
		}
		d, err := NewTask(p)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return d, nil
	})
}

// NewTask loads the file named by p as a task.
func NewTask(p TaskParams) (*Dataset, error) {
	if p.Path == "" {
		return nil, fmt.Errorf("task dataset: params.path names no file")
	}
	opts := Options{Format: verify.Auto, Fields: Mapping{Question: "question", Answer: "answer"}}
	if p.Preset != "" {
		pre, ok := Preset(p.Preset)
		if !ok {
			return nil, fmt.Errorf("task dataset: params.preset %q: want gsm8k or math", p.Preset)
		}
		opts = pre
	}
	if p.Question != "" {
		opts.Fields.Question = p.Question
	}
	if p.Answer != "" {
		opts.Fields.Answer = p.Answer
	}
	if p.Solution != "" {
		opts.Fields.Solution = p.Solution
	}
	if p.Format != "" {
		f, ok := verify.ParseFormat(p.Format)
		if !ok {
			return nil, fmt.Errorf("task dataset: params.format %q: want auto, gsm8k or math", p.Format)
		}
		opts.Format = f
	}
	opts.SkipBad = p.SkipBad
	return Load(p.Path, opts)
}
