// Package dataset loads problems from files (JSON lines or Parquet) with a
// field mapping, with built-in presets for GSM8K ("#### 42" answers) and
// MATH (\boxed{} solutions, fields problem/solution/answer). A Dataset is a
// task.Task: it draws its rows, writes their reference solutions and
// grades completions with the verifier.
package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/verify"
)

// Mapping names the fields of a row.
type Mapping struct {
	Question string `json:"question" yaml:"question"`
	Answer   string `json:"answer" yaml:"answer"`     // reference answer (reduced by verify.GoldAnswer)
	Solution string `json:"solution" yaml:"solution"` // optional worked solution
}

// Options configure Load.
type Options struct {
	Name    string
	Format  verify.Format
	Fields  Mapping
	SkipBad bool // skip malformed rows and count them instead of failing
}

// Presets for the built-in formats.
var (
	GSM8K = Options{Name: "gsm8k", Format: verify.GSM8K, Fields: Mapping{Question: "question", Answer: "answer", Solution: "answer"}}
	MATH  = Options{Name: "math", Format: verify.MATH, Fields: Mapping{Question: "problem", Answer: "answer", Solution: "solution"}}
)

// Preset returns the options of a built-in format by name.
func Preset(name string) (Options, bool) {
	switch strings.ToLower(name) {
	case "gsm8k":
		return GSM8K, true
	case "math", "math500":
		return MATH, true
	}
	return Options{}, false
}

// Dataset is a list of problems read from a file.
type Dataset struct {
	Opts      Options
	Path      string
	Problems  []task.Problem
	Solutions []string // worked solutions, "" where the file has none
	Bad       int      // rows skipped as malformed (with SkipBad)
}

// Load reads a .jsonl (or .json lines) or .parquet file.
func Load(path string, opts Options) (*Dataset, error) {
	if opts.Fields.Question == "" || opts.Fields.Answer == "" {
		return nil, fmt.Errorf("dataset %s: the field mapping needs question and answer", path)
	}
	if opts.Name == "" {
		opts.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	d := &Dataset{Opts: opts, Path: path}
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet":
		err = d.readParquet(path)
	default:
		err = d.readJSONL(path)
	}
	if err != nil {
		return nil, err
	}
	if len(d.Problems) == 0 {
		return nil, fmt.Errorf("dataset %s: no problems (%d malformed rows skipped)", path, d.Bad)
	}
	return d, nil
}

// add turns one row into a problem, or explains what is wrong with it.
func (d *Dataset) add(row map[string]any) error {
	f := d.Opts.Fields
	q, err := stringField(row, f.Question)
	if err != nil {
		return err
	}
	a, err := stringField(row, f.Answer)
	if err != nil {
		return err
	}
	sol := ""
	if f.Solution != "" {
		if s, err := stringField(row, f.Solution); err == nil {
			sol = s
		}
	}
	gold := verify.GoldAnswer(a)
	if gold == "" {
		return fmt.Errorf("field %q has no final answer", f.Answer)
	}
	p := task.Problem{Task: d.Opts.Name, Question: q, Answer: gold, Meta: map[string]any{"row": len(d.Problems) + d.Bad}}
	if lv, ok := row["level"]; ok {
		if v, ok := lv.(float64); ok {
			p.Difficulty = int(v)
		}
	}
	d.Problems = append(d.Problems, p)
	d.Solutions = append(d.Solutions, sol)
	return nil
}

func stringField(row map[string]any, name string) (string, error) {
	v, ok := row[name]
	if !ok {
		return "", fmt.Errorf("missing field %q", name)
	}
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", fmt.Errorf("field %q is empty", name)
		}
		return x, nil
	case float64, int64, int32, int:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("field %q is a %T, want a string", name, v)
}

// maxLine bounds one JSON line (16 MiB).
const maxLine = 16 << 20

func (d *Dataset) readJSONL(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for line := 1; ; line++ {
		b, err := readLine(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if strings.TrimSpace(string(b)) == "" {
			continue
		}
		var row map[string]any
		rowErr := json.Unmarshal(b, &row)
		if rowErr == nil {
			rowErr = d.add(row)
		}
		if rowErr != nil {
			if !d.Opts.SkipBad {
				return fmt.Errorf("%s:%d: %v (use skip_bad to skip and count malformed lines)", path, line, rowErr)
			}
			d.Bad++
		}
	}
}

// readLine reads one line of any length up to maxLine.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return buf, nil
			}
			return nil, err
		}
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if !isPrefix {
			return buf, nil
		}
	}
}

// Task interface: a Dataset draws its own rows.

// Name is the dataset's name.
func (d *Dataset) Name() string { return d.Opts.Name }

// Description says where the problems come from.
func (d *Dataset) Description() string {
	return fmt.Sprintf("%d problems from %s (%s format)", len(d.Problems), d.Path, d.Opts.Format)
}

// Draw returns a uniformly drawn row.
func (d *Dataset) Draw(r *rand.Rand) task.Problem {
	i := r.IntN(len(d.Problems))
	p := d.Problems[i]
	p.Meta = map[string]any{"index": i}
	return p
}

// Steps returns the row's worked solution as lines (without its final
// "#### x" line) and the reference answer. Datasets have no noisy solver
// of their own: err other than "" only affects the answer through
// task.Solve's generic kinds.
func (d *Dataset) Steps(p task.Problem, r *rand.Rand, err string) ([]string, string) {
	i, _ := p.Meta["index"].(int)
	if f, ok := p.Meta["index"].(float64); ok {
		i = int(f)
	}
	if i < 0 || i >= len(d.Solutions) || d.Solutions[i] == "" {
		return nil, p.Answer
	}
	var lines []string
	for _, l := range strings.Split(d.Solutions[i], "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "####") {
			lines = append(lines, l)
		}
	}
	return lines, p.Answer
}

// Grade extracts the answer in the dataset's format and checks it with
// the verifier.
func (d *Dataset) Grade(p task.Problem, completion string) task.Reward {
	g := verify.Grade(completion, p.Answer, d.Opts.Format)
	rw := task.Reward{Pred: g.Pred, FormatOK: g.HasPred && g.Rule != "last-number", Correct: g.Correct}
	if g.Correct {
		rw.Reward = 1
	}
	return rw
}
