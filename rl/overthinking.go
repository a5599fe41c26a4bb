package rl

import (
	"fmt"
	"math"
	"strings"
)

// Reconsidering Overthinking (card B11; code:
// HenryZhen97/Reconsidering-Overthinking rllm/rewards/compress_reward.py):
// a correct response's reward is cut for internal redundancy (repetition
// inside the reasoning up to its first correct solution) and external
// redundancy (reasoning that goes on after it); wrong responses keep their
// reward (0). At our scale a completion is lines of text: the CoT is the
// text before the first line that starts with think_delimiter (`####`, the
// answer line; trailing whitespace dropped, CHOICE), the conclusion is the
// rest.
//
//  1. First correct solution (FCS): the first occurrence of the answer in
//     the CoT, a match not glued to a digit, '.', or an operator on either
//     side (fcs_match_mode regex; falling back to a plain substring, as the
//     code does; substring: plain substring only). FCS = CoT up to the end
//     of that match, aft = the rest.
//  2. External redundancy ERD = len(aft) / len(CoT) rounded to erd_round
//     (0.01), score_ext = 1 - ERD; lengths are counted by the caller (in
//     the policy's tokens).
//  3. Internal redundancy on the FCS: its non-empty lines are the card's
//     sentences (CHOICE: lines replace sentence splitting); window =
//     max(1, floor(window_ratio * #lines)) lines, stride = max(1,
//     floor(stride_ratio * #lines)), windows starting at 0, stride, ...
//     while they fit (CHOICE); each window's text is embedded as its bag of
//     character ngram-grams, unit-normalised (CHOICE: replaces
//     all-MiniLM-L6-v2; a repeated line has similarity 1, chain's distinct
//     steps "7+3=10", "10*2=20" share no 3-gram); IRD = mean of the
//     consecutive windows' cosine similarities clipped to [0, 1] (0 with
//     one line or no pair).
//  4. score_int = f(IRD), f(x) = (σ(k(1-x-c)) - σ(-kc)) / (σ(k(1-c)) -
//     σ(-kc)), k = sig_k (20), c = sig_center (0.3).
//  5. Score = 0.5 (score_int + score_ext) with both penalties on, the one
//     score with one on, 1 with none; the sample's reward is multiplied by
//     it (CHOICE: the card sets R to the score, the same for a 0/1 reward).
//
// Zero score (the card's reward 0): more than one delimiter line
// (one_delimiter; the card's format rule, with "fewer than one" left to the
// verifier, which refuses a completion without an answer line); an answer
// that does not occur in a non-empty CoT. CHOICEs: an empty CoT (chain's
// "direct" style) scores 1 with IRD = ERD = 0 unless empty_cot is "zero"
// (the card's rule); an empty aft is ERD = 0 (the code's quirk of returning
// 0 there is not followed, as the card recommends).
//
// normalize (CHOICE, not in the card): "none" is the card; "group"
// replaces each of IRD and ERD by its min-max position among the group's
// scored correct samples ((x - min) / (max - min), 0 when max - min <
// group_eps) and then score_int = 1 - IRD~, score_ext = 1 - ERD~: the least
// redundant correct sample of a group keeps its full reward and the most
// redundant gets the full penalty.
type Overthinking struct {
	UseInternal    bool    `yaml:"use_internal"`
	UseExternal    bool    `yaml:"use_external"`
	WindowRatio    float64 `yaml:"window_ratio"`
	StrideRatio    float64 `yaml:"stride_ratio"`
	NGram          int     `yaml:"ngram"`
	SigK           float64 `yaml:"sig_k"`
	SigCenter      float64 `yaml:"sig_center"`
	ThinkDelimiter string  `yaml:"think_delimiter"`
	FCSMatchMode   string  `yaml:"fcs_match_mode"`
	ERDRound       float64 `yaml:"erd_round"`
	OneDelimiter   bool    `yaml:"one_delimiter"`
	EmptyCoT       string  `yaml:"empty_cot"`
	Normalize      string  `yaml:"normalize"`
	GroupEps       float64 `yaml:"group_eps"`
}

