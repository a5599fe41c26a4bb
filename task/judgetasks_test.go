package task

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Card D3: k2 label for 457+368 with candidate 835: true 825, one wrong
// position, score 4; the rationale is "825,w1".
func TestRubricCard(t *testing.T) {
	tk, err := New("rubric", map[string]any{"max_digits": 3})
	if err != nil {
		t.Fatal(err)
	}
	ru := tk.(*Rubric)
	p := Problem{Question: "k2|457+368|835", Answer: "4"}
	steps, ans := ru.Steps(p, nil, "")
	if !slices.Equal(steps, []string{"825,w1"}) || ans != "4" {
		t.Fatalf("steps %v answer %s", steps, ans)
	}
	for _, tc := range []struct {
		crit, cand string
		want       int
	}{
		{"k1", "825", 5}, {"k1", "835", 1}, {"k2", "825", 5}, {"k2", "8250", 4}, {"k2", "82", 4}, {"k2", "111", 2},
		{"k2", "1111", 1}, {"k3", "835", 5}, {"k3", "82", 1},
	} {
		if got := rubricScore(tc.crit, tc.cand, "825"); got != tc.want {
			t.Errorf("%s %s: score %d, want %d", tc.crit, tc.cand, got, tc.want)
		}
	}
	if !ru.RationaleOK(p, "825,w1\n#### 4") || ru.RationaleOK(p, "825,w0\n#### 4") || ru.RationaleOK(p, "") {
		t.Error("meta-judge: only the reference rationale is good")
	}
	if rw := ru.Grade(p, "825,w1\n#### 4"); !rw.Correct {
		t.Errorf("right score graded %+v", rw)
	}
}

// Candidates of kinds 1 and 2 always differ from the sum and have no
// leading zero.
func TestCorruptNumber(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		s := []string{"7", "10", "825", "1999"}[r.IntN(4)]
		for kind := 1; kind <= 2; kind++ {
			c := corruptNumber(s, kind, r)
			if c == s || c == "" || (len(c) > 1 && c[0] == '0') {
				t.Fatalf("corrupt %s kind %d gave %q", s, kind, c)
			}
		}
	}
}

// Card B15: the RL reward with label best = response 1: scores (7,5)
// right, (6,6) wrong (not strict); malformed score lines never parse.
func TestGRMPairRule(t *testing.T) {
	tk, _ := New("grm_pair", nil)
	g := tk.(*GRMPair)
	p := Problem{Question: "47+38|85|75", Answer: "1"}
	lines, ans := g.Steps(p, nil, "")
	if strings.Join(lines, ";") != "p:85;c1:85 w0;c2:75 w1" || ans != "10,7" {
		t.Fatalf("reference judgement %v %s", lines, ans)
	}
	for _, tc := range []struct {
		comp    string
		correct bool
		format  bool
	}{
		{"p:85\n#### 7,5", true, true}, {"#### 6,6", false, true}, {"#### 5,7", false, true},
		{"#### 10,1", true, true}, {"#### 11,1", false, false}, {"#### 0,1", false, false}, {"#### 07,1", false, false},
		{"#### 7,5,1", false, false}, {"#### 7", false, false}, {"#### 7, 5", false, false}, {"#### +7,5", false, false},
		{"#### 7,5\n#### 5,7", false, false}, {"#### 7,5\nmore", false, false}, {"", false, false},
		{"c2:75 w0 #### 1,9\n#### 7,5", false, false}, // a fake answer line inside a critique
		{"#### 7,5\n", false, false},
	} {
		rw := g.Grade(p, tc.comp)
		if rw.Correct != tc.correct || rw.FormatOK != tc.format || (rw.Reward == 1) != tc.correct {
			t.Errorf("%q: graded %+v, want correct %v format %v", tc.comp, rw, tc.correct, tc.format)
		}
	}
}

// Cipher: the lexicon is one-to-one and fixed by the key; q is the share
// of agreeing positions.
func TestCipher(t *testing.T) {
	a, _ := New("cipher", nil)
	b, _ := New("cipher", map[string]any{"key": 2})
	ca, cb := a.(*Cipher), b.(*Cipher)
	seen := map[byte]bool{}
	for _, c := range ca.lexicon {
		seen[c] = true
	}
	if len(seen) != 10 || ca.lexicon == cb.lexicon {
		t.Fatalf("lexicons %q %q", ca.lexicon[:], cb.lexicon[:])
	}
	p := ca.Draw(rand.New(rand.NewPCG(1, 1)))
	if len(p.Answer) != len(strings.TrimPrefix(p.Question, "tr ")) {
		t.Fatalf("problem %+v", p)
	}
	bad := []byte(p.Answer)
	bad[0] = '?'
	n := float64(len(bad))
	for _, tc := range []struct {
		comp string
		q    float64
	}{
		{"#### " + p.Answer, 1}, {"#### " + string(bad), (n - 1) / n}, {"#### " + p.Answer + "x", n / (n + 1)},
		{p.Answer, 0}, {"#### ", 0},
	} {
		if q := Agreement(ca, p, tc.comp); math.Abs(q-tc.q) > 1e-12 {
			t.Errorf("%q: q %v, want %v", tc.comp, q, tc.q)
		}
	}
}
