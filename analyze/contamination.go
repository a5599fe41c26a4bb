package analyze

// Contamination: the Self-Critique membership probe for RL-stage data
// contamination (card D10; Tao et al., "Detecting Data Contamination from
// Reinforcement Learning Post-training for Large Language Models",
// arXiv 2510.09259, code yongding-tao/RL-Data-Contamination).
//
// For each prompt x the policy answers greedily, y1 = greedy(x), with the
// entropy of its next-token distribution at every generated position,
//
//	H1_t = −Σ_v p_t(v) log p_t(v)               (full softmax; the paper's
//	                                             code uses the top 50)
//
// then answers again after a self-critique prompt that shows y1 and asks
// for another solution, y2 = greedy(c(x, y1)), entropies H2. The score is
// the length-penalised cosine of the two entropy profiles,
//
//	s(x) = cos(pad(H1), pad(H2)) · min(|H1|,|H2|) / max(|H1|,|H2|)
//
// (zero-padded to the longer length; 0 if either is empty or all zero):
// a prompt RL trained on has collapsed onto one path, so the second
// answer's entropy profile repeats the first. Higher means "member".
//
// Baselines on y1 (the likelihood detectors the paper finds near chance
// for RL contamination): PPL (score −mean NLL of y1), Min-K% (mean of the
// lowest ⌈k·|y1|⌉ token log-probs, k = 0.2), mean entropy (score −mean
// H1). Each detector is judged by ROC-AUC of member vs non-member scores,
//
//	AUC = P(s_member > s_nonmember) + ½ P(s_member = s_nonmember).
//
// CHOICE (knobs): the critique prompt. Our character models have never
// seen the paper's instruction; the default template re-asks the question
// after the first answer, "{prompt}{y1}\n{prompt}" (y1 shown the way the
// model writes answers, then the same question again), truncated from the
// left of y1 to fit the context. The card's variant, a dedicated <K>
// critique format learnt in pretraining, is not built.

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/autodidact-rl/autodidact/lm"
	"gonum.org/v1/gonum/stat"
)

// DefaultCritiqueTemplate is the self-critique prompt: {prompt} is the
// problem's prompt, {y1} the first answer (CHOICE, see the file comment).
const DefaultCritiqueTemplate = "{prompt}{y1}\n{prompt}"

// DefaultMinKRatio is Min-K%'s k (card D10: 0.2).
const DefaultMinKRatio = 0.2

// SelfCritiqueScore is s(x) = cos(pad(H1), pad(H2)) · min/max length.
func SelfCritiqueScore(h1, h2 []float64) float64 {
	if len(h1) == 0 || len(h2) == 0 {
		return 0
	}
	n := max(len(h1), len(h2))
	var dot, n1, n2 float64
	for i := 0; i < n; i++ {
		a, b := at(h1, i), at(h2, i)
		dot += a * b
		n1 += a * a
		n2 += b * b
	}
	if n1 == 0 || n2 == 0 {
		return 0
	}
	return dot / math.Sqrt(n1*n2) * float64(min(len(h1), len(h2))) / float64(n)
}

func at(x []float64, i int) float64 {
	if i < len(x) {
		return x[i]
	}
	return 0
}

// MinK is the mean of the lowest ⌈ratio·n⌉ log-probs (at least one); 0
// for an empty sequence.
func MinK(logprobs []float64, ratio float64) float64 {
	if len(logprobs) == 0 {
		return 0
	}
	s := append([]float64(nil), logprobs...)
	sort.Float64s(s)
	k := max(1, int(math.Ceil(ratio*float64(len(s))-1e-9)))
	k = min(k, len(s))
	var sum float64
	for _, v := range s[:k] {
		sum += v
	}
	return sum / float64(k)
}

// AUC is the ROC-AUC of the scores: the fraction of (member, non-member)
// pairs the member wins, ties counting one half. NaN when either side is
// empty.
func AUC(members, nonmembers []float64) float64 {
	if len(members) == 0 || len(nonmembers) == 0 {
		return math.NaN()
	}
	var w float64
	for _, m := range members {
		for _, n := range nonmembers {
			switch {
			case m > n:
				w++
			case m == n:
				w += 0.5
			}
		}
	}
	return w / float64(len(members)*len(nonmembers))
}

// Codec turns text into ids and back (the run's tokenizer).
type Codec interface {
	Encode(text string) ([]int32, error)
	Decode(ids []int32) string
}

