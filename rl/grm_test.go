package rl

import (
	"slices"
	"testing"
)

// Card B15: n = 2, k = 4 judgements (7,5), (6,6), (8,4), (3,9): plain
// voting sums (24, 24), a tie; meta-RM scores [0.9, 0.2, 0.8, 0.1] keep
// judgements 1 and 3 (k_meta = 2) → (15, 9) → response 1. The RL reward
// with label best = response 1: (7,5) → +1, (6,6) → -1 (not strict).
func TestGRMCard(t *testing.T) {
	scores := [][]int{{7, 5}, {6, 6}, {8, 4}, {3, 9}}
	sums, top := Vote(scores, nil, 0)
	if !slices.Equal(sums, []int{24, 24}) || !slices.Equal(top, []int{0, 1}) {
		t.Fatalf("plain vote %v top %v", sums, top)
	}
	near(t, "tie credit", VoteCredit(top, 0), 0.5, 0)
	sums, top = Vote(scores, []float64{0.9, 0.2, 0.8, 0.1}, 2)
	if !slices.Equal(sums, []int{15, 9}) || !slices.Equal(top, []int{0}) {
		t.Fatalf("meta-guided vote %v top %v", sums, top)
	}
	near(t, "reward (7,5)", GRMReward(true, -1), 1, 0)
	near(t, "reward (6,6)", GRMReward(false, -1), -1, 0)
	// an unparsed judgement does not vote; none valid: no top, no credit
	sums, top = Vote([][]int{nil, {2, 9}, nil}, nil, 0)
	if !slices.Equal(sums, []int{2, 9}) || !slices.Equal(top, []int{1}) {
		t.Fatalf("vote with unparsed %v %v", sums, top)
	}
	if _, top = Vote([][]int{nil, nil}, nil, 0); len(top) != 0 || VoteCredit(top, 0) != 0 {
		t.Fatalf("no valid judgement voted: top %v", top)
	}
}

func TestRFTKeep(t *testing.T) {
	for _, tc := range []struct{ in, want []bool }{
		{[]bool{true, false, true}, []bool{true, false, true}},
		{[]bool{true, true}, []bool{false, false}}, // too easy
		{[]bool{false, false}, []bool{false, false}},
	} {
		if got := RFTKeep(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("RFTKeep(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// VoteAtK averages the credit over subsets: three judgements, two right
// ((7,5), (9,2)) and one wrong ((1,10)). k = 1: 2/3. k = 2: subsets
// {a,b} (16,7) right, {a,c} (8,15) wrong, {b,c} (10,12) wrong → 1/3.
// k = 3: (17,17) tie → 1/2. Random subsets agree with the exhaustive
// average when the bound is small.
func TestVoteAtK(t *testing.T) {
	s := [][]int{{7, 5}, {9, 2}, {1, 10}}
	near(t, "k=1", VoteAtK(s, nil, 0, 0, 1, 100, 1), 2.0/3, 1e-12)
	near(t, "k=2", VoteAtK(s, nil, 0, 0, 2, 100, 1), 1.0/3, 1e-12)
	near(t, "k=3", VoteAtK(s, nil, 0, 0, 3, 100, 1), 0.5, 1e-12)
	near(t, "k=2 sampled", VoteAtK(s, nil, 0, 0, 2, 2, 1), VoteAtK(s, nil, 0, 0, 2, 2, 1), 0) // deterministic
	if v := VoteAtK(s, nil, 0, 0, 4, 100, 1); v != 0 {
		t.Errorf("k > n: %v", v)
	}
	// meta-guided: the wrong judgement has the lowest meta score, so with
	// k_meta = k/2 every pair votes with its better judgement.
	near(t, "k=2 meta", VoteAtK(s, []float64{0.9, 0.8, 0.1}, 0.5, 0, 2, 100, 1), 1, 1e-12)
}
