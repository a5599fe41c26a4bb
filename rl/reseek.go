package rl

import "fmt"

// ReSeek (Self-Correcting Search Agents, arXiv 2510.00568; card C5 of
// shared/cards/cards-C.md, checked against TencentBAC/ReSeek's
// search_r1_like_qa_em_s4.py compute_score): after every retrieval the
// policy opens its next turn with a JUDGE tag saying whether the retrieved
// information is useful (Yes) or not (No), and may then discard it and
// search again; each judgement is rewarded against a label from the ground
// truth, which densifies the sparse exact-match reward:
//
//	R = R_ans + Σ_i r_i                      (R = 0 when there is no answer: no judge reward either)
//	R_ans = 1[EM]                            (SpamReward, 0.25, when the text has > SpamLimit answer tags)
//	r_i = CorrectJudge + AnswerBoost          j_i = Yes and the answer is correct (the label is not checked)
//	r_i = CorrectJudge + AnswerBoost·1[EM]    the judgement is right (Yes ∧ u_i, or No ∧ ¬u_i)
//	r_i = WrongYes                            Yes ∧ ¬u_i (and a wrong answer)
//	r_i = WrongNo                             No ∧ u_i
//
// over the pairs (info_i, j_i) of each retrieval and the judge tag after
// it (a retrieval without a tag after it earns nothing). Defaults, the
// code's: CorrectJudge 0.3, AnswerBoost 0.1, WrongYes −0.6, WrongNo −0.3
// (accepting junk costs twice rejecting good information), SpamLimit 10,
// SpamReward 0.25.
//
// The usefulness label u_i (CHOICE, knob UsefulLabel): "answer_substring"
// (the code: the gold answer is a substring of the information; here the
// string "=ANSWER", so a 2-digit answer does not match inside another
// number — the card's tiny analog) or "answer_or_bridge" (also useful when
// it holds a gold fact of an earlier hop, which the answer-only label
// calls useless). Not implemented: the v1 paper's dropping of rejected
// observations from the context (the v3 paper and the code keep them, as
// here) and the reranker label (a BGE model).
type ReSeek struct {
	CorrectJudge float64 `yaml:"correct_judge" json:"correct_judge"`
	AnswerBoost  float64 `yaml:"answer_boost" json:"answer_boost"`
	WrongYes     float64 `yaml:"wrong_yes" json:"wrong_yes"`
	WrongNo      float64 `yaml:"wrong_no" json:"wrong_no"`
	UsefulLabel  string  `yaml:"useful_label" json:"useful_label"`
	SpamLimit    int     `yaml:"answer_tag_spam_limit" json:"answer_tag_spam_limit"`
	SpamReward   float64 `yaml:"spam_answer_reward" json:"spam_answer_reward"`
}

// Validate checks the knobs.
func (c ReSeek) Validate() error {
	if c.UsefulLabel != "answer_substring" && c.UsefulLabel != "answer_or_bridge" {
		return fmt.Errorf("reseek: useful_label %q: want answer_substring or answer_or_bridge", c.UsefulLabel)
	}
	if c.SpamLimit < 1 {
		return fmt.Errorf("reseek: answer_tag_spam_limit must be >= 1")
	}
	return nil
}

// JudgedInfo is one retrieval's label and the policy's judgement of it
// (+1 Yes, −1 No, 0 no judgement).
type JudgedInfo struct {
	Useful bool
	Judge  int
}

// ReSeekReward is R for an episode: answered (the answer line exists),
// correct (exact match), answerTags (answer tags in the text), and its
// judged retrievals. It also returns the judge part Σ r_i and how many
// pairs took the "Yes and correct" shortcut.
func (c ReSeek) Reward(answered, correct bool, answerTags int, pairs []JudgedInfo) (total, judge float64, shortcuts int) {
	if !answered {
		return 0, 0, 0
	}
	ans := 0.0
	if correct {
		ans = 1
		if answerTags > c.SpamLimit {
			ans = c.SpamReward
		}
	}
	boost := 0.0
	if correct {
		boost = c.AnswerBoost
	}
	for _, p := range pairs {
		switch {
		case p.Judge == 0:
		case p.Judge > 0 && correct:
			judge += c.CorrectJudge + c.AnswerBoost
			shortcuts += b2i(!p.Useful)
		case (p.Judge > 0) == p.Useful:
			judge += c.CorrectJudge + boost
		case p.Judge > 0:
			judge += c.WrongYes
		default:
			judge += c.WrongNo
		}
	}
	return ans + judge, judge, shortcuts
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