// ContaminationOptions configure the probe.
type ContaminationOptions struct {
	// Template is the critique prompt ("" : DefaultCritiqueTemplate).
	Template string
	// MinKRatio is Min-K%'s k (0: DefaultMinKRatio).
	MinKRatio float64
	// MaxNew caps each answer's length in tokens (0: 48).
	MaxNew int
	// BOS and EOS are the sequence tokens; EOS stops generation.
	BOS, EOS int32
	// Grade, when set, says whether an answer to prompt i of a side is
	// right (member accuracy vs non-member accuracy).
	Grade func(member bool, i int, completion string) bool
}

// ProbeItem is one prompt's measurements.
type ProbeItem struct {
	Member       bool    `json:"member"`
	Prompt       string  `json:"prompt"`
	Y1           string  `json:"y1"`
	Y2           string  `json:"y2"`
	SelfCritique float64 `json:"self_critique"`
	NegNLL       float64 `json:"neg_nll"`
	MinK         float64 `json:"min_k"`
	NegEntropy   float64 `json:"neg_entropy"`
	Correct      bool    `json:"correct"`
}

// ContaminationReport is the probe over members and non-members.
type ContaminationReport struct {
	Members, NonMembers int
	// AUC per detector: self_critique, ppl, min_k, entropy.
	AUC map[string]float64
	// SameAnswer is the fraction with y2 == y1 per side.
	SameMember, SameNonMember float64
	// Accuracy of y1 per side (NaN without Grade).
	AccMember, AccNonMember float64
	Items                   []ProbeItem `json:"-"`
}

// Detectors lists the AUC keys in report order.
var Detectors = []string{"self_critique", "ppl", "min_k", "entropy"}

// Contamination runs the probe with model m over the member and
// non-member prompts.
func Contamination(m *lm.Model, codec Codec, members, nonmembers []string, o ContaminationOptions) (*ContaminationReport, error) {
	if len(members) == 0 || len(nonmembers) == 0 {
		return nil, fmt.Errorf("contamination: need members and non-members (got %d and %d)", len(members), len(nonmembers))
	}
	if o.Template == "" {
		o.Template = DefaultCritiqueTemplate
	}
	if !strings.Contains(o.Template, "{prompt}") {
		return nil, fmt.Errorf("contamination: critique template %q has no {prompt}", o.Template)
	}
	if o.MinKRatio == 0 {
		o.MinKRatio = DefaultMinKRatio
	}
	if o.MinKRatio < 0 || o.MinKRatio > 1 {
		return nil, fmt.Errorf("contamination: min-k ratio %v outside (0, 1]", o.MinKRatio)
	}
	if o.MaxNew == 0 {
		o.MaxNew = 48
	}
	prompts := append(append([]string(nil), members...), nonmembers...)
	first, err := answer(m, codec, prompts, o)
	if err != nil {
		return nil, err
	}
	crit := make([]string, len(prompts))
	for i, p := range prompts {
		crit[i] = strings.ReplaceAll(strings.ReplaceAll(o.Template, "{y1}", first[i].text), "{prompt}", p)
	}
	// y1 is cut from the left when the critique prompt is too long.
	second, err := answerFit(m, codec, crit, prompts, first, o)
	if err != nil {
		return nil, err
	}
	rep := &ContaminationReport{Members: len(members), NonMembers: len(nonmembers), AUC: map[string]float64{},
		AccMember: math.NaN(), AccNonMember: math.NaN()}
	score := map[string][2][]float64{}
	var same, acc [2]float64
	for i, p := range prompts {
		side := 1
		if i < len(members) {
			side = 0
		}
		a, b := first[i], second[i]
		it := ProbeItem{Member: side == 0, Prompt: p, Y1: a.text, Y2: b.text,
			SelfCritique: SelfCritiqueScore(a.ent, b.ent), NegNLL: stat.Mean(a.lp, nil), MinK: MinK(a.lp, o.MinKRatio), NegEntropy: -stat.Mean(a.ent, nil)}
		if o.Grade != nil {
			j := i
			if side == 1 {
				j -= len(members)
			}
			it.Correct = o.Grade(side == 0, j, a.text)
			if it.Correct {
				acc[side]++
			}
		}
		if a.text == b.text {
			same[side]++
		}
		rep.Items = append(rep.Items, it)
		for k, v := range map[string]float64{"self_critique": it.SelfCritique, "ppl": it.NegNLL, "min_k": it.MinK, "entropy": it.NegEntropy} {
			s := score[k]
			s[side] = append(s[side], v)
			score[k] = s
		}
	}
	for _, k := range Detectors {
		rep.AUC[k] = AUC(score[k][0], score[k][1])
	}
	nm, nn := float64(len(members)), float64(len(nonmembers))
	rep.SameMember, rep.SameNonMember = same[0]/nm, same[1]/nn
	if o.Grade != nil {
		rep.AccMember, rep.AccNonMember = acc[0]/nm, acc[1]/nn
	}
	return rep, nil
}