// DefaultOverthinking is the card's configuration adapted to lines.
var DefaultOverthinking = Overthinking{UseInternal: true, UseExternal: true, WindowRatio: 0.1, StrideRatio: 0.05,
	NGram: 3, SigK: 20, SigCenter: 0.3, ThinkDelimiter: "####", FCSMatchMode: "regex", ERDRound: 0.01,
	OneDelimiter: true, EmptyCoT: "ok", Normalize: "none", GroupEps: 0.01}

// Validate checks the knobs.
func (c Overthinking) Validate() error {
	switch {
	case c.WindowRatio < 0 || c.StrideRatio < 0:
		return fmt.Errorf("window_ratio and stride_ratio must be >= 0")
	case c.NGram < 1:
		return fmt.Errorf("ngram %d must be >= 1", c.NGram)
	case c.SigK <= 0:
		return fmt.Errorf("sig_k %v must be positive", c.SigK)
	case strings.TrimSpace(c.ThinkDelimiter) == "":
		return fmt.Errorf("think_delimiter must not be empty")
	case c.FCSMatchMode != "regex" && c.FCSMatchMode != "substring":
		return fmt.Errorf("fcs_match_mode %q must be regex or substring", c.FCSMatchMode)
	case c.ERDRound < 0:
		return fmt.Errorf("erd_round %v must be >= 0", c.ERDRound)
	case c.EmptyCoT != "ok" && c.EmptyCoT != "zero":
		return fmt.Errorf("empty_cot %q must be ok or zero", c.EmptyCoT)
	case c.Normalize != "none" && c.Normalize != "group":
		return fmt.Errorf("normalize %q must be none or group", c.Normalize)
	case c.GroupEps < 0:
		return fmt.Errorf("group_eps %v must be >= 0", c.GroupEps)
	}
	return nil
}

// Redundancy is one correct completion's measures.
type Redundancy struct {
	IRD, ERD float64
	Zero     string // why the score is 0 ("" when scored): "delimiters", "no_match", "empty_cot"
}

// Measure splits a completion and measures its redundancies; count gives
// a text's length (the policy's tokens).
func (c Overthinking) Measure(completion, answer string, count func(string) int) Redundancy {
	lines := strings.Split(completion, "\n")
	first, n := -1, 0
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), c.ThinkDelimiter) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if c.OneDelimiter && n > 1 {
		return Redundancy{Zero: "delimiters"}
	}
	cot := completion
	if first >= 0 {
		cot = strings.Join(lines[:first], "\n")
	}
	cot = strings.TrimRight(cot, " \t\r\n")
	if strings.TrimSpace(cot) == "" {
		if c.EmptyCoT == "zero" {
			return Redundancy{Zero: "empty_cot"}
		}
		return Redundancy{}
	}
	end := firstAnswer(cot, strings.TrimSpace(answer), c.FCSMatchMode == "regex")
	if end < 0 {
		return Redundancy{Zero: "no_match"}
	}
	r := Redundancy{IRD: c.IRD(cot[:end])}
	if total := count(cot); total > 0 && end < len(cot) {
		r.ERD = float64(count(cot[end:])) / float64(total)
		if c.ERDRound > 0 {
			r.ERD = math.Round(r.ERD/c.ERDRound) * c.ERDRound
		}
	}
	return r
}

// firstAnswer returns the end of the answer's first occurrence in s (-1
// when none): with strict, the first one not glued to a digit, '.', or an
// operator, else the first plain substring.
func firstAnswer(s, answer string, strict bool) int {
	if answer == "" {
		return -1
	}
	glued := func(b byte) bool { return b >= '0' && b <= '9' || strings.IndexByte(".+-*/^", b) >= 0 }
	if strict {
		for off := 0; ; {
			i := strings.Index(s[off:], answer)
			if i < 0 {
				break
			}
			i += off
			j := i + len(answer)
			if (i == 0 || !glued(s[i-1])) && (j == len(s) || !glued(s[j])) {
				return j
			}
			off = i + 1
		}
	}
	if i := strings.Index(s, answer); i >= 0 {
		return i + len(answer)
	}
	return -1
}

