package task

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

func init() {
	register("seq", func(p map[string]any) (Task, error) {
		t := &Seq{Ops: []string{"sort", "reverse", "copy"}, MinLen: 3, MaxLen: 8}
		if err := decodeParams("seq", p, t); err != nil {
			return nil, err
		}
		if t.MinLen < 1 || t.MaxLen < t.MinLen || t.MaxLen > 64 {
			return nil, fmt.Errorf("task seq: need 1 <= min_len <= max_len <= 64")
		}
		for _, op := range t.Ops {
			if op != "sort" && op != "reverse" && op != "copy" {
				return nil, fmt.Errorf("task seq: unknown op %q (want sort, reverse, copy)", op)
			}
		}
		if len(t.Ops) == 0 {
			return nil, fmt.Errorf("task seq: ops must not be empty")
		}
		return t, nil
	})
}

// Seq sorts, reverses or copies a sequence of digits: "sort 3 1 2" →
// "1 2 3". Sorting writes the sequence once per smallest element moved
// (selection sort), so longer inputs need more steps.
type Seq struct {
	Ops    []string `json:"ops"`
	MinLen int      `json:"min_len"`
	MaxLen int      `json:"max_len"`
}

func (*Seq) Name() string { return "seq" }
func (*Seq) Description() string {
	return "sort / reverse / copy a sequence of digits (ops, min_len, max_len)"
}

func (t *Seq) Draw(r *rand.Rand) Problem {
	op := t.Ops[r.IntN(len(t.Ops))]
	n := t.MinLen + r.IntN(t.MaxLen-t.MinLen+1)
	xs := make([]string, n)
	for i := range xs {
		xs[i] = fmt.Sprint(r.IntN(10))
	}
	out := slices.Clone(xs)
	switch op {
	case "sort":
		slices.Sort(out)
	case "reverse":
		slices.Reverse(out)
	}
	return Problem{Question: op + " " + strings.Join(xs, " "), Answer: strings.Join(out, " "), Difficulty: n}
}

func (t *Seq) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	op, rest, _ := strings.Cut(p.Question, " ")
	xs := strings.Fields(rest)
	var steps []string
	switch op {
	case "sort":
		for i := 0; i < len(xs)-1; i++ {
			m := i
			for j := i + 1; j < len(xs); j++ {
				if xs[j] < xs[m] {
					m = j
				}
			}
			if m != i {
				xs[i], xs[m] = xs[m], xs[i]
				steps = append(steps, strings.Join(xs, " "))
			}
		}
	case "reverse":
		slices.Reverse(xs)
	}
	if err == "arith" && len(xs) >= 2 {
		i := r.IntN(len(xs) - 1)
		xs[i], xs[i+1] = xs[i+1], xs[i]
		if xs[i] == xs[i+1] {
			xs[i] = fmt.Sprint((int(xs[i][0]-'0') + 1) % 10)
		}
	}
	return steps, strings.Join(xs, " ")
}

func (t *Seq) Grade(p Problem, completion string) Reward {
	rw := gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
	// Sequences compare exactly, spacing aside: "1 2 3" is not the number 123.
	rw.Correct = strings.Join(strings.Fields(rw.Pred), " ") == p.Answer
	rw.Reward = 0
	if rw.Correct {
		rw.Reward = 1
	}
	return rw
}
