package rl

import (
	"fmt"
	"regexp"
	"strings"
)

// SSRL (Self-Search RL, arXiv 2508.10874; card C6 of
// shared/cards/cards-C.md, checked against TsinghuaC3I/SSRL's
// reward_manager/naive.py format_reward and compute_score_em and
// ray_trainer.py create_information_loss_mask): the policy plays a
// search agent without a search engine. One generation holds the whole
// trajectory — queries, the "retrieved" information the policy writes
// itself from its parametric knowledge, the answer — the self-written
// information tokens are masked from the loss (treated as observations),
// and the reward is rule-based:
//
//	R = EMWeight·EM + FormatWeight·F                (0.9·EM + 0.1·F)
//	loss mask m_t = response_t ∧ ¬info_t            (info_t: inside an <info>…</info> span, tags included)
//	F = min(HalfPerThink·T, 1) · ρ,  ρ = min(T, S+1) / max(T, S+1)
//
// with T the number of think blocks and S the number of search blocks,
// and F = 0 when the structure is broken: a tag outside the four
// (think, search, info, answer); the response not opening with <think>
// or not ending with </answer>; fewer than 4 tags; an empty tag content;
// a query spanning lines or holding a placeholder ("your query"); the
// first two tags not <think></think> or the last two not
// <answer></answer>; a <search> not followed immediately by
// </search><info></info>; #search ≠ #info; T > MaxThink. EM compares the
// last answer, normalised (lower case, punctuation and the articles a,
// an, the dropped, spaces collapsed), with each gold answer (here: the
// task's grade of the answer line, our answers being numbers). After
// training the policy runs with a real engine filling the information
// blocks (sim2real), with no further training.
//
// Tiny-scale form (CHOICE, ours; Tags): our retrieval environment has no
// think tags and answers with the task's answer line ("#### 42"), not an
// answer tag. With Tags.Think empty the think rules are dropped and
// T = S+1 (so ρ = 1, and F = min(HalfPerThink·(S+1), 1): 0.5 for an
// answer without search, 1 with one or more); with Tags.Answer empty the
// answer rules become "the response ends with a non-empty answer line
// after the last tag" and EM is the task's grade of that line; the
// fewer-than-4-tags rule is then dropped (a direct answer has no tag).
// MaskMultiline false replicates the code's regex without DOTALL, which
// leaves a multi-line information block unmasked (replication only).
// Not implemented: the entropy-guided mix of real and self search at
// inference (the card's `entropy_guided`, off by default).
type SSRL struct {
	EMWeight        float64 `yaml:"em_weight" json:"em_weight"`
	FormatWeight    float64 `yaml:"format_weight" json:"format_weight"`
	HalfPerThink    float64 `yaml:"format_half_per_think" json:"format_half_per_think"`
	MaxThink        int     `yaml:"max_think" json:"max_think"`
	MaskInformation bool    `yaml:"mask_information" json:"mask_information"`
	MaskMultiline   bool    `yaml:"mask_multiline_info" json:"mask_multiline_info"`
}

// Validate checks the weights and limits.
func (c SSRL) Validate() error {
	if c.EMWeight < 0 || c.FormatWeight < 0 || c.EMWeight+c.FormatWeight == 0 || c.HalfPerThink <= 0 || c.MaxThink < 1 {
		return fmt.Errorf("ssrl: em_weight, format_weight >= 0 (not both 0), format_half_per_think > 0, max_think >= 1")
	}
	return nil
}

// Reward is EMWeight·EM + FormatWeight·F.
func (c SSRL) Reward(em bool, format float64) float64 {
	r := c.FormatWeight * format
	if em {
		r += c.EMWeight
	}
	return r
}

// SSRLTags names the tags of a self-search trajectory; Think or Answer
// empty selects the tiny-scale form (see SSRL). AnswerPrefix opens the
// answer line when Answer is empty.
type SSRLTags struct {
	Think, Search, Info, Answer string
	AnswerPrefix                string
}

