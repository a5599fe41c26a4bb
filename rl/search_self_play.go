package rl

import (
	"fmt"
	"strings"
)

// SearchSelfPlay (Search Self-play, SSP; card B8 of shared/cards/cards-B.md,
// checked against Alibaba-Quark/SSP's ssp_ray_trainer.py,
// problem_extraction.py and train_ssp.sh): one policy plays a proposer and
// a solver of search questions. Per step, for each ground-truth answer a:
//
//  1. the proposer, given a, searches and writes a question q (one sample
//     per answer, proposer_n = 1);
//
//  2. q passes a validity filter (Valid): it does not contain a, the
//     proposer made at least MinSearchCalls distinct searches, and its
//     searches retrieved documents;
//
//  3. RAG check: a reader without search answers q from the proposer's
//     retrieved documents mixed and shuffled with NoisyDocs documents of
//     other proposers' trajectories; q is accepted iff the answer is a;
//
//  4. the solver answers each accepted q SolverN times with search, reward
//     1[correct]; a rejected proposal's place goes to a previously
//     accepted question (Reuse) so the solver's batch keeps its size;
//
//  5. rewards and advantages:
//
//     solver:   GRPO over its SolverN rollouts,  A_j = (r_j - mean r) / std r
//     proposer: r_prop = 1 - s               (s = the solve rate of its question; "1-acc")
//     r_prop = 4·s·(1 - s) if 0 < s < 1, else 0   ("intermediate_difficulty")
//     r_prop = FormatPenalty (0) when q is rejected
//     A = r_prop (a singleton GRPO group: REINFORCE without a baseline)
//
// FormatPenalty stays 0: the paper reports that −0.1 collapsed the valid
// question rate to 0. Tool-output tokens are masked (the environment's
// observations are never trained).
//
// Tiny-scale form (CHOICE, ours): the answers are those of the step's
// task problems (the task's answers list); the corpus is the lookup
// task's fixed fact table; the reader of the RAG check is rule-based code
// (task.ResolveLookup: it follows the question's hops through the given
// documents), not a 32B LLM; validity also needs q to parse as a lookup
// question (the paper's length and word-count rules have no meaning for
// "f(17)"); MinSearchCalls defaults to 1 (the paper's 2, with up to 10
// turns); with no accepted question yet a rejected proposal's place goes
// to the step's own fixed problem.
type SearchSelfPlay struct {
	ProposerReward string  `yaml:"proposer_reward" json:"proposer_reward"` // "1-acc" or "intermediate_difficulty"
	MinSearchCalls int     `yaml:"min_search_calls" json:"min_search_calls"`
	UseRAGFilter   bool    `yaml:"use_rag_filter" json:"use_rag_filter"`
	NoisyDocs      int     `yaml:"noisy_rag_docs" json:"noisy_rag_docs"`
	FormatPenalty  float64 `yaml:"format_penalty" json:"format_penalty"`
	Reuse          bool    `yaml:"reuse" json:"reuse"`
	ReuseBuffer    int     `yaml:"reuse_buffer" json:"reuse_buffer"` // accepted questions kept for reuse
}

// Validate checks the knobs.
func (c SearchSelfPlay) Validate() error {
	if c.ProposerReward != "1-acc" && c.ProposerReward != "intermediate_difficulty" {
		return fmt.Errorf("search_self_play: proposer_reward %q: want 1-acc or intermediate_difficulty", c.ProposerReward)
	}
	if c.MinSearchCalls < 0 || c.NoisyDocs < 0 || c.ReuseBuffer < 1 {
		return fmt.Errorf("search_self_play: min_search_calls, noisy_rag_docs >= 0, reuse_buffer >= 1")
	}
	return nil
}

// Reward is the proposer's reward for a question the solver solved at
// rate s (accepted) or the format penalty (rejected).
func (c SearchSelfPlay) Reward(accepted bool, s float64) float64 {
	if !accepted {
		return c.FormatPenalty
	}
	if c.ProposerReward == "intermediate_difficulty" {
		if s <= 0 || s >= 1 {
			return 0
		}
		return 4 * s * (1 - s)
	}
	return 1 - s
}

// Valid is the validity filter of a proposal: a question, not containing
// the answer, from at least MinSearchCalls distinct queries that retrieved
// documents.
func (c SearchSelfPlay) Valid(question, answer string, queries []string, retrieved int) bool {
	question = strings.TrimSpace(question)
	if question == "" || strings.Contains(question, answer) || retrieved == 0 {
		return false
	}
	distinct := map[string]bool{}
	for _, q := range queries {
		distinct[strings.Join(strings.Fields(q), " ")] = true
	}
	return len(distinct) >= c.MinSearchCalls
}

// SolveRate is the share of correct solver rollouts.
func SolveRate(correct []bool) float64 {
	if len(correct) == 0 {
		return 0
	}
	n := 0
	for _, ok := range correct {
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(correct))
}
