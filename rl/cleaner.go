package rl

import (
	"fmt"
	"sort"
)

// CLEANER (Self-Purified Trajectories for tool-using agents, arXiv
// 2601.15141; card C3 of shared/cards/cards-C.md, checked against
// Tianshi-Xu/Open-CLEANER's tool_agent_loop.py): when a tool call fails
// and the policy's regenerated turn calls again, the failed attempt and its
// error message are deleted from the trajectory that is trained on, and the
// retry is spliced in where the failure was (Similarity-Aware Adaptive
// Rollback, SAAR). The reward, advantages and loss are plain GRPO's on the
// purified trajectory.
//
// Splice rule, with s the Ratcliff/Obershelp similarity of the old and the
// new call (Python difflib's SequenceMatcher.ratio),
//
//	s = 2·M / (|a| + |b|),  M = total size of the matching blocks of a and b
//
//	s <  γ: the whole old turn is replaced by the new turn ("deep reasoning substitution")
//	s >= γ: the old turn's reasoning prefix is kept, only its call is replaced ("shallow execution repair")
//
// Per trajectory SAAR is on with probability RollbackProb (one draw u <
// p_rb). At a failed call with retries < MaxRetries the next turn is the
// retry: a retry without a call is kept as it is (the error stays) and
// SAAR turns off; after MaxRetries failed retries the last failing call
// stays with its error and SAAR turns off; SAAR also turns off after
// MaxTotalAttempts tool calls in the trajectory.
//
// Our form (CHOICE, documented in run/cleaner.go): the paper regenerates
// the turn inside the rollout; here the environment's next turn after an
// error is that regeneration (sampled with the error in context, as in the
// paper), and the purification rewrites the finished episode before
// grading. The later turns were therefore sampled after the failed attempt,
// not after the purified context; the outcome is unchanged. Knobs:
// RollbackProb (p_rb, 1.0), MaxRetries (R_max, 3), SimilarityThreshold
// (γ, 0.5), SimilarityScope ("call_only": the call's input, as the card's
// tiny analog; "with_markers": the call with its tags, as the code),
// MaxTotalAttempts (30), FailureMarker (an observation starting with it is
// a failed call; "<error>"), Rescore (recompute the old log-probs of a
// purified episode on the stored sequence, as the code does: the ratio
// starts at 1 on spliced tokens).
type CLEANER struct {
	RollbackProb        float64 `yaml:"rollback_probability" json:"rollback_probability"`
	MaxRetries          int     `yaml:"max_tool_retries" json:"max_tool_retries"`
	SimilarityThreshold float64 `yaml:"similarity_threshold" json:"similarity_threshold"`
	SimilarityScope     string  `yaml:"similarity_scope" json:"similarity_scope"`
	MaxTotalAttempts    int     `yaml:"max_total_tool_attempts" json:"max_total_tool_attempts"`
	FailureMarker       string  `yaml:"failure_marker" json:"failure_marker"`
	Rescore             bool    `yaml:"rescore" json:"rescore"`
}

// Validate checks the knobs.
func (c CLEANER) Validate() error {
	if c.RollbackProb < 0 || c.RollbackProb > 1 || c.MaxRetries < 0 || c.SimilarityThreshold < 0 || c.SimilarityThreshold > 1 || c.MaxTotalAttempts < 1 {
		return fmt.Errorf("cleaner: rollback_probability and similarity_threshold in [0, 1], max_tool_retries >= 0, max_total_tool_attempts >= 1")
	}
	if c.SimilarityScope != "call_only" && c.SimilarityScope != "with_markers" {
		return fmt.Errorf("cleaner: similarity_scope %q: want call_only or with_markers", c.SimilarityScope)
	}
	if c.FailureMarker == "" {
		return fmt.Errorf("cleaner: failure_marker must not be empty")
	}
	return nil
}

// ToolTurn is one policy turn of a tool episode as CLEANER sees it.
type ToolTurn struct {
	Text      string // the turn's text
	CallStart int    // byte offset of its call (the opening tag) in Text; -1: no call
	Input     string // the call's input (between the tags)
	Failed    bool   // the call's observation was an error
}

// KeptTurn is a turn of the purified trajectory: the reasoning prefix of
// turn Prefix (Text[:CallStart]) followed by turn From's call
// (Text[CallStart:]), or, when Prefix == From, turn From as it is. The
// observation after it is the one that followed turn From.
type KeptTurn struct {
	Prefix, From int
	Deep         bool // a rollback replaced the whole turn (s < γ)
}

