package rl

import "testing"

// Card B9's RL example: a group of four whose correct responses have
// lengths 100 and 300 and two wrong answers: acc_g = 2/4 = 0.5, w_g =
// w0 * acc_g = 0.5 * 0.5 = 0.25; the 100-token response gets 0.25 * (300 -
// 100) / (300 - 100) = 0.25, the 300-token one 0.25 * 0 = 0, so with r = 1
// on correct answers R = [1.25, 1.0, 0, 0].
func TestEfficiencyCard(t *testing.T) {
	c := Efficiency{W0: 0.5, ScaleByAcc: true, LenUnit: "tokens"}
	correct := []bool{true, true, false, false}
	bonus, w := c.Bonuses(correct, []int{100, 300, 50, 400}, Groups(4, 4))
	near(t, "w_g", w[0], 0.25, 1e-12)
	want := []float64{1.25, 1.0, 0, 0}
	for i, b := range bonus {
		r := b
		if correct[i] {
			r++
		}
		near(t, "R", r, want[i], 1e-12)
	}
	// Without the accuracy scale the weight is w0: bonus 0.5 for the short one.
	bonus, _ = Efficiency{W0: 0.5, LenUnit: "tokens"}.Bonuses(correct, []int{100, 300, 50, 400}, Groups(4, 4))
	near(t, "bonus, unscaled", bonus[0], 0.5, 1e-12)
	// Three correct of lengths 10, 20, 30 in a group of 4 (acc 0.75, w_g =
	// 0.375): bonuses 0.375, 0.1875, 0; a group whose correct answers have
	// equal lengths (9, 9), or with one correct answer, gets none.
	bonus, _ = c.Bonuses([]bool{true, true, true, false, true, false, true, false, true, false, false, false}, []int{10, 20, 30, 5, 9, 3, 9, 1, 4, 8, 8, 8}, Groups(12, 4))
	for i, v := range []float64{0.375, 0.1875, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} {
		near(t, "bonus", bonus[i], v, 1e-12)
	}
	if (Efficiency{W0: -1, LenUnit: "tokens"}).Validate() == nil || (Efficiency{W0: 1, LenUnit: "words"}).Validate() == nil {
		t.Error("bad knobs must be refused")
	}
}
