package rl

import (
	"math"
	"testing"
)

// TestReSeekReward: the card's hand-computed rewards.
func TestReSeekReward(t *testing.T) {
	c := ReSeek{CorrectJudge: 0.3, AnswerBoost: 0.1, WrongYes: -0.6, WrongNo: -0.3, UsefulLabel: "answer_substring", SpamLimit: 10, SpamReward: 0.25}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		name              string
		answered, correct bool
		tags              int
		pairs             []JudgedInfo
		want, wantJudge   float64
		wantShortcuts     int
	}{
		// 1 + (0.3 + 0.1) + (0.3 + 0.1)
		{"correct, right Yes and right No", true, true, 1, []JudgedInfo{{true, 1}, {false, -1}}, 1.8, 0.8, 0},
		// 0 − 0.3 − 0.6 + 0.3
		{"wrong, wrong No, wrong Yes, right No", true, false, 1, []JudgedInfo{{true, -1}, {false, 1}, {false, -1}}, -0.6, -0.6, 0},
		{"no answer: nothing, even with perfect judgements", false, false, 0, []JudgedInfo{{true, 1}, {false, -1}}, 0, 0, 0},
		{"answer tag spam", true, true, 11, nil, 0.25, 0, 0},
		// a Yes on useless information is +0.4 when the answer is right
		{"Yes-and-correct shortcut", true, true, 1, []JudgedInfo{{false, 1}}, 1.4, 0.4, 1},
		{"wrong No before a correct answer", true, true, 1, []JudgedInfo{{true, -1}}, 0.7, -0.3, 0},
		{"no tag earns nothing", true, false, 1, []JudgedInfo{{true, 0}}, 0, 0, 0},
	} {
		got, judge, sc := c.Reward(k.answered, k.correct, k.tags, k.pairs)
		if math.Abs(got-k.want) > 1e-12 || math.Abs(judge-k.wantJudge) > 1e-12 || sc != k.wantShortcuts {
			t.Errorf("%s: R %v judge %v shortcuts %d, want %v %v %d", k.name, got, judge, sc, k.want, k.wantJudge, k.wantShortcuts)
		}
	}
	if (ReSeek{UsefulLabel: "reranker", SpamLimit: 10}).Validate() == nil {
		t.Error("an unknown label was accepted")
	}
}
