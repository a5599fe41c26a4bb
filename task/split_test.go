package task

import (
	"math/rand/v2"
	"testing"
)

func TestSplit(t *testing.T) {
	tk := &SumSplit{MinN: 10, MaxN: 99, Spread: 3}
	p := Problem{Question: "sp:37", Answer: "18+19"}
	for _, tc := range []struct {
		completion string
		correct    bool
	}{
		{"#### 12+25", true},
		{"#### 1+36", true},
		{"#### 36+1", true},
		{"#### 12+26", false},
		{"#### 0+37", false},
		{"#### 012+25", false},
		{"#### 12 + 25", false},
		{"#### 37", false},
		{"12+25", false}, // no answer line
		{"#### 12+25+0", false},
	} {
		if got := tk.Grade(p, tc.completion).Correct; got != tc.correct {
			t.Errorf("Grade(%q) = %v, want %v", tc.completion, got, tc.correct)
		}
	}
	ans := tk.Answers(p)
	right := 0
	for _, a := range ans {
		if tk.Grade(p, "#### "+a).Correct {
			right++
		}
	}
	// Sums 34..40: 33+34+...+39 answers, 36 of them right.
	if want := 33 + 34 + 35 + 36 + 37 + 38 + 39; len(ans) != want || right != 36 {
		t.Fatalf("%d answers (want %d), %d right (want 36)", len(ans), want, right)
	}
	r := rand.New(rand.NewPCG(1, 2))
	wrong := 0
	for range 200 {
		_, a := tk.Steps(p, r, "")
		if !tk.Grade(p, "#### "+a).Correct {
			t.Fatalf("reference answer %q graded wrong", a)
		}
		if _, a := tk.Steps(p, r, "arith"); tk.Grade(p, "#### "+a).Correct {
			wrong++
		}
	}
	if wrong != 0 {
		t.Fatalf("%d arith slips graded right", wrong)
	}
}