// IRD is the internal redundancy of a text: the mean clipped cosine
// similarity of consecutive windows of its non-empty lines.
func (c Overthinking) IRD(text string) float64 {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	n := len(lines)
	if n <= 1 {
		return 0
	}
	w := max(1, int(math.Floor(c.WindowRatio*float64(n))))
	s := max(1, int(math.Floor(c.StrideRatio*float64(n))))
	var embs []map[string]float64
	for i := 0; i+w <= n; i += s {
		embs = append(embs, ngramEmbedding(strings.Join(lines[i:i+w], "\n"), c.NGram))
	}
	if len(embs) < 2 {
		return 0
	}
	var sum float64
	for i := 1; i < len(embs); i++ {
		var dot float64
		for g, v := range embs[i] {
			dot += v * embs[i-1][g]
		}
		sum += min(1, max(0, dot))
	}
	return sum / float64(len(embs)-1)
}

// ngramEmbedding is the unit-normalised bag of a text's character n-grams
// (the whole text when shorter than n).
func ngramEmbedding(s string, n int) map[string]float64 {
	m := map[string]float64{}
	r := []rune(s)
	if len(r) < n {
		m[s]++
	}
	for i := 0; i+n <= len(r); i++ {
		m[string(r[i:i+n])]++
	}
	var norm float64
	for _, v := range m {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	for g := range m {
		m[g] /= norm
	}
	return m
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// IRDScore is f(x) = (σ(k(1-x-c)) - σ(-kc)) / (σ(k(1-c)) - σ(-kc)): ≈1 for
// x <= 0.2, falling steeply past c.
func (c Overthinking) IRDScore(x float64) float64 {
	k, cc := c.SigK, c.SigCenter
	return (sigmoid(k*(1-x-cc)) - sigmoid(-k*cc)) / (sigmoid(k*(1-cc)) - sigmoid(-k*cc))
}

// Combine is the score of internal and external scores.
func (c Overthinking) Combine(scoreInt, scoreExt float64) float64 {
	switch {
	case c.UseInternal && c.UseExternal:
		return 0.5 * (scoreInt + scoreExt)
	case c.UseInternal:
		return scoreInt
	case c.UseExternal:
		return scoreExt
	}
	return 1
}

// Scores gives each sample's reward multiplier from its measures; rs[i] is
// nil for a sample that is not scored (incorrect: it keeps its reward,
// multiplier 1). Under normalize "group" the measures are min-max
// normalised among each group's scored samples.
func (c Overthinking) Scores(rs []*Redundancy, groups [][]int) []float64 {
	out := make([]float64, len(rs))
	for _, g := range groups {
		norm := func(get func(*Redundancy) float64) func(float64) float64 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, i := range g {
				if rs[i] != nil && rs[i].Zero == "" {
					lo, hi = min(lo, get(rs[i])), max(hi, get(rs[i]))
				}
			}
			return func(x float64) float64 {
				if hi-lo < c.GroupEps || hi <= lo {
					return 0
				}
				return (x - lo) / (hi - lo)
			}
		}
		ni, ne := norm(func(r *Redundancy) float64 { return r.IRD }), norm(func(r *Redundancy) float64 { return r.ERD })
		for _, i := range g {
			r := rs[i]
			switch {
			case r == nil:
				out[i] = 1
			case r.Zero != "":
				out[i] = 0
			case c.Normalize == "group":
				out[i] = c.Combine(1-ni(r.IRD), 1-ne(r.ERD))
			default:
				out[i] = c.Combine(c.IRDScore(r.IRD), 1-r.ERD)
			}
		}
	}
	return out
}
