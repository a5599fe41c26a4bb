package run

// Reconsidering-Overthinking plug-in (card B11; algebra, the adaptation to
// lines and the CHOICEs in rl/overthinking.go): a reward hook that
// multiplies each correct sample's reward by its redundancy score,
// 0.5 (f(IRD) + 1 - ERD), where IRD measures repetition among the lines
// before the first correct solution and ERD the share of the CoT (the
// lines before the first `####` line) that follows it. The answer searched
// for is the one the verifier accepted (the text after the delimiter on the
// answer line); lengths are counted in the run tokenizer's tokens. Wrong
// samples keep their reward. Metrics (over the step's correct samples):
// overthinking_internal (mean IRD), overthinking_external (mean ERD),
// overthinking_score (mean multiplier), overthinking_zeroed (share scored
// 0: several answer lines, or an answer absent from its CoT).

import (
	"strings"
	"unicode/utf8"

	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("overthinking", "Reconsidering Overthinking: internal and external redundancy penalties on correct samples",
		rl.DefaultOverthinking,
		func(c *rl.Overthinking, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &overthinking{*c}, nil
		})
}

type overthinking struct{ c rl.Overthinking }

func (*overthinking) name() string { return "overthinking" }

// overthinkingTokens counts a text's tokens in the run's tokenizer (its characters
// when it cannot be encoded).
func overthinkingTokens(ru *runner, s string) int {
	if ids, err := ru.tok.Encode(s); err == nil {
		return len(ids)
	}
	return utf8.RuneCountInString(s)
}

// overthinkingAnswer is the text after the delimiter on a completion's last
// line that starts with it.
func overthinkingAnswer(completion, delim string) string {
	lines := strings.Split(completion, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, delim) {
			return strings.TrimSpace(l[len(delim):])
		}
	}
	return ""
}

func (o *overthinking) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if len(xs) == 0 {
		return nil
	}
	rs := make([]*rl.Redundancy, len(xs))
	var nCorrect, zeroed, nScored int
	var ird, erd float64
	for i, x := range xs {
		if !x.correct {
			continue
		}
		nCorrect++
		text := ru.completionText(x.gen)
		r := o.c.Measure(text, overthinkingAnswer(text, o.c.ThinkDelimiter), func(s string) int { return overthinkingTokens(ru, s) })
		rs[i] = &r
		if r.Zero != "" {
			zeroed++
			continue
		}
		nScored++
		ird += r.IRD
		erd += r.ERD
	}
	scores := o.c.Scores(rs, rl.Groups(len(xs), ru.r.RL.GroupSize))
	var mean float64
	for i := range xs {
		if rs[i] != nil {
			xs[i].reward *= scores[i]
			mean += scores[i]
		}
	}
	m["overthinking_internal"] = overthinkingMean(ird, nScored)
	m["overthinking_external"] = overthinkingMean(erd, nScored)
	m["overthinking_score"] = overthinkingMean(mean, nCorrect)
	m["overthinking_zeroed"] = overthinkingMean(float64(zeroed), nCorrect)
	return nil
}

// overthinkingMean is a/n, 0 when n is 0.
func overthinkingMean(a float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return a / float64(n)
}
