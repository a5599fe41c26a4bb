package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

func init() {
	register("grm_pair", func(p map[string]any) (Task, error) {
		t := &GRMPair{MinDigits: 1, MaxDigits: 2, Responses: 2, Penalty: 3}
		if err := decodeParams("grm_pair", p, t); err != nil {
			return nil, err
		}
		if t.MinDigits < 1 || t.MaxDigits < t.MinDigits || t.MaxDigits > 6 {
			return nil, fmt.Errorf("task grm_pair: need 1 <= min_digits <= max_digits <= 6")
		}
		if t.Responses < 2 || t.Responses > 4 {
			return nil, fmt.Errorf("task grm_pair: responses %d: want 2..4", t.Responses)
		}
		if t.Penalty < 1 || t.Penalty > 9 {
			return nil, fmt.Errorf("task grm_pair: penalty %d: want 1..9", t.Penalty)
		}
		return t, nil
	})
}

// GRMPair is a pointwise generative reward-modelling task (card B15's
// tiny analogue of DeepSeek-GRM): a query (an addition) and Responses
// candidate answers, exactly one of them right, in random order,
// "47+38|85|75". The judge writes a principle (what a right response must
// say: "p:85"), a critique of each response (the answer it read and its
// wrong positions: "c1:85 w0", "c2:75 w1"), and an integer score in
// GRMMin..GRMMax per response on the answer line ("#### 10,7"; reference
// score max(1, 10 - Penalty * wrong positions)).
//
// The judgement is correct (reward 1) iff its answer line parses into
// exactly Responses scores in range and the right response's score is
// strictly above every other one (ties are wrong). The reference answer
// is the right response's 1-based index.
//
// Noise: "arith" miscomputes the principle (a slipped sum, or, when the
// slip would keep the ranking, the sum of a wrong response) and every
// critique and score follows from it; "final" changes the score line.
type GRMPair struct {
	MinDigits int `json:"min_digits"`
	MaxDigits int `json:"max_digits"`
	Responses int `json:"responses"`
	Penalty   int `json:"penalty"` // score points per wrong position
}

// The GRM score range.
const (
	GRMMin = 1
	GRMMax = 10
)

func (*GRMPair) Name() string { return "grm_pair" }
func (*GRMPair) Description() string {
	return "generative reward model: principle, critiques, then a 1-10 score per response; right iff the right response scores strictly highest (min_digits, max_digits, responses, penalty)"
}

func (t *GRMPair) Draw(r *rand.Rand) Problem {
	a := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	b := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	sum := strconv.FormatInt(a+b, 10)
	resp := []string{sum}
	for len(resp) < t.Responses {
		c := corruptNumber(sum, 1+r.IntN(2), r)
		dup := false
		for _, x := range resp {
			dup = dup || x == c
		}
		if !dup {
			resp = append(resp, c)
		}
	}
	r.Shuffle(len(resp), func(i, j int) { resp[i], resp[j] = resp[j], resp[i] })
	best := 0
	for i, x := range resp {
		if x == sum {
			best = i
		}
	}
	q := fmt.Sprintf("%d+%d|%s", a, b, strings.Join(resp, "|"))
	return Problem{Question: q, Answer: strconv.Itoa(best + 1), Difficulty: max(digitsOf(a), digitsOf(b))}
}

// grmParts splits a question into the two operands and the responses.
func grmParts(q string) (a, b int64, resp []string, ok bool) {
	f := strings.Split(q, "|")
	if len(f) < 3 {
		return 0, 0, nil, false
	}
	x, y, found := strings.Cut(f[0], "+")
	var e1, e2 error
	a, e1 = strconv.ParseInt(x, 10, 64)
	b, e2 = strconv.ParseInt(y, 10, 64)
	return a, b, f[1:], found && e1 == nil && e2 == nil
}

// Best is the 0-based index of p's right response (-1 if p is not a
// grm_pair problem).
func (t *GRMPair) Best(p Problem) int {
	n, err := strconv.Atoi(p.Answer)
	if err != nil || n < 1 {
		return -1
	}
	return n - 1
}

func (t *GRMPair) judgement(sum string, resp []string) ([]string, []int) {
	lines := []string{"p:" + sum}
	scores := make([]int, len(resp))
	for i, x := range resp {
		w := wrongPositions(x, sum)
		lines = append(lines, fmt.Sprintf("c%d:%s w%d", i+1, x, w))
		scores[i] = max(GRMMin, GRMMax-t.Penalty*w)
	}
	return lines, scores
}

func (t *GRMPair) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	a, b, resp, _ := grmParts(p.Question)
	sum := strconv.FormatInt(a+b, 10)
	if err == "arith" {
		best := t.Best(p)
		slipped := strconv.FormatInt(max(0, a+b+slip(r)), 10)
		if _, sc := t.judgement(slipped, resp); StrictBest(sc, best) {
			slipped = resp[(best+1)%len(resp)]
		}
		sum = slipped
	}
	lines, scores := t.judgement(sum, resp)
	return lines, FormatScores(scores)
}

// FormatScores writes a score line, "10,7".
func FormatScores(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// ParseScores reads a judgement's scores strictly: the completion's last
// line must be the answer prefix followed by exactly n comma-separated
// integers in GRMMin..GRMMax, written plainly (no sign, no leading zero,
// no spaces), and it must be the only answer line. ok is false otherwise.
func ParseScores(completion string, n int) (scores []int, ok bool) {
	marker := DefaultTemplate.AnswerPrefix
	if strings.Count(completion, strings.TrimSpace(marker)) != 1 {
		return nil, false
	}
	i := strings.LastIndex(completion, "\n"+marker)
	line := completion
	if i >= 0 {
		line = completion[i+1:]
	}
	if !strings.HasPrefix(line, marker) {
		return nil, false
	}
	f := strings.Split(strings.TrimPrefix(line, marker), ",")
	if len(f) != n {
		return nil, false
	}
	scores = make([]int, n)
	for k, s := range f {
		if s == "" || len(s) > 2 || strings.TrimLeft(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
			return nil, false
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < GRMMin || v > GRMMax {
			return nil, false
		}
		scores[k] = v
	}
	return scores, true
}

// StrictBest reports whether scores[best] is strictly above every other
// score (the rule-based correctness of a judgement).
func StrictBest(scores []int, best int) bool {
	if best < 0 || best >= len(scores) {
		return false
	}
	for i, s := range scores {
		if i != best && s >= scores[best] {
			return false
		}
	}
	return true
}

func (t *GRMPair) Grade(p Problem, completion string) Reward {
	scores, ok := ParseScores(completion, t.Responses)
	rw := Reward{FormatOK: ok}
	if !ok {
		return rw
	}
	arg := 0
	for i, s := range scores {
		if s > scores[arg] {
			arg = i
		}
	}
	if StrictBest(scores, arg) {
		rw.Pred = strconv.Itoa(arg + 1) // the response the judgement picks
	}
	if StrictBest(scores, t.Best(p)) {
		rw.Correct, rw.Reward = true, 1
	}
	return rw
}
