package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("split", func(p map[string]any) (Task, error) {
		t := &SumSplit{MinN: 10, MaxN: 99, Spread: 3}
		if err := decodeParams("split", p, t); err != nil {
			return nil, err
		}
		if t.MinN < 2 || t.MaxN < t.MinN || t.MaxN > 999 || t.Spread < 0 {
			return nil, fmt.Errorf("task split: need 2 <= min_n <= max_n <= 999 and spread >= 0")
		}
		return t, nil
	})
}

// SumSplit (task "split") asks for any way of writing N as a sum of two positive integers:
// "sp:37" → "12+25" (N-1 right answers). It is the task of many right
// answers on which distribution collapse is visible (card D6): the
// reference solver picks a split uniformly at random, its "arith" slip is
// one addend off by 1 to 3, so the wrong answers lie near N.
type SumSplit struct {
	MinN int `json:"min_n"`
	MaxN int `json:"max_n"`
	// Spread bounds the sums Answers enumerates: N-Spread … N+Spread.
	Spread int `json:"spread"`
}

func (*SumSplit) Name() string { return "split" }
func (*SumSplit) Description() string {
	return "write N as a+b with positive integers, any of the N-1 ways (min_n, max_n, spread)"
}

func (t *SumSplit) Draw(r *rand.Rand) Problem {
	n := t.MinN + r.IntN(t.MaxN-t.MinN+1)
	return Problem{Question: "sp:" + strconv.Itoa(n), Answer: fmt.Sprintf("%d+%d", n/2, n-n/2), Difficulty: 1}
}

// target reads N from the question.
func (t *SumSplit) target(p Problem) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(p.Question, "sp:"))
	return n, err == nil && strings.HasPrefix(p.Question, "sp:") && n >= 2
}

func (t *SumSplit) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	n, ok := t.target(p)
	if !ok {
		return nil, p.Answer
	}
	a := 1 + r.IntN(n-1)
	b := n - a
	if err == "arith" {
		d := 1 + r.IntN(3)
		if r.IntN(2) == 0 && b > d {
			d = -d
		}
		b += d
	}
	return nil, fmt.Sprintf("%d+%d", a, b)
}

// parseSplit reads "a+b" with positive integers and no other characters.
func parseSplit(s string) (a, b int, ok bool) {
	x, y, found := strings.Cut(s, "+")
	if !found || x == "" || y == "" || len(s) > 16 {
		return 0, 0, false
	}
	for _, c := range x + y {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	if (len(x) > 1 && x[0] == '0') || (len(y) > 1 && y[0] == '0') {
		return 0, 0, false // one spelling per split: no leading zeros
	}
	a, _ = strconv.Atoi(x)
	b, _ = strconv.Atoi(y)
	return a, b, a >= 1 && b >= 1
}

func (t *SumSplit) Grade(p Problem, completion string) Reward {
	rw := gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
	n, ok := t.target(p)
	a, b, okAB := parseSplit(rw.Pred)
	rw.Correct = ok && okAB && a+b == n
	rw.Reward = 0
	if rw.Correct {
		rw.Reward = 1
	}
	return rw
}

// Answers lists the final answers "a+b" whose sum is within Spread of N:
// every right answer and the wrong ones the reference solver's slips make.
// It is the enumeration set of card D6 (everything else is one atom).
func (t *SumSplit) Answers(p Problem) []string {
	n, ok := t.target(p)
	if !ok {
		return nil
	}
	var out []string
	for s := max(2, n-t.Spread); s <= n+t.Spread; s++ {
		for a := 1; a < s; a++ {
			out = append(out, fmt.Sprintf("%d+%d", a, s-a))
		}
	}
	return out
}

// Enumerable is a task whose answers to a problem can be listed (a
// finite set that holds all right answers and the likely wrong ones), so
// a policy's distribution over them can be scored exactly.
type Enumerable interface {
	Answers(p Problem) []string
}
