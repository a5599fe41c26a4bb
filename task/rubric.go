package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("rubric", func(p map[string]any) (Task, error) {
		t := &Rubric{MinDigits: 1, MaxDigits: 2, Criteria: []string{"k1", "k2", "k3"}}
		if err := decodeParams("rubric", p, t); err != nil {
			return nil, err
		}
		if t.MinDigits < 1 || t.MaxDigits < t.MinDigits || t.MaxDigits > 6 {
			return nil, fmt.Errorf("task rubric: need 1 <= min_digits <= max_digits <= 6")
		}
		if len(t.Criteria) == 0 {
			return nil, fmt.Errorf("task rubric: name at least one criterion")
		}
		for _, c := range t.Criteria {
			if c != "k1" && c != "k2" && c != "k3" {
				return nil, fmt.Errorf("task rubric: criterion %q: want k1, k2 or k3", c)
			}
		}
		return t, nil
	})
}

// Rubric is a fine-grained judging task (card D3's tiny analogue): an item
// is a criterion, an addition problem and a candidate answer,
// "k2|45+36|71"; the judge writes a rationale, the sum it recomputes and
// the number of wrong positions of the candidate ("81,w1"), then a Likert
// score 1..5 on the answer line. The criteria: k1 exactness (5 if exact,
// else 1), k2 digit closeness (5 - wrong positions, at least 1; positions
// compared from the left, each extra or missing digit wrong), k3 length
// (5 if the candidate has the sum's length, else 1). Candidates are the
// sum, the sum with one or two digits changed, or the sum with a digit
// added or dropped, a third each. The gold score is the reference answer;
// the grader is exact match on it (the verifier of the judge).
//
// Noise: "arith" miscomputes the rationale (a slipped sum; failing that,
// a sum copied from the candidate, or one digit too long) so that the
// score that follows from it is wrong; "final" changes the score.
type Rubric struct {
	MinDigits int      `json:"min_digits"`
	MaxDigits int      `json:"max_digits"`
	Criteria  []string `json:"criteria"`
}

func (*Rubric) Name() string { return "rubric" }
func (*Rubric) Description() string {
	return "judge an addition answer under a criterion: rationale (sum, wrong positions) then a 1-5 score (min_digits, max_digits, criteria)"
}

// RubricMax is the top of the Likert scale.
const RubricMax = 5

func (t *Rubric) Draw(r *rand.Rand) Problem {
	a := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	b := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	sum := strconv.FormatInt(a+b, 10)
	cand := corruptNumber(sum, r.IntN(3), r)
	crit := t.Criteria[r.IntN(len(t.Criteria))]
	q := fmt.Sprintf("%s|%d+%d|%s", crit, a, b, cand)
	return Problem{Question: q, Answer: strconv.Itoa(rubricScore(crit, cand, sum)), Difficulty: max(digitsOf(a), digitsOf(b))}
}

// corruptNumber returns s unchanged (kind 0), with one or two digits
// changed (kind 1), or with a digit added or dropped (kind 2); the result
// of kinds 1 and 2 always differs from s.
func corruptNumber(s string, kind int, r *rand.Rand) string {
	b := []byte(s)
	switch kind {
	case 1:
		n := 1 + r.IntN(min(2, len(b)))
		for _, i := range r.Perm(len(b))[:n] {
			for {
				d := byte('0' + r.IntN(10))
				if d != b[i] && (i > 0 || len(b) == 1 || d != '0') {
					b[i] = d
					break
				}
			}
		}
	case 2:
		if len(b) > 1 && r.IntN(2) == 0 {
			i := r.IntN(len(b))
			b = append(b[:i:i], b[i+1:]...)
			if b[0] == '0' {
				b[0] = '1'
			}
		} else {
			i := r.IntN(len(b) + 1)
			d := byte('1' + r.IntN(9))
			b = append(b[:i:i], append([]byte{d}, b[i:]...)...)
		}
	}
	return string(b)
}

// wrongPositions counts the positions, from the left, where cand differs
// from truth; each extra or missing position counts.
func wrongPositions(cand, truth string) int {
	w := 0
	for i := 0; i < max(len(cand), len(truth)); i++ {
		if i >= len(cand) || i >= len(truth) || cand[i] != truth[i] {
			w++
		}
	}
	return w
}

// rubricScore is the gold score of a candidate under a criterion.
func rubricScore(crit, cand, sum string) int {
	w := wrongPositions(cand, sum)
	switch crit {
	case "k1":
		if w == 0 {
			return RubricMax
		}
		return 1
	case "k2":
		return max(1, RubricMax-w)
	}
	if len(cand) == len(sum) {
		return RubricMax
	}
	return 1
}

// rubricParts splits a rubric question into criterion, a, b, candidate.
func rubricParts(q string) (crit string, a, b int64, cand string, ok bool) {
	f := strings.Split(q, "|")
	if len(f) != 3 {
		return "", 0, 0, "", false
	}
	x, y, found := strings.Cut(f[1], "+")
	var e1, e2 error
	a, e1 = strconv.ParseInt(x, 10, 64)
	b, e2 = strconv.ParseInt(y, 10, 64)
	return f[0], a, b, f[2], found && e1 == nil && e2 == nil
}

// Rationale is the reference rationale line of a rubric item, "81,w1".
func (t *Rubric) Rationale(p Problem) string {
	_, a, b, cand, _ := rubricParts(p.Question)
	sum := strconv.FormatInt(a+b, 10)
	return fmt.Sprintf("%s,w%d", sum, wrongPositions(cand, sum))
}

func (t *Rubric) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	crit, a, b, cand, _ := rubricParts(p.Question)
	sum := strconv.FormatInt(a+b, 10)
	if err == "arith" {
		gold := rubricScore(crit, cand, sum)
		tries := []string{strconv.FormatInt(max(0, a+b+slip(r)), 10), cand, "1" + sum}
		for _, s := range tries {
			if s != sum && rubricScore(crit, cand, s) != gold {
				sum = s
				break
			}
		}
	}
	return []string{fmt.Sprintf("%s,w%d", sum, wrongPositions(cand, sum))}, strconv.Itoa(rubricScore(crit, cand, sum))
}

func (t *Rubric) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// RationaleOK is card D3's tiny meta-judge: the completion's first line
// is the reference rationale (the right sum and the right count of wrong
// positions).
func (t *Rubric) RationaleOK(p Problem, completion string) bool {
	first, _, _ := strings.Cut(completion, "\n")
	return strings.TrimSpace(first) == t.Rationale(p)
}
