package task

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("countdown", func(p map[string]any) (Task, error) {
		t := &Countdown{Numbers: 4, MaxNumber: 25, MaxTarget: 200, Trace: "direct", DeadEnds: 0.5, MaxDeadEnds: 2}
		if err := decodeParams("countdown", p, t); err != nil {
			return nil, err
		}
		if t.Numbers < 2 || t.Numbers > 6 || t.MaxNumber < 2 || t.MaxTarget < 1 {
			return nil, fmt.Errorf("task countdown: need 2 <= numbers <= 6, max_number >= 2, max_target >= 1")
		}
		if t.Trace != "direct" && t.Trace != "process" {
			return nil, fmt.Errorf("task countdown: trace %q: want direct or process", t.Trace)
		}
		if t.DeadEnds < 0 || t.DeadEnds > 1 || t.MaxDeadEnds < 1 || t.MaxDeadEnds > 5 {
			return nil, fmt.Errorf("task countdown: need 0 <= dead_ends <= 1 and 1 <= max_dead_ends <= 5")
		}
		return t, nil
	})
}

// Countdown asks for an expression that reaches a target from given
// numbers, each used at most once, with + - * /. The reference solver
// searches combinations of pairs; the grader parses the expression safely
// and evaluates it in exact rationals.
//
// Trace "process" writes the reference solutions as a search (RLSP's
// demonstrations, card C7): with probability DeadEnds the solution starts
// with 1..MaxDeadEnds abandoned branches of one or two combination lines
// each, the first line of each later branch marked "|" (backtrack), and
// every process solution checks its result on a "?" line before the
// answer:
//
//	3+5=8
//	8*7=56
//	|5*3=15
//	15+7=22
//	?22=22
//	#### 5*3+7
type Countdown struct {
	Numbers     int     `json:"numbers"`
	MaxNumber   int     `json:"max_number"`
	MaxTarget   int     `json:"max_target"`
	Trace       string  `json:"trace"`         // direct (default) or process
	DeadEnds    float64 `json:"dead_ends"`     // process: share of solutions with dead ends (0.5)
	MaxDeadEnds int     `json:"max_dead_ends"` // process: most dead ends in one solution (2)
}

// Search-trace markers of Countdown's process traces.
const (
	BacktrackMarker = "|" // starts the first line of a new branch
	VerifyMarker    = "?" // starts a line that checks the result against the target
)

func (*Countdown) Name() string { return "countdown" }
func (*Countdown) Description() string {
	return "reach a target from given numbers with + - * / (numbers, max_number, max_target)"
}

// Draw picks numbers and a reachable target (built from a random
// combination so at least one solution exists).
func (t *Countdown) Draw(r *rand.Rand) Problem {
	for {
		nums := make([]int, t.Numbers)
		for i := range nums {
			nums[i] = 1 + r.IntN(t.MaxNumber)
		}
		items := make([]cdItem, len(nums))
		for i, n := range nums {
			items[i] = cdItem{v: big.NewRat(int64(n), 1), expr: strconv.Itoa(n)}
		}
		for len(items) > 1 && (len(items) == len(nums) || r.IntN(3) > 0) {
			i, j := r.IntN(len(items)), r.IntN(len(items)-1)
			if j >= i {
				j++
			}
			c, ok := combine(items[i], items[j], "+-*/"[r.IntN(4)])
			if !ok {
				break
			}
			items = removeTwo(items, i, j)
			items = append(items, c)
		}
		target := items[len(items)-1].v
		if !target.IsInt() || target.Sign() <= 0 || target.Num().Int64() > int64(t.MaxTarget) {
			continue
		}
		strs := make([]string, len(nums))
		trivial := false
		for i, n := range nums {
			strs[i] = strconv.Itoa(n)
			trivial = trivial || target.Cmp(big.NewRat(int64(n), 1)) == 0
		}
		if trivial { // the target must need at least one operation
			continue
		}
		tg := target.Num().String()
		return Problem{Question: fmt.Sprintf("use %s to make %s", strings.Join(strs, " "), tg), Answer: tg,
			Difficulty: t.Numbers, Meta: map[string]any{"numbers": nums, "target": tg}}
	}
}

type cdItem struct {
	v    *big.Rat
	expr string
}

// combine applies op to two items; division by zero and non-positive
// results are refused.
func combine(a, b cdItem, op byte) (cdItem, bool) {
	v := new(big.Rat)
	switch op {
	case '+':
		v.Add(a.v, b.v)
	case '-':
		v.Sub(a.v, b.v)
	case '*':
		v.Mul(a.v, b.v)
	case '/':
		if b.v.Sign() == 0 {
			return cdItem{}, false
		}
		v.Quo(a.v, b.v)
	}
	if v.Sign() <= 0 {
		return cdItem{}, false
	}
	return cdItem{v: v, expr: "(" + a.expr + string(op) + b.expr + ")"}, true
}

