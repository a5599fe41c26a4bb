package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("chain", func(p map[string]any) (Task, error) {
		t := &Chain{MinOps: 2, MaxOps: 5, StepFrac: 0.5}
		if err := decodeParams("chain", p, t); err != nil {
			return nil, err
		}
		if t.MinOps < 1 || t.MaxOps < t.MinOps || t.MaxOps > 8 {
			return nil, fmt.Errorf("task chain: need 1 <= min_ops <= max_ops <= 8")
		}
		if t.StepFrac < 0 || t.StepFrac > 1 {
			return nil, fmt.Errorf("task chain: step_frac %v must be in [0, 1]", t.StepFrac)
		}
		return t, nil
	})
}

// Chain evaluates a chain of operations left to right on numbers 0..99:
// "7+3*2-5" means ((7+3)*2)-5 = 15. The number of operations varies from
// MinOps to MaxOps, so a worked solution's length varies with the problem.
//
// Its solutions come in two styles with known proportions, for analyses of
// which style RL amplifies: with probability StepFrac the "steps" style
// writes every intermediate result ("7+3=10", "10*2=20", "20-5=15") before
// the answer line; otherwise the "direct" style writes only the answer
// line. StyleOf tells them apart in a completion.
type Chain struct {
	MinOps   int     `json:"min_ops"`
	MaxOps   int     `json:"max_ops"`
	StepFrac float64 `json:"step_frac"` // share of "steps"-style solutions
}

// Chain solution styles.
const (
	StyleSteps  = "steps"
	StyleDirect = "direct"
)

func (*Chain) Name() string { return "chain" }
func (*Chain) Description() string {
	return "left-to-right chains of + - * on 0..99, solutions with or without steps (min_ops, max_ops, step_frac)"
}

// Draw picks a start in 1..9 and operations whose every intermediate value
// stays in 0..99: multiplication by 2..9 when the product fits, else
// addition when the sum fits, else subtraction.
func (t *Chain) Draw(r *rand.Rand) Problem {
	n := t.MinOps + r.IntN(t.MaxOps-t.MinOps+1)
	v := 1 + r.IntN(9)
	var q strings.Builder
	q.WriteString(strconv.Itoa(v))
	for range n {
		d := 1 + r.IntN(9)
		op := "+-*"[r.IntN(3)]
		if op == '*' && (d == 1 || v*d > 99) {
			op = '+'
		}
		if op == '+' && v+d > 99 {
			op = '-'
		}
		if op == '-' && v-d < 0 {
			op = '+'
		}
		v = apply(v, op, d)
		fmt.Fprintf(&q, "%c%d", op, d)
	}
	return Problem{Question: q.String(), Answer: strconv.Itoa(v), Difficulty: n}
}

func apply(v int, op byte, d int) int {
	switch op {
	case '+':
		return v + d
	case '-':
		return v - d
	}
	return v * d
}

// parseChain splits "7+3*2" into 7 and the operations [+3, *2].
func parseChain(q string) (start int, ops []byte, args []int, err error) {
	i := strings.IndexAny(q, "+-*")
	if i < 0 {
		i = len(q)
	}
	if start, err = strconv.Atoi(q[:i]); err != nil {
		return 0, nil, nil, fmt.Errorf("chain %q: %w", q, err)
	}
	for i < len(q) {
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		d, err := strconv.Atoi(q[i+1 : j])
		if err != nil {
			return 0, nil, nil, fmt.Errorf("chain %q: %w", q, err)
		}
		ops, args = append(ops, q[i]), append(args, d)
		i = j
	}
	return start, ops, args, nil
}

// Steps draws the style, then computes left to right; with err "arith" one
// result is off by 1..3 and the error propagates.
func (t *Chain) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	v, ops, args, perr := parseChain(p.Question)
	if perr != nil {
		return nil, ""
	}
	style := StyleDirect
	if r.Float64() < t.StepFrac {
		style = StyleSteps
	}
	bad := -1
	if err == "arith" {
		bad = r.IntN(len(ops))
	}
	var steps []string
	for i, op := range ops {
		nv := apply(v, op, args[i])
		if i == bad {
			nv += 1 + r.IntN(3)
		}
		steps = append(steps, fmt.Sprintf("%d%c%d=%d", v, op, args[i], nv))
		v = nv
	}
	if style == StyleDirect {
		steps = nil
	}
	return steps, strconv.Itoa(v)
}

func (t *Chain) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// StyleOf classifies a completion of a chain problem: "steps" when a line
// before the answer line holds an intermediate result ("a+b=c"), else
// "direct".
func StyleOf(completion string) string {
	for _, line := range strings.Split(completion, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if strings.Contains(line, "=") {
			return StyleSteps
		}
	}
	return StyleDirect
}
