package task

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func allTasks(t *testing.T) []Task {
	var ts []Task
	for _, name := range Names() {
		tk, err := New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	return ts
}

func TestReferenceSolutionsAreCorrect(t *testing.T) {
	for _, tk := range allTasks(t) {
		ps, err := Generate(tk, Train, 1, 300, DefaultTemplate)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		for _, p := range ps {
			sol := Solve(tk, p, DefaultTemplate, Noise{}, r)
			if rw := tk.Grade(p, sol); !rw.Correct || !rw.FormatOK || rw.Reward != 1 {
				t.Fatalf("%s: reference solution graded %+v\nproblem %+v\nsolution:\n%s", tk.Name(), rw, p, sol)
			}
		}
	}
}

func TestNoisySolverErrs(t *testing.T) {
	for _, tk := range allTasks(t) {
		ps, _ := Generate(tk, Train, 2, 200, DefaultTemplate)
		r := rand.New(rand.NewPCG(2, 2))
		for _, kind := range []string{"arith", "final", "format"} {
			wrong := 0
			for _, p := range ps {
				sol := Solve(tk, p, DefaultTemplate, Noise{Rate: 1, Kinds: []string{kind}}, r)
				rw := tk.Grade(p, sol)
				if !rw.Correct {
					wrong++
				}
				if kind == "format" && rw.FormatOK {
					t.Fatalf("%s: format error left the answer line in:\n%s", tk.Name(), sol)
				}
			}
			// Some arithmetic slips can cancel out (e.g. in a digit that is
			// later discarded); most must not.
			// Two swapped moves of a grid walk often still enter the
			// cells in order (RU and UR reach the same cell).
			floor := 0.8
			if tk.Name() == "gridwalk" && kind == "final" {
				floor = 0.7
			}
			if frac := float64(wrong) / float64(len(ps)); frac < floor {
				t.Errorf("%s: noise %s made only %.0f%% of solutions wrong", tk.Name(), kind, 100*frac)
			}
		}
		// Rate 0.3 gives about 30% wrong.
		wrong := 0
		for _, p := range ps {
			if !tk.Grade(p, Solve(tk, p, DefaultTemplate, Noise{Rate: 0.3, Kinds: []string{"final"}}, r)).Correct {
				wrong++
			}
		}
		if frac := float64(wrong) / float64(len(ps)); frac < 0.15 || frac > 0.45 {
			t.Errorf("%s: noise rate 0.3 gave %.0f%% wrong", tk.Name(), 100*frac)
		}
	}
}

func TestSplitsAreDisjointAndSeeded(t *testing.T) {
	for _, tk := range allTasks(t) {
		train, err1 := Generate(tk, Train, 3, 400, DefaultTemplate)
		test, err2 := Generate(tk, Test, 3, 100, DefaultTemplate)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		seen := map[string]bool{}
		for _, p := range train {
			seen[p.Question] = true
		}
		for _, p := range test {
			if seen[p.Question] {
				t.Fatalf("%s: %q is in both splits", tk.Name(), p.Question)
			}
		}
		again, _ := Generate(tk, Test, 3, 100, DefaultTemplate)
		for i := range test {
			if test[i].Question != again[i].Question {
				t.Fatalf("%s: same seed gave different problems", tk.Name())
			}
		}
		other, _ := Generate(tk, Test, 4, 100, DefaultTemplate)
		same := 0
		for i := range test {
			if test[i].Question == other[i].Question {
				same++
			}
		}
		if same == len(test) {
			t.Fatalf("%s: different seeds gave the same problems", tk.Name())
		}
	}
}

func TestProblemsSurviveJSON(t *testing.T) {
	for _, tk := range allTasks(t) {
		ps, _ := Generate(tk, Train, 5, 20, DefaultTemplate)
		for _, p := range ps {
			b, _ := json.Marshal(p)
			var q Problem
			if err := json.Unmarshal(b, &q); err != nil {
				t.Fatal(err)
			}
			sol := Solve(tk, q, DefaultTemplate, Noise{}, rand.New(rand.NewPCG(1, 1)))
			if !tk.Grade(q, sol).Correct {
				t.Fatalf("%s: solution of a JSON round-tripped problem is wrong:\n%s", tk.Name(), sol)
			}
		}
	}
}

func TestExamples(t *testing.T) {
	add, _ := New("add", nil)
	p := Problem{Question: "347+285=", Answer: "632"}
	steps, ans := add.Steps(p, nil, "")
	if strings.Join(steps, ";") != "7+5+0=12;4+8+1=13;3+2+1=6" || ans != "632" {
		t.Fatalf("add steps %v answer %s", steps, ans)
	}
	mul, _ := New("mul", nil)
	steps, ans = mul.Steps(Problem{Question: "347*85="}, nil, "")
	if strings.Join(steps, ";") != "347*5=1735;347*80=27760;1735+27760=29495" || ans != "29495" {
		t.Fatalf("mul steps %v answer %s", steps, ans)
	}
	lin, _ := New("lineq", nil)
	steps, ans = lin.Steps(Problem{Question: "3x+5=20, x=?"}, nil, "")
	if strings.Join(steps, ";") != "3x=20-5=15;x=15/3=5" || ans != "5" {
		t.Fatalf("lineq steps %v answer %s", steps, ans)
	}
	cd, _ := New("countdown", nil)
	cp := Problem{Question: "use 3 7 25 50 to make 75"}
	for _, tc := range []struct {
		completion string
		want       bool
	}{
		{"#### 50+25", true},
		{"#### (7-3)*25-25", false}, // 25 used twice
		{"#### 3*25", true},
		{"#### 75", false}, // 75 is not a given number
		{"#### 50/0+25", false},
		{"#### ((((3", false},
	} {
		if got := cd.Grade(cp, tc.completion).Correct; got != tc.want {
			t.Errorf("countdown %q: correct = %v, want %v", tc.completion, got, tc.want)
		}
	}
}

func TestParamsAreChecked(t *testing.T) {
	if _, err := New("add", map[string]any{"max_digit": 3}); err == nil || !strings.Contains(err.Error(), "max_digit") {
		t.Errorf("unknown parameter: got %v", err)
	}
	if _, err := New("add", map[string]any{"max_digits": "three"}); err == nil {
		t.Error("ill-typed parameter must fail")
	}
	if _, err := New("nope", nil); err == nil || !strings.Contains(err.Error(), "countdown") {
		t.Errorf("unknown task: got %v, want the list of tasks", err)
	}
	if tk, err := New("add", map[string]any{"min_digits": 4, "max_digits": 5}); err != nil {
		t.Fatal(err)
	} else if ps, _ := Generate(tk, Train, 1, 50, DefaultTemplate); ps[0].Difficulty < 4 {
		t.Errorf("difficulty knob ignored: %+v", ps[0])
	}
	if err := (Noise{Rate: 0.5, Kinds: []string{"typo"}}).Validate(); err == nil {
		t.Error("unknown noise kind must fail")
	}
}
