package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("wordprob", func(p map[string]any) (Task, error) {
		t := &WordProblem{MaxNumber: 20}
		if err := decodeParams("wordprob", p, t); err != nil {
			return nil, err
		}
		if t.MaxNumber < 3 || t.MaxNumber > 10000 {
			return nil, fmt.Errorf("task wordprob: max_number must be in [3, 10000]")
		}
		return t, nil
	})
}

// WordProblem is a templated grade-school word problem (GSM8K-like):
// named people, units and two or three steps, solved in GSM8K's
// "a*b=c" step style.
type WordProblem struct {
	MaxNumber int `json:"max_number"`
}

func (*WordProblem) Name() string { return "wordprob" }
func (*WordProblem) Description() string {
	return "templated multi-step word problems with units (max_number)"
}

var (
	wpNames = []string{"Ada", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"}
	wpItems = []string{"apples", "pencils", "stickers", "marbles", "cookies", "books"}
)

// wpStep is one operation of a solution.
type wpStep struct {
	a, b int64
	op   byte
}

func (s wpStep) eval() int64 {
	switch s.op {
	case '+':
		return s.a + s.b
	case '-':
		return s.a - s.b
	case '*':
		return s.a * s.b
	}
	return s.a / s.b
}

// Draw fills one of four templates; Meta["steps"] records the operations
// with -1 standing for the previous result and -2 for the one before.
func (t *WordProblem) Draw(r *rand.Rand) Problem {
	n := func(lo int) int64 { return int64(lo + r.IntN(t.MaxNumber-lo+1)) }
	name := wpNames[r.IntN(len(wpNames))]
	item := wpItems[r.IntN(len(wpItems))]
	var q string
	var ops [][3]int64 // a, b, op; -1 = previous result, -2 = result before it
	unit := ""
	switch r.IntN(4) {
	case 0:
		a, b := n(2), n(2)
		c := 1 + r.Int64N(a*b)
		q = fmt.Sprintf("%s has %d boxes with %d %s in each box. %s gives away %d %s. How many %s does %s have left?", name, a, b, item, name, c, item, item, name)
		ops = [][3]int64{{a, b, '*'}, {-1, c, '-'}}
	case 1:
		a, p := n(2), n(1)
		bill := (a*p/10 + 1 + r.Int64N(3)) * 10
		q = fmt.Sprintf("%s buys %d %s at $%d each and pays with a $%d bill. How many dollars of change does %s get?", name, a, item, p, bill, name)
		ops = [][3]int64{{a, p, '*'}, {bill, -1, '-'}}
		unit = "dollars"
	case 2:
		s1, h1, s2, h2 := n(2), n(1), n(2), n(1)
		q = fmt.Sprintf("A train travels at %d km per hour for %d hours, then at %d km per hour for %d hours. How many km does it travel in total?", s1, h1, s2, h2)
		ops = [][3]int64{{s1, h1, '*'}, {s2, h2, '*'}, {-2, -1, '+'}}
		unit = "km"
	default:
		a, d := n(2), n(2)
		total := a*d + r.Int64N(int64(t.MaxNumber)*3)
		q = fmt.Sprintf("%s reads %d pages a day for %d days. The book has %d pages. How many pages are left?", name, a, d, total)
		ops = [][3]int64{{a, d, '*'}, {total, -1, '-'}}
	}
	enc := make([]any, len(ops))
	var results []int64
	for i, o := range ops {
		enc[i] = []int64{o[0], o[1], o[2]}
		results = append(results, wpStep{resolve(o[0], results), resolve(o[1], results), byte(o[2])}.eval())
	}
	return Problem{Question: q, Answer: strconv.FormatInt(results[len(results)-1], 10), Difficulty: len(ops),
		Meta: map[string]any{"steps": enc, "unit": unit}}
}

func resolve(v int64, results []int64) int64 {
	if v == -1 {
		return results[len(results)-1]
	}
	if v == -2 {
		return results[len(results)-2]
	}
	return v
}

func (t *WordProblem) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	ops := decodeOps(p.Meta["steps"])
	bad := -1
	if err == "arith" && len(ops) > 0 {
		bad = r.IntN(len(ops))
	}
	var results []int64
	var lines []string
	for i, o := range ops {
		s := wpStep{resolve(o[0], results), resolve(o[1], results), byte(o[2])}
		v := s.eval()
		if i == bad {
			v += slip(r)
		}
		results = append(results, v)
		lines = append(lines, fmt.Sprintf("%d%c%d=%d", s.a, s.op, s.b, v))
	}
	if len(results) == 0 {
		return nil, p.Answer
	}
	ans := strconv.FormatInt(results[len(results)-1], 10)
	if u, _ := p.Meta["unit"].(string); u != "" {
		lines = append(lines, fmt.Sprintf("The answer is %s %s.", ans, u))
	}
	return lines, ans
}

// decodeOps reads Meta["steps"] whether it holds Go values or JSON-decoded
// ones (float64 slices).
func decodeOps(v any) [][3]int64 {
	var out [][3]int64
	list, _ := v.([]any)
	for _, e := range list {
		var o [3]int64
		switch x := e.(type) {
		case []int64:
			copy(o[:], x)
		case []any:
			for i := 0; i < 3 && i < len(x); i++ {
				f, _ := x[i].(float64)
				o[i] = int64(f)
			}
		}
		out = append(out, o)
	}
	return out
}

func (t *WordProblem) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, strings.TrimSpace(completion), DefaultTemplate.AnswerPrefix)
}
