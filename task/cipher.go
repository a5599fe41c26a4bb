package task

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

func init() {
	register("cipher", func(p map[string]any) (Task, error) {
		t := &Cipher{MinLen: 3, MaxLen: 6, Key: 1}
		if err := decodeParams("cipher", p, t); err != nil {
			return nil, err
		}
		if t.MinLen < 1 || t.MaxLen < t.MinLen || t.MaxLen > 20 {
			return nil, fmt.Errorf("task cipher: need 1 <= min_len <= max_len <= 20")
		}
		t.lexicon = cipherLexicon(t.Key)
		return t, nil
	})
}

// Cipher is translation between two generated symbol languages, for
// reference-free self-judging (card D1's tiny "translation"): a sentence
// of the source language is a string of digits, "tr 40213"; its
// translation writes each digit as the target language's letter for it,
// a fixed one-to-one lexicon of ten lowercase letters drawn from Key
// ("#### gdbac"). The solution is the answer line alone. Correctness is
// exact match; Agreement (in this file) gives the positional partial credit q of the
// card (used to label judge demonstrations and to measure a judge).
//
// Noise: "arith" writes one symbol wrongly (another letter of the
// lexicon); "final" swaps or drops symbols.
type Cipher struct {
	MinLen int    `json:"min_len"`
	MaxLen int    `json:"max_len"`
	Key    uint64 `json:"key"` // seeds the lexicon

	lexicon [10]byte
}

// cipherLexicon draws ten distinct letters for the digits.
func cipherLexicon(key uint64) [10]byte {
	r := rand.New(rand.NewPCG(key, 0x63697068))
	perm := r.Perm(26)
	var lx [10]byte
	for d := range lx {
		lx[d] = byte('a' + perm[d])
	}
	return lx
}

func (*Cipher) Name() string { return "cipher" }
func (*Cipher) Description() string {
	return "translate a digit string into a generated letter language, symbol by symbol (min_len, max_len, key)"
}

func (t *Cipher) Draw(r *rand.Rand) Problem {
	n := t.MinLen + r.IntN(t.MaxLen-t.MinLen+1)
	src := make([]byte, n)
	for i := range src {
		src[i] = byte('0' + r.IntN(10))
	}
	return Problem{Question: "tr " + string(src), Answer: t.translate(string(src)), Difficulty: n}
}

func (t *Cipher) translate(src string) string {
	out := make([]byte, len(src))
	for i := range src {
		if c := src[i]; c >= '0' && c <= '9' {
			out[i] = t.lexicon[c-'0']
		} else {
			out[i] = '?'
		}
	}
	return string(out)
}

func (t *Cipher) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	ans := []byte(t.translate(strings.TrimPrefix(p.Question, "tr ")))
	if err == "arith" && len(ans) > 0 {
		i := r.IntN(len(ans))
		for {
			c := t.lexicon[r.IntN(10)]
			if c != ans[i] {
				ans[i] = c
				break
			}
		}
	}
	return nil, string(ans)
}

func (t *Cipher) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// Agreement is card D1's q of a completion of any task: the share of
// positions where its answer (as t's grader extracts it) agrees with the
// reference answer, compared from the left over the longer of the two
// lengths; 0 without an answer line.
func Agreement(t Task, p Problem, completion string) float64 {
	rw := t.Grade(p, completion)
	if !rw.FormatOK {
		return 0
	}
	n := max(len(rw.Pred), len(p.Answer))
	if n == 0 {
		return 0
	}
	return float64(n-wrongPositions(rw.Pred, p.Answer)) / float64(n)
}
