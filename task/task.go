// Package task defines what autodidact trains on: a Task yields problems
// (prompt, reference answer, difficulty) from a seed, with train and test
// splits that can never share a problem, writes reference step-by-step
// solutions (text for pretraining and SFT) or noisy ones whose error rate
// and kinds are set on purpose, and grades a completion into a reward.
package task

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/autodidact-rl/autodidact/verify"
)

// Split selects train or test problems.
type Split int

// The two splits.
const (
	Train Split = iota
	Test
)

func (s Split) String() string { return [...]string{"train", "test"}[s] }

// Problem is one problem of a task.
type Problem struct {
	Task       string         `json:"task"`
	Question   string         `json:"question"` // the problem text, before the template
	Prompt     string         `json:"prompt"`   // what the model sees
	Answer     string         `json:"answer"`   // reference final answer
	Difficulty int            `json:"difficulty"`
	Meta       map[string]any `json:"meta,omitempty"`
}

// Template renders questions into prompts and says how a completion marks
// its final answer.
type Template struct {
	Prompt       string `json:"prompt" yaml:"prompt"`               // "{question}" is replaced
	AnswerPrefix string `json:"answer_prefix" yaml:"answer_prefix"` // the final line starts with it
}

// DefaultTemplate: the question, a newline; completions end "#### answer".
var DefaultTemplate = Template{Prompt: "{question}\n", AnswerPrefix: "#### "}

// Render applies the template to a question.
func (t Template) Render(q string) string { return strings.ReplaceAll(t.Prompt, "{question}", q) }

// Reward is the grade of a completion.
type Reward struct {
	Reward   float64 `json:"reward"`
	Correct  bool    `json:"correct"`
	FormatOK bool    `json:"format_ok"` // the answer line is present
	Pred     string  `json:"pred"`      // extracted answer
}

// Noise configures a noisy solver: with probability Rate a solution gets
// one error, of a kind drawn from Kinds:
//
//	arith  - one intermediate computation is off, and the error propagates
//	final  - the steps are right but the final answer is changed
//	skip   - one intermediate line is dropped
//	format - the final answer line is missing
type Noise struct {
	Rate  float64  `json:"rate" yaml:"rate"`
	Kinds []string `json:"kinds" yaml:"kinds"`
}

// NoiseKinds lists the kinds of errors a noisy solver makes.
var NoiseKinds = []string{"arith", "final", "skip", "format"}

// Validate reports an unknown kind or a rate outside [0, 1].
func (n Noise) Validate() error {
	if n.Rate < 0 || n.Rate > 1 {
		return fmt.Errorf("noise rate %v must be in [0, 1]", n.Rate)
	}
	for _, k := range n.Kinds {
		found := false
		for _, known := range NoiseKinds {
			found = found || k == known
		}
		if !found {
			return fmt.Errorf("noise kind %q: want one of %v", k, NoiseKinds)
		}
	}
	return nil
}

// pick draws whether to make an error and of which kind ("" for none).
func (n Noise) pick(r *rand.Rand) string {
	if n.Rate <= 0 || r.Float64() >= n.Rate {
		return ""
	}
	kinds := n.Kinds
	if len(kinds) == 0 {
		kinds = NoiseKinds
	}
	return kinds[r.IntN(len(kinds))]
}

// Task is a source of problems with a reference solver and a grader.
type Task interface {
	Name() string
	Description() string
	// Draw makes one problem from r (the split is applied by Generate).
	Draw(r *rand.Rand) Problem
	// Steps returns the solution steps and the final answer; with err set
	// to "arith" one step is computed wrongly and the error propagates.
	Steps(p Problem, r *rand.Rand, err string) (steps []string, answer string)
	// Grade scores a completion of p's prompt.
	Grade(p Problem, completion string) Reward
}

// testBuckets: a problem belongs to the test split when the hash of its
// question is 0 modulo testBuckets, so the splits are disjoint by
// construction, whatever the seed.
const testBuckets = 8

// InSplit reports which split a question belongs to.
func InSplit(question string) Split {
	h := fnv.New64a()
	h.Write([]byte(question))
	if h.Sum64()%testBuckets == 0 {
		return Test
	}
	return Train
}