var tagRE = regexp.MustCompile(`<(/?)([A-Za-z_][A-Za-z0-9_]*)>`)

// ssrlPlaceholders are query texts the code rejects as template copies.
var ssrlPlaceholders = []string{"your query", "query here", "search query"}

// Format is the format score F of a response (see SSRL).
func (c SSRL) Format(text string, tg SSRLTags) float64 {
	text = strings.TrimSpace(text)
	type tag struct {
		close      bool
		name       string
		start, end int
	}
	var tags []tag
	for _, m := range tagRE.FindAllStringSubmatchIndex(text, -1) {
		tags = append(tags, tag{close: m[3] > m[2], name: text[m[4]:m[5]], start: m[0], end: m[1]})
	}
	known := map[string]bool{tg.Search: true, tg.Info: true}
	if tg.Think != "" {
		known[tg.Think] = true
	}
	if tg.Answer != "" {
		known[tg.Answer] = true
	}
	T, S, I := 0, 0, 0
	for i, t := range tags {
		if !known[t.name] {
			return 0
		}
		if t.close {
			continue
		}
		// every open tag is closed by the next tag, with content between
		if i+1 >= len(tags) || !tags[i+1].close || tags[i+1].name != t.name {
			return 0
		}
		content := text[t.end:tags[i+1].start]
		if strings.TrimSpace(content) == "" {
			return 0
		}
		switch t.name {
		case tg.Think:
			T++
		case tg.Search:
			S++
			if strings.Contains(content, "\n") {
				return 0
			}
			low := strings.ToLower(content)
			for _, p := range ssrlPlaceholders {
				if strings.Contains(low, p) {
					return 0
				}
			}
			// </search> then <info></info> immediately (in the tag sequence)
			if i+3 >= len(tags) || tags[i+2].close || tags[i+2].name != tg.Info || !tags[i+3].close || tags[i+3].name != tg.Info {
				return 0
			}
		case tg.Info:
			I++
		}
	}
	if S != I {
		return 0
	}
	if tg.Answer != "" {
		n := len(tags)
		if len(tags) < 4 || tags[n-2].name != tg.Answer || tags[n-2].close || !strings.HasSuffix(text, "</"+tg.Answer+">") {
			return 0
		}
	} else {
		rest := text
		if len(tags) > 0 {
			rest = text[tags[len(tags)-1].end:]
		}
		lines := strings.Split(strings.TrimSpace(rest), "\n")
		last := strings.TrimSpace(lines[len(lines)-1])
		prefix := strings.TrimSpace(tg.AnswerPrefix)
		if !strings.HasPrefix(last, prefix) || strings.TrimSpace(last[len(prefix):]) == "" {
			return 0
		}
	}
	if tg.Think != "" {
		if len(tags) < 2 || tags[0].name != tg.Think || tags[0].close || !strings.HasPrefix(text, "<"+tg.Think+">") {
			return 0
		}
	} else {
		T = S + 1
	}
	if T > c.MaxThink {
		return 0
	}
	rho := float64(min(T, S+1)) / float64(max(T, S+1))
	return min(c.HalfPerThink*float64(T), 1) * rho
}

// InfoSpans returns the byte spans [start, end) of the <info>…</info>
// blocks of a response, tags included: the tokens the loss masks. With
// multiline false a block holding a newline is skipped (the code's regex
// without DOTALL; replication only).
func (c SSRL) InfoSpans(text, info string) [][2]int {
	open, close := "<"+info+">", "</"+info+">"
	var out [][2]int
	for at := 0; ; {
		i := strings.Index(text[at:], open)
		if i < 0 {
			return out
		}
		i += at
		j := strings.Index(text[i+len(open):], close)
		if j < 0 {
			return out
		}
		end := i + len(open) + j + len(close)
		if c.MaskMultiline || !strings.Contains(text[i:end], "\n") {
			out = append(out, [2]int{i, end})
		}
		at = end
	}
}
