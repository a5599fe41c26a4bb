package task

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestChainSolverByHand(t *testing.T) {
	tk := &Chain{MinOps: 1, MaxOps: 8, StepFrac: 1}
	tests := []struct {
		q, answer string
		steps     []string
	}{
		{"7+3*2-5", "15", []string{"7+3=10", "10*2=20", "20-5=15"}},
		{"9*9-81+4", "4", []string{"9*9=81", "81-81=0", "0+4=4"}},
		{"1+1", "2", []string{"1+1=2"}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		p := Problem{Question: tc.q, Answer: tc.answer}
		steps, ans := tk.Steps(p, r, "")
		if ans != tc.answer || strings.Join(steps, ";") != strings.Join(tc.steps, ";") {
			t.Errorf("%s: steps %v answer %s, want %v %s", tc.q, steps, ans, tc.steps, tc.answer)
		}
		direct := &Chain{MinOps: 1, MaxOps: 8, StepFrac: 0}
		if steps, ans := direct.Steps(p, r, ""); len(steps) != 0 || ans != tc.answer {
			t.Errorf("%s direct style: steps %v answer %s", tc.q, steps, ans)
		}
	}
}

func TestChainProblemsStayInRange(t *testing.T) {
	tk := &Chain{MinOps: 2, MaxOps: 5, StepFrac: 0.5}
	ps, err := Generate(tk, Test, 3, 500, DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	lengths := map[int]int{}
	for _, p := range ps {
		v, ops, args, err := parseChain(p.Question)
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) != p.Difficulty || len(ops) < 2 || len(ops) > 5 {
			t.Fatalf("%s: %d ops, difficulty %d", p.Question, len(ops), p.Difficulty)
		}
		for i, op := range ops {
			if v = apply(v, op, args[i]); v < 0 || v > 99 {
				t.Fatalf("%s: intermediate %d out of 0..99", p.Question, v)
			}
		}
		lengths[len(ops)]++
	}
	if len(lengths) != 4 {
		t.Errorf("op counts %v, want all of 2..5", lengths)
	}
}

func TestChainGraderAndStyles(t *testing.T) {
	tk := &Chain{MinOps: 2, MaxOps: 5, StepFrac: 0.3}
	p := Problem{Question: "7+3*2-5", Answer: "15"}
	tests := []struct {
		completion      string
		correct, format bool
		style           string
	}{
		{"7+3=10\n10*2=20\n20-5=15\n#### 15", true, true, StyleSteps},
		{"#### 15", true, true, StyleDirect},
		{"#### 16", false, true, StyleDirect},
		{"7+3=10\n15", false, false, StyleSteps},
		{"", false, false, StyleDirect},
	}
	for _, tc := range tests {
		rw := tk.Grade(p, tc.completion)
		if rw.Correct != tc.correct || rw.FormatOK != tc.format {
			t.Errorf("%q: graded %+v", tc.completion, rw)
		}
		if got := StyleOf(tc.completion); got != tc.style {
			t.Errorf("%q: style %s, want %s", tc.completion, got, tc.style)
		}
	}
	// The pretraining mixture has the configured proportion of styles:
	// 3000 draws at 0.3 give a standard error of 0.0084.
	ps, _ := Generate(tk, Train, 1, 3000, DefaultTemplate)
	r := rand.New(rand.NewPCG(4, 4))
	steps := 0
	for _, p := range ps {
		if StyleOf(Solve(tk, p, DefaultTemplate, Noise{}, r)) == StyleSteps {
			steps++
		}
	}
	if frac := float64(steps) / float64(len(ps)); math.Abs(frac-0.3) > 0.03 {
		t.Errorf("steps-style share %.3f, want 0.3", frac)
	}
	for _, bad := range []map[string]any{{"min_ops": 0}, {"max_ops": 9}, {"step_frac": 1.5}, {"nope": 1}} {
		if _, err := New("chain", bad); err == nil {
			t.Errorf("params %v accepted", bad)
		}
	}
}