// ans is one greedy answer: its text (stop token excluded), the log-prob
// and the full-softmax entropy at each generated position (stop token
// included).
type ans struct {
	text    string
	lp, ent []float64
}

// answer decodes each prompt greedily and scores the answers.
func answer(m *lm.Model, codec Codec, prompts []string, o ContaminationOptions) ([]ans, error) {
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		t, err := codec.Encode(p)
		if err != nil {
			return nil, fmt.Errorf("contamination: prompt %q: %w", p, err)
		}
		ids[i] = append([]int32{o.BOS}, t...)
		if len(ids[i]) >= m.Cfg.MaxPositionEmbeddings {
			return nil, fmt.Errorf("contamination: prompt %q is %d tokens, the model holds %d", p, len(ids[i]), m.Cfg.MaxPositionEmbeddings)
		}
	}
	return generateScored(m, codec, ids, o)
}

// answerFit is answer on the critique prompts, cutting y1 from the left
// (keeping its end, where the answer is) until the prompt leaves room for
// at least a quarter of MaxNew tokens; without y1 it is the plain prompt
// repeated by the template.
func answerFit(m *lm.Model, codec Codec, crit, prompts []string, first []ans, o ContaminationOptions) ([]ans, error) {
	limit := m.Cfg.MaxPositionEmbeddings - max(1, o.MaxNew/4)
	ids := make([][]int32, len(crit))
	for i := range crit {
		y1 := first[i].text
		for {
			c := strings.ReplaceAll(strings.ReplaceAll(o.Template, "{y1}", y1), "{prompt}", prompts[i])
			t, err := codec.Encode(c)
			if err != nil {
				return nil, fmt.Errorf("contamination: critique prompt %q: %w", c, err)
			}
			if len(t)+1 <= limit || y1 == "" {
				if len(t)+1 >= m.Cfg.MaxPositionEmbeddings {
					return nil, fmt.Errorf("contamination: critique prompt %q does not fit %d positions", c, m.Cfg.MaxPositionEmbeddings)
				}
				ids[i] = append([]int32{o.BOS}, t...)
				break
			}
			r := []rune(y1)
			y1 = string(r[min(len(r), max(1, len(t)+1-limit)):])
		}
	}
	return generateScored(m, codec, ids, o)
}

// generateScored decodes greedily, then rescored with Score for the
// full-softmax entropies, in chunks of 64 prompts.
func generateScored(m *lm.Model, codec Codec, ids [][]int32, o ContaminationOptions) ([]ans, error) {
	out := make([]ans, len(ids))
	const chunk = 64
	for lo := 0; lo < len(ids); lo += chunk {
		hi := min(lo+chunk, len(ids))
		maxNew := o.MaxNew
		for _, p := range ids[lo:hi] {
			maxNew = min(maxNew, m.Cfg.MaxPositionEmbeddings-len(p))
		}
		g, err := m.Generate(ids[lo:hi], lm.SampleOptions{Temperature: 0, MaxNew: max(1, maxNew), Stop: []int32{o.EOS}}, nil)
		if err != nil {
			return nil, fmt.Errorf("contamination: generate: %w", err)
		}
		T := 0
		for k := range g.Tokens {
			T = max(T, len(ids[lo+k])+len(g.Tokens[k]))
		}
		b := &lm.Batch{Rows: hi - lo, Len: T, Tokens: make([]int32, (hi-lo)*T), Mask: make([]float32, (hi-lo)*T)}
		for k, gen := range g.Tokens {
			p := ids[lo+k]
			copy(b.Tokens[k*T:], p)
			copy(b.Tokens[k*T+len(p):], gen)
			for j := range gen {
				b.Mask[k*T+len(p)+j] = 1
			}
		}
		s, err := m.Score(b)
		if err != nil {
			return nil, fmt.Errorf("contamination: score: %w", err)
		}
		for k, gen := range g.Tokens {
			p := ids[lo+k]
			a := ans{}
			text := gen
			if len(text) > 0 && text[len(text)-1] == o.EOS {
				text = text[:len(text)-1]
			}
			a.text = codec.Decode(text)
			for j := range gen {
				a.lp = append(a.lp, float64(s.LogProbs[k*T+len(p)+j]))
				a.ent = append(a.ent, float64(s.Entropies[k*T+len(p)+j]))
			}
			out[lo+k] = a
		}
	}
	return out, nil
}

// ModelDir resolves a model directory: dir itself when it holds
// model.safetensors, else (a run directory) its latest checkpoint.
func ModelDir(dir string) (string, error) { return modelDir(dir) }
