package rl

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func chars(s string) int { return utf8.RuneCountInString(s) }

// Card B11's example. A CoT of 100 tokens (characters here) whose answer
// first appears ending at token 60: aft = 40 tokens, ERD = 40/100 = 0.4,
// score_ext = 0.6. f(0.6) = (σ(20(1-0.6-0.3)) - σ(-6)) / (σ(14) - σ(-6)) =
// (σ(2) - σ(-6)) / (σ(14) - σ(-6)) = (0.880797 - 0.002473) / (0.999999 -
// 0.002473) = 0.88050; R = 0.5 (0.88050 + 0.6) = 0.74025. f(0.3) = (σ(8) -
// σ(-6)) / (σ(14) - σ(-6)) = 0.99966. A wrong answer keeps its reward 0
// regardless of redundancy.
func TestOverthinkingCard(t *testing.T) {
	c := DefaultOverthinking
	cot := strings.Repeat("x", 57) + "=42\n" + strings.Repeat("y", 39) // 60 + 1 + 39 = 100
	r := c.Measure(cot+"\n#### 42", "42", chars)
	if r.Zero != "" {
		t.Fatalf("zeroed: %s", r.Zero)
	}
	near(t, "ERD", r.ERD, 0.4, 1e-12)
	near(t, "IRD (one line in the FCS)", r.IRD, 0, 0)
	near(t, "f(0.6)", c.IRDScore(0.6), 0.88050, 5e-6)
	near(t, "f(0.3)", c.IRDScore(0.3), 0.99966, 5e-6)
	near(t, "R", c.Combine(c.IRDScore(0.6), 1-r.ERD), 0.74025, 5e-6)
	near(t, "f(0)", c.IRDScore(0), 1, 1e-6)
	// Scores: the card's sample with IRD 0.6 scores 0.74025, a wrong one
	// (nil) keeps its reward (multiplier 1 on reward 0).
	s := c.Scores([]*Redundancy{{IRD: 0.6, ERD: 0.4}, nil}, Groups(2, 2))
	near(t, "score", s[0], 0.74025, 5e-6)
	near(t, "wrong (multiplier on its reward 0)", s[1], 1, 0)
	one := c
	one.UseInternal = false
	near(t, "external only", one.Scores([]*Redundancy{{IRD: 0.6, ERD: 0.4}}, Groups(1, 1))[0], 0.6, 1e-12)
}

// On chain lines. "7+3=10\n7+3=10\n10*2=20\n#### 20": 3 lines, window 1,
// stride 1; the repeated line has similarity 1 and "7+3=10" vs "10*2=20"
// share no 3-gram (7+3, +3=, 3=1, =10 against 10*, 0*2, *2=, 2=2, =20):
// IRD = (1 + 0)/2 = 0.5, f(0.5) = (σ(4) - σ(-6)) / (σ(14) - σ(-6)) =
// 0.98197; the answer ends the CoT: ERD 0, score 0.5 (0.98197 + 1) =
// 0.99099. "7+3=10\n10*2=20\n20+0=20\n#### 20": the answer first ends at
// character 14 of a 22-character CoT: aft "\n20+0=20" is 8, ERD = 8/22 =
// 0.36 (rounded), IRD of "7+3=10\n10*2=20" = 0, score 0.5 (1 + 0.64) = 0.82.
func TestOverthinkingChain(t *testing.T) {
	c := DefaultOverthinking
	r := c.Measure("7+3=10\n7+3=10\n10*2=20\n#### 20", "20", chars)
	near(t, "IRD", r.IRD, 0.5, 1e-12)
	near(t, "ERD", r.ERD, 0, 0)
	near(t, "f(0.5)", c.IRDScore(0.5), 0.98197, 5e-6)
	r2 := c.Measure("7+3=10\n10*2=20\n20+0=20\n#### 20", "20", chars)
	near(t, "ERD", r2.ERD, 0.36, 1e-12)
	near(t, "IRD", r2.IRD, 0, 0)
	d := c.Measure("#### 20", "20", chars) // the direct style: empty CoT
	s := c.Scores([]*Redundancy{&r, &r2, &d}, Groups(3, 3))
	near(t, "score repeated", s[0], 0.99099, 5e-6)
	near(t, "score external", s[1], 0.82, 1e-12)
	near(t, "score direct", s[2], 1, 0)
	if z := c.Measure("7+3=10\n#### 10\n#### 10", "10", chars); z.Zero != "delimiters" {
		t.Errorf("two answer lines: %+v, want zero (delimiters)", z)
	}
	if z := c.Measure("7+3=11\n#### 10", "10", chars); z.Zero != "no_match" {
		t.Errorf("answer not in the CoT: %+v, want zero (no_match)", z)
	}
	ec := c
	ec.EmptyCoT = "zero"
	if z := ec.Measure("#### 20", "20", chars); z.Zero != "empty_cot" {
		t.Errorf("empty CoT under empty_cot zero: %+v", z)
	}
	// The first answer not glued to an operator or digit: "3" in "7+3" is
	// refused, "=3" at the end matches; substring takes the first "3".
	if e := firstAnswer("7+3=10\n10-7=3", "3", true); e != 13 {
		t.Errorf("regex match ends at %d, want 13", e)
	}
	if e := firstAnswer("7+3=10\n10-7=3", "3", false); e != 3 {
		t.Errorf("substring match ends at %d, want 3", e)
	}
	// normalize group: ERD 0, 0.2, 0.4 and IRD 0 → ERD~ 0, 0.5, 1, scores
	// 0.5 (1 + 1), 0.5 (1 + 0.5), 0.5 (1 + 0) = 1, 0.75, 0.5; a zeroed
	// sample stays 0 and is not in the min-max.
	g := c
	g.Normalize = "group"
	s = g.Scores([]*Redundancy{{ERD: 0}, {ERD: 0.2}, {ERD: 0.4}, {Zero: "no_match", ERD: 9}}, Groups(4, 4))
	for i, v := range []float64{1, 0.75, 0.5, 0} {
		near(t, "group score", s[i], v, 1e-12)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	bad := c
	bad.Normalize = "z"
	if bad.Validate() == nil {
		t.Error("normalize z must be refused")
	}
}