func removeTwo(items []cdItem, i, j int) []cdItem {
	out := make([]cdItem, 0, len(items))
	for k, it := range items {
		if k != i && k != j {
			out = append(out, it)
		}
	}
	return out
}

func (t *Countdown) problemNumbers(p Problem) ([]int, *big.Rat) {
	var nums []int
	rest := strings.TrimPrefix(p.Question, "use ")
	list, tg, _ := strings.Cut(rest, " to make ")
	for _, f := range strings.Fields(list) {
		n, _ := strconv.Atoi(f)
		nums = append(nums, n)
	}
	target, _ := new(big.Rat).SetString(tg)
	return nums, target
}

// Steps writes one line per combination ("25-5=20") and the expression.
func (t *Countdown) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	nums, target := t.problemNumbers(p)
	items := make([]cdItem, len(nums))
	for i, n := range nums {
		items[i] = cdItem{v: big.NewRat(int64(n), 1), expr: strconv.Itoa(n)}
	}
	// Iterative deepening: the first solution found uses the fewest steps.
	var steps []string
	found := false
	for limit := 0; limit < len(items) && !found; limit++ {
		steps = steps[:0]
		found = cdSearch(items, target, &steps, limit)
	}
	if !found {
		return []string{"no solution"}, "0"
	}
	expr := steps[len(steps)-1]
	steps = steps[:len(steps)-1]
	if t.Trace == "process" {
		steps = t.processTrace(items, target, steps, r, err == "")
	}
	if err == "arith" {
		// Change one operator of the final expression so that it misses the
		// target: a wrong solution (starting at a random operator).
		b := []byte(expr)
		var ops []int
		for i, c := range b {
			if strings.IndexByte("+-*/", c) >= 0 {
				ops = append(ops, i)
			}
		}
		start, changed := 0, false
		if len(ops) > 0 {
			start = r.IntN(len(ops))
		}
	search:
		for k := range ops {
			i := ops[(start+k)%len(ops)]
			orig := b[i]
			for _, alt := range []byte("+-*/") {
				if alt == orig {
					continue
				}
				b[i] = alt
				if v, _, e := evalCountdown(string(b)); e == nil && v.Cmp(target) != 0 {
					expr, changed = string(b), true
					break search
				}
			}
			b[i] = orig
		}
		if !changed { // no operator to change (the target is a given number)
			expr = perturbAnswer(strings.Trim(expr, "()"), r)
		}
	}
	return steps, strings.TrimSuffix(strings.TrimPrefix(expr, "("), ")")
}

// processTrace writes a solution's steps as a search: dead ends first
// (with probability DeadEnds), the solution's first step marked as a
// backtrack after them, and a verification line when verify is set (a
// solution whose arithmetic is wrong on purpose does not verify).
func (t *Countdown) processTrace(items []cdItem, target *big.Rat, steps []string, r *rand.Rand, verify bool) []string {
	var out []string
	if r.Float64() < t.DeadEnds && len(items) >= 2 {
		n := 1 + r.IntN(t.MaxDeadEnds)
		for k := 0; k < n; k++ {
			branch := cdDeadEnd(items, target, steps, r)
			if len(branch) == 0 {
				continue
			}
			if len(out) > 0 {
				branch[0] = BacktrackMarker + branch[0]
			}
			out = append(out, branch...)
		}
	}
	for i, s := range steps {
		if i == 0 && len(out) > 0 {
			s = BacktrackMarker + s
		}
		out = append(out, s)
	}
	if verify {
		tg := target.RatString()
		out = append(out, VerifyMarker+tg+"="+tg)
	}
	return out
}

// cdDeadEnd draws a branch of one or two combinations that does not reach
// the target and is not the start of the solution's own steps; nil when
// ten draws found none.
func cdDeadEnd(items []cdItem, target *big.Rat, solution []string, r *rand.Rand) []string {
	for try := 0; try < 10; try++ {
		cur := append([]cdItem(nil), items...)
		var lines []string
		depth := 1 + r.IntN(2)
		ok := true
		for d := 0; d < depth && len(cur) >= 2; d++ {
			i, j := r.IntN(len(cur)), r.IntN(len(cur)-1)
			if j >= i {
				j++
			}
			op := "+-*/"[r.IntN(4)]
			c, good := combine(cur[i], cur[j], op)
			if !good || !c.v.IsInt() || c.v.Cmp(target) == 0 {
				ok = false
				break
			}
			lines = append(lines, fmt.Sprintf("%s%c%s=%s", cur[i].v.RatString(), op, cur[j].v.RatString(), c.v.RatString()))
			cur = append(removeTwo(cur, i, j), c)
		}
		if ok && len(lines) > 0 && (len(solution) == 0 || lines[0] != solution[0]) {
			return lines
		}
	}
	return nil
}