// Generate draws n problems of split s from seed, rendering prompts with
// tmpl. Problems of the other split are skipped; the result is fixed by
// (task, split, seed, n). If the task cannot produce enough problems of the
// split (a tiny problem space) it returns an error.
func Generate(t Task, s Split, seed uint64, n int, tmpl Template) ([]Problem, error) {
	r := rand.New(rand.NewPCG(seed, uint64(s)+0x7461736b))
	out := make([]Problem, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 100*n+1000 {
			return out, fmt.Errorf("task %s: only %d of %d %s problems after %d draws", t.Name(), len(out), n, s, tries)
		}
		p := t.Draw(r)
		if InSplit(p.Question) != s {
			continue
		}
		p.Task = t.Name()
		p.Prompt = tmpl.Render(p.Question)
		out = append(out, p)
	}
	return out, nil
}

// Solve writes a solution of p: steps, then the answer line. With noise,
// errors of the configured kinds appear at the configured rate.
func Solve(t Task, p Problem, tmpl Template, noise Noise, r *rand.Rand) string {
	kind := noise.pick(r)
	steps, answer := t.Steps(p, r, kind)
	switch kind {
	case "final":
		answer = perturbAnswer(answer, r)
	case "skip":
		if len(steps) > 1 {
			i := r.IntN(len(steps))
			steps = append(steps[:i:i], steps[i+1:]...)
		}
	}
	lines := append([]string(nil), steps...)
	if kind != "format" {
		lines = append(lines, tmpl.AnswerPrefix+answer)
	}
	return strings.Join(lines, "\n")
}

// perturbAnswer changes an answer: integers move by a small nonzero amount,
// anything else has two characters swapped or one dropped.
func perturbAnswer(a string, r *rand.Rand) string {
	var v int
	if _, err := fmt.Sscan(a, &v); err == nil && fmt.Sprint(v) == a {
		d := 1 + r.IntN(3)
		if r.IntN(2) == 0 {
			d = -d
		}
		return fmt.Sprint(v + d)
	}
	b := []rune(a)
	if len(b) >= 2 {
		i := r.IntN(len(b) - 1)
		if b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
		return string(append(b[:i:i], b[i+1:]...))
	}
	return a + "0"
}

// gradeAnswer is the default grader of procedural tasks: the completion
// must have the answer line (the template's prefix), and the answer after
// it must be equivalent to the reference. A completion without the line
// gets no credit (FormatOK false), even if the right number appears
// elsewhere. Reward is 1 when correct, else 0.
func gradeAnswer(p Problem, completion string, prefix string) Reward {
	rw := Reward{}
	marker := strings.TrimSpace(prefix)
	if marker == "" || !strings.Contains(completion, marker) {
		return rw
	}
	rw.FormatOK = true
	rest := completion[strings.LastIndex(completion, marker)+len(marker):]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	rw.Pred = strings.TrimSpace(rest)
	if rw.Pred != "" && (rw.Pred == p.Answer || verify.Equivalent(rw.Pred, p.Answer)) {
		rw.Correct, rw.Reward = true, 1
	}
	return rw
}

// Factory builds a task from its parameters (JSON-compatible values).
type Factory func(params map[string]any) (Task, error)

var registry = map[string]Factory{}

func register(name string, f Factory) { registry[name] = f }

// Register adds a task built outside this package (e.g. package dataset's
// "dataset"), so recipes can name it; description says what it is and
// which parameters it needs, for listings when it cannot be built without
// them. Registering a name twice panics. Call it from an init function.
func Register(name, description string, f Factory) {
	if _, dup := registry[name]; dup {
		panic("task: Register called twice for " + name)
	}
	register(name, f)
	descriptions[name] = description
}

var descriptions = map[string]string{}

// Describe is the registered description of a task that needs parameters
// to be built, or "" for the tasks that describe themselves (Description).
func Describe(name string) string { return descriptions[name] }

// Names lists the registered tasks in order.
func Names() []string {
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the task called name; unknown names and unknown or
// ill-typed parameters are errors that name them.
func New(name string, params map[string]any) (Task, error) {
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown task %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return f(params)
}

// decodeParams fills cfg (a pointer to a struct with json tags and
// defaults) from params, rejecting unknown keys.
func decodeParams(task string, params map[string]any, cfg any) error {
	if len(params) == 0 {
		return nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("task %s: %w", task, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("task %s parameters: %w", task, err)
	}
	return nil
}