// PurifyStats counts what a purification did.
type PurifyStats struct {
	Rollbacks, Deep, Shallow int
}

// Purify returns the turns of the purified trajectory, in order, for a
// trajectory whose SAAR draw was enabled (u < p_rb); disabled, every
// turn is kept as it is.
func (c CLEANER) Purify(turns []ToolTurn, enabled bool) ([]KeptTurn, PurifyStats) {
	var out []KeptTurn
	var st PurifyStats
	attempts := 0
	for i := 0; i < len(turns); {
		cur := KeptTurn{Prefix: i, From: i}
		last := i
		if turns[i].CallStart >= 0 {
			attempts++
		}
		for retries := 0; enabled && turns[last].CallStart >= 0 && turns[last].Failed && last+1 < len(turns); retries++ {
			if attempts > c.MaxTotalAttempts || retries >= c.MaxRetries {
				enabled = false // the last failing call stays with its error
				break
			}
			next := turns[last+1]
			if next.CallStart < 0 {
				enabled = false // a retry without a call is kept as it is
				break
			}
			attempts++
			s := Ratio(c.callText(turns[cur.From]), c.callText(next))
			st.Rollbacks++
			if s < c.SimilarityThreshold {
				cur = KeptTurn{Prefix: last + 1, From: last + 1, Deep: true}
				st.Deep++
			} else {
				cur = KeptTurn{Prefix: cur.Prefix, From: last + 1, Deep: cur.Deep}
				st.Shallow++
			}
			last++
		}
		out = append(out, cur)
		i = last + 1
	}
	return out, st
}

// callText is the text the similarity compares.
func (c CLEANER) callText(t ToolTurn) string {
	if c.SimilarityScope == "with_markers" && t.CallStart >= 0 {
		return t.Text[t.CallStart:]
	}
	return t.Input
}

// Ratio is difflib.SequenceMatcher(None, a, b).ratio() over code points:
// 2·M/(|a|+|b|) (1 for two empty strings), M the total size of the
// matching blocks found by recursively taking the longest common block
// (ties: earliest in a, then earliest in b) and matching on either side of
// it. With |b| >= 200, elements of b occurring more than 1 + |b|/100 times
// are "popular" and cannot start a match (difflib's autojunk).
func Ratio(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra)+len(rb) == 0 {
		return 1
	}
	return 2 * float64(matches(ra, rb)) / float64(len(ra)+len(rb))
}

// matches is the total size of difflib's matching blocks.
func matches(a, b []rune) int {
	b2j := map[rune][]int{}
	for j, r := range b {
		b2j[r] = append(b2j[r], j)
	}
	if n := len(b); n >= 200 {
		limit := n/100 + 1
		for r, js := range b2j {
			if len(js) > limit {
				delete(b2j, r)
			}
		}
	}
	longest := func(alo, ahi, blo, bhi int) (int, int, int) {
		bi, bj, bk := alo, blo, 0
		j2len := map[int]int{}
		for i := alo; i < ahi; i++ {
			next := map[int]int{}
			for _, j := range b2j[a[i]] {
				if j < blo {
					continue
				}
				if j >= bhi {
					break
				}
				k := j2len[j-1] + 1
				next[j] = k
				if k > bk {
					bi, bj, bk = i-k+1, j-k+1, k
				}
			}
			j2len = next
		}
		// difflib extends the block over equal elements (popular ones
		// included; there is no junk function).
		for bi > alo && bj > blo && a[bi-1] == b[bj-1] {
			bi, bj, bk = bi-1, bj-1, bk+1
		}
		for bi+bk < ahi && bj+bk < bhi && a[bi+bk] == b[bj+bk] {
			bk++
		}
		return bi, bj, bk
	}
	type span struct{ alo, ahi, blo, bhi int }
	queue := []span{{0, len(a), 0, len(b)}}
	type block struct{ i, j, k int }
	var blocks []block
	for len(queue) > 0 {
		s := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		i, j, k := longest(s.alo, s.ahi, s.blo, s.bhi)
		if k == 0 {
			continue
		}
		blocks = append(blocks, block{i, j, k})
		if s.alo < i && s.blo < j {
			queue = append(queue, span{s.alo, i, s.blo, j})
		}
		if i+k < s.ahi && j+k < s.bhi {
			queue = append(queue, span{i + k, s.ahi, j + k, s.bhi})
		}
	}
	sort.Slice(blocks, func(x, y int) bool { return blocks[x].i < blocks[y].i })
	m := 0
	for _, bl := range blocks {
		m += bl.k
	}
	return m
}
