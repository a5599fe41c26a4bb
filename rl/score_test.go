package rl

import (
	"math"
	"testing"
)

// Card C2's numeric test, by hand: α = 10 shapes (r1, r2) = (0,1) → 11,
// (1,0) → −10, (1,1) → 1, (0,0) → 0; the group [11, 0, 1, −10] has mean
// 0.5, deviations [10.5, −0.5, 0.5, −10.5], population variance
// (110.25 + 0.25 + 0.25 + 110.25) / 4 = 55.25, std 7.43303, so advantages
// [1.4126, −0.0673, 0.0673, −1.4126]. Stage I: policy log-probs
// [−0.5, −1.0], base [−0.7, −0.9]: k1 = 0.2 − 0.1 = 0.1, objective
// 1 − 0.1·0.1 = 0.99.
func TestSCoReCard(t *testing.T) {
	c := SCoRe{Alpha: 10, Beta1: 0.01, Beta2: 0.1, Stage1Steps: 2, Turn1Credit: "own", KLEstimator: "k3", AdvStd: "population"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	r1 := []float64{0, 1, 1, 0}
	r2 := []float64{1, 0, 1, 0}
	for i, want := range []float64{11, -10, 1, 0} {
		near("shaped", c.ShapedSecond(r1[i], r2[i]), want, 0)
	}
	ret1, ret2, train1 := c.Returns(2, r1, r2)
	if !train1 {
		t.Error("stage II must train the first attempt")
	}
	for i, want := range []float64{0, 1, 1, 0} {
		near("stage II turn-1 return", ret1[i], want, 0)
	}
	// The card's group order: [11, 0, 1, −10].
	ret := []float64{ret2[0], ret2[3], ret2[2], ret2[1]}
	near("population std", math.Sqrt(55.25), 7.43303, 1e-5)
	adv := c.Advantages(ret, Groups(4, 4))
	for i, want := range []float64{1.4126, -0.0673, 0.0673, -1.4126} {
		near("turn-2 advantage", adv[i], want, 1e-4)
	}
	near("10.5/std", adv[0], 10.5/math.Sqrt(55.25), 1e-6)

	// Stage I: second-attempt return r̂_2, no PG on y1, β2 on y1 only.
	ret1, ret2, train1 = c.Returns(1, r1, r2)
	if train1 {
		t.Error("stage I must not train y1 by default")
	}
	for i := range r2 {
		near("stage I turn-2 return", ret2[i], r2[i], 0)
	}
	if y1, y2 := c.KLCoefs(1); y1 != 0.1 || y2 != 0 {
		t.Errorf("stage I KL coefs %v %v, want 0.1 0", y1, y2)
	}
	if y1, y2 := c.KLCoefs(2); y1 != 0.01 || y2 != 0.01 {
		t.Errorf("stage II KL coefs %v %v, want 0.01 0.01", y1, y2)
	}
	if c.Stage(0) != 1 || c.Stage(1) != 1 || c.Stage(2) != 2 {
		t.Error("stage boundaries")
	}
	near("stage I objective", StageIObjective(1, []float64{-0.5, -1.0}, []float64{-0.7, -0.9}, 0.1, K1), 0.99, 1e-12)

	// reward_to_go credit: R_1 = r̂_1 + r̃_2.
	c.Turn1Credit = "reward_to_go"
	ret1, _, _ = c.Returns(2, r1, r2)
	for i, want := range []float64{11, -9, 2, 0} {
		near("reward-to-go turn-1 return", ret1[i], want, 0)
	}
	c.Stage1PGOnY1 = true
	if _, _, train1 = c.Returns(1, r1, r2); !train1 {
		t.Error("stage1_pg_on_y1")
	}
}