// cdSearch finds a combination reaching target in at most left more
// steps; on success steps holds the step lines followed by the final
// expression.
func cdSearch(items []cdItem, target *big.Rat, steps *[]string, left int) bool {
	for _, it := range items {
		if it.v.Cmp(target) == 0 {
			*steps = append(*steps, it.expr)
			return true
		}
	}
	if len(items) < 2 || left == 0 {
		return false
	}
	for i := range items {
		for j := range items {
			if i == j {
				continue
			}
			for _, op := range []byte("+-*/") {
				if (op == '+' || op == '*') && j < i {
					continue // commutative: one order is enough
				}
				c, ok := combine(items[i], items[j], op)
				if !ok {
					continue
				}
				line := fmt.Sprintf("%s%c%s=%s", items[i].v.RatString(), op, items[j].v.RatString(), c.v.RatString())
				*steps = append(*steps, line)
				if cdSearch(append(removeTwo(items, i, j), c), target, steps, left-1) {
					return true
				}
				*steps = (*steps)[:len(*steps)-1]
			}
		}
	}
	return false
}

// Grade accepts an expression that evaluates exactly to the target and
// uses each given number at most as often as it was given.
func (t *Countdown) Grade(p Problem, completion string) Reward {
	rw := gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
	rw.Correct, rw.Reward = false, 0
	nums, target := t.problemNumbers(p)
	v, used, err := evalCountdown(rw.Pred)
	if err != nil {
		return rw
	}
	avail := map[int]int{}
	for _, n := range nums {
		avail[n]++
	}
	for _, n := range used {
		avail[n]--
		if avail[n] < 0 {
			return rw
		}
	}
	if v.Cmp(target) == 0 {
		rw.Correct, rw.Reward = true, 1
	}
	return rw
}

// evalCountdown evaluates an expression of non-negative integers, + - * /
// and parentheses in exact rationals, returning the numbers it used. Input
// is capped at 200 bytes and 50 nesting levels.
func evalCountdown(s string) (*big.Rat, []int, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "×", "*")
	if len(s) == 0 || len(s) > 200 {
		return nil, nil, fmt.Errorf("expression length %d out of range", len(s))
	}
	e := &cdParser{s: s}
	v, err := e.sum(0)
	if err != nil {
		return nil, nil, err
	}
	if e.i != len(s) {
		return nil, nil, fmt.Errorf("unexpected %q at %d", s[e.i], e.i)
	}
	return v, e.used, nil
}

type cdParser struct {
	s    string
	i    int
	used []int
}

func (e *cdParser) sum(depth int) (*big.Rat, error) {
	v, err := e.product(depth)
	for err == nil && e.i < len(e.s) && (e.s[e.i] == '+' || e.s[e.i] == '-') {
		op := e.s[e.i]
		e.i++
		var w *big.Rat
		if w, err = e.product(depth); err == nil {
			if op == '+' {
				v.Add(v, w)
			} else {
				v.Sub(v, w)
			}
		}
	}
	return v, err
}

func (e *cdParser) product(depth int) (*big.Rat, error) {
	v, err := e.factor(depth)
	for err == nil && e.i < len(e.s) && (e.s[e.i] == '*' || e.s[e.i] == '/') {
		op := e.s[e.i]
		e.i++
		var w *big.Rat
		if w, err = e.factor(depth); err == nil {
			if op == '*' {
				v.Mul(v, w)
			} else if w.Sign() == 0 {
				err = fmt.Errorf("division by zero")
			} else {
				v.Quo(v, w)
			}
		}
	}
	return v, err
}

func (e *cdParser) factor(depth int) (*big.Rat, error) {
	if depth > 50 {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	if e.i < len(e.s) && e.s[e.i] == '(' {
		e.i++
		v, err := e.sum(depth + 1)
		if err != nil {
			return nil, err
		}
		if e.i >= len(e.s) || e.s[e.i] != ')' {
			return nil, fmt.Errorf("missing ) at %d", e.i)
		}
		e.i++
		return v, nil
	}
	start := e.i
	for e.i < len(e.s) && e.s[e.i] >= '0' && e.s[e.i] <= '9' && e.i-start < 9 {
		e.i++
	}
	if start == e.i {
		return nil, fmt.Errorf("expected a number at %d", start)
	}
	n, _ := strconv.Atoi(e.s[start:e.i])
	e.used = append(e.used, n)
	return big.NewRat(int64(n), 1), nil
}
