package rl

import (
	"math"
	"testing"
)

// The card's example (B12): answers [A,A,B,B,B], ProcessBench verdicts
// [-1,-1,3,2,-1] (s = 1 for -1), gold A: the s-weighted vote picks A
// (weight 2 against 1), plain majority picks B; F1(0.6, 0.9) = 0.72.
func TestSelfPRMCardExample(t *testing.T) {
	answers := []string{"A", "A", "B", "B", "B"}
	correct := []bool{true, true, false, false, false}
	verdicts := []int{-1, -1, 3, 2, -1}
	w := make([]float64, len(verdicts))
	for i, v := range verdicts {
		if v == -1 {
			w[i] = 1
		}
	}
	if got := WeightedVote(answers, correct, w); got != 1 {
		t.Fatalf("self-PRM vote accuracy %v, want 1 (A)", got)
	}
	if got := WeightedVote(answers, correct, make([]float64, 5)); got != 0 {
		t.Fatalf("all-zero weights fall back to majority: accuracy %v, want 0 (B)", got)
	}
	// best-of-N by s: samples 0, 1, 4 tie at 1; their majority is A.
	if got := BestOfN(answers, correct, w); got != 1 {
		t.Fatalf("best-of-N %v, want 1", got)
	}
	if got := ProcessF1(0.6, 0.9); math.Abs(got-0.72) > 1e-12 {
		t.Fatalf("F1 %v, want 0.72", got)
	}
	// AUC: right {0.8, 0.3} over wrong {0.4, 0.8}: 0.8>0.4, 0.8=0.8 (1/2),
	// 0.3 loses both: 1.5/4.
	if got := AUC([]float64{0.8, 0.3}, []float64{0.4, 0.8}); got != 0.375 {
		t.Fatalf("AUC %v, want 0.375", got)
	}
	if !math.IsNaN(AUC(nil, []float64{1})) {
		t.Fatal("AUC of an empty side must be NaN")
	}
	if ProcessF1(0, 0) != 0 {
		t.Fatal("F1(0, 0) must be 0")
	}
}

// Hand-computed aggregation and reranking: three samples of one problem
// with step scores
//
//	s0 = [1, 0.5, 0.25] (wrong, answer 7)
//	s1 = [0.5, 0.5, 1]  (right, answer 9)
//	s2 = [1, 1, 0.4]    (wrong, answer 8)
//
//	         min   mean    product  last
//	s0       0.25  0.5833  0.125    0.25
//	s1       0.5   0.6667  0.25     1
//	s2       0.4   0.8     0.4      0.4
//
// best-of-N picks s1 under min and last (accuracy 1), s2 under mean and
// product (accuracy 0). Predicted first wrong step at threshold 0.5:
// s0 -> 2, s1 -> -1, s2 -> 2.
func TestSelfPRMAggregationAndRerank(t *testing.T) {
	steps := [][]float64{{1, 0.5, 0.25}, {0.5, 0.5, 1}, {1, 1, 0.4}}
	answers := []string{"7", "9", "8"}
	correct := []bool{false, true, false}
	want := map[string][]float64{
		"min":     {0.25, 0.5, 0.4},
		"mean":    {7.0 / 12, 2.0 / 3, 0.8},
		"product": {0.125, 0.25, 0.4},
		"last":    {0.25, 1, 0.4},
	}
	wantBest := map[string]float64{"min": 1, "mean": 0, "product": 0, "last": 1}
	for agg, ws := range want {
		c := SelfPRM{StepScore: "logprob", Aggregate: agg, Threshold: 0.5}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		scores := make([]float64, len(steps))
		for i, s := range steps {
			scores[i] = c.Aggregated(s)
			if math.Abs(scores[i]-ws[i]) > 1e-12 {
				t.Fatalf("%s of %v = %v, want %v", agg, s, scores[i], ws[i])
			}
		}
		if got := BestOfN(answers, correct, scores); got != wantBest[agg] {
			t.Fatalf("%s: best-of-N %v, want %v", agg, got, wantBest[agg])
		}
	}
	c := SelfPRM{StepScore: "recompute", Aggregate: "min", Threshold: 0.5}
	for i, w := range []int{2, -1, 2} {
		if got := c.FirstWrong(steps[i]); got != w {
			t.Fatalf("first wrong of %v = %d, want %d", steps[i], got, w)
		}
	}
	// Ties between answers are shared: two answers with weight 1 each,
	// one right.
	if got := WeightedVote([]string{"1", "2"}, []bool{true, false}, []float64{1, 1}); got != 0.5 {
		t.Fatalf("tied vote %v, want 0.5", got)
	}
}

func TestSelfPRMValidate(t *testing.T) {
	for _, c := range []SelfPRM{
		{StepScore: "judge", Aggregate: "min", Threshold: 0.5},
		{StepScore: "recompute", Aggregate: "max", Threshold: 0.5},
		{StepScore: "recompute", Aggregate: "min", Threshold: 2},
	} {
		if c.Validate() == nil {
			t.Fatalf("%+v: want an error", c)
		}
	}
}
