package rl

import (
	"math"
	"slices"
	"testing"
)

// Card D3: logπ(y_w) = -5, logπ_ref(y_w) = -6, logπ(y_l) = -4,
// logπ_ref(y_l) = -4.5, β = 0.1 → margin 0.05, loss log(1 + e^-0.05) =
// 0.6685, dL/dmargin = -σ(-0.05) = -0.4875, so dL/dlogπ(y_w) = -0.04875.
func TestDPOCard(t *testing.T) {
	d := DPO{Beta: 0.1}
	near(t, "margin", d.Margin(-5, -6, -4, -4.5), 0.05, 1e-12)
	loss, dW, dL := d.Pair(-5, -6, -4, -4.5, 3)
	near(t, "loss", loss, 0.6685, 1e-4)
	near(t, "dW", dW, -0.1*0.4875, 1e-5)
	near(t, "dL", dL, 0.1*0.4875, 1e-5)
	// equal log-prob ratios: margin 0, loss log 2
	loss, _, _ = d.Pair(-3, -3, -7, -7, 1)
	near(t, "loss at margin 0", loss, math.Ln2, 1e-12)
	// a huge margin neither overflows nor loses the sign of the gradient
	loss, dW, _ = DPO{Beta: 1}.Pair(0, -2000, -2000, 0, 1)
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 0 || dW > 0 {
		t.Fatalf("margin 4000: loss %v dW %v", loss, dW)
	}
	loss, dW, _ = DPO{Beta: 1}.Pair(-2000, 0, 0, -2000, 1)
	near(t, "loss at margin -4000", loss, 4000, 1e-9)
	near(t, "dW at margin -4000", dW, -1, 1e-12)
}

// The analytic gradients match central finite differences, with and
// without the NLL term on the chosen response.
func TestDPOFiniteDifferences(t *testing.T) {
	for _, d := range []DPO{{Beta: 0.1}, {Beta: 0.5, NLL: 0.3}, {Beta: 2}} {
		for _, x := range [][4]float64{{-5, -6, -4, -4.5}, {-12, -9, -3, -8}, {-0.5, -0.4, -20, -1}} {
			const h = 1e-6
			_, dW, dL := d.Pair(x[0], x[1], x[2], x[3], 4)
			lp, _, _ := d.Pair(x[0]+h, x[1], x[2], x[3], 4)
			lm, _, _ := d.Pair(x[0]-h, x[1], x[2], x[3], 4)
			near(t, "dW", dW, (lp-lm)/(2*h), 1e-6)
			lp, _, _ = d.Pair(x[0], x[1], x[2]+h, x[3], 4)
			lm, _, _ = d.Pair(x[0], x[1], x[2]-h, x[3], 4)
			near(t, "dL", dL, (lp-lm)/(2*h), 1e-6)
		}
	}
}

// Card D3's curation: gold 4; scores [4,4,2,5,4], meta-judge flags
// [1,0,0,1,1] → chosen order [0,4,1], rejected order [2,3] → with P = 2 the
// pairs (0,2), (4,3).
func TestScorePairsCard(t *testing.T) {
	tests := []struct {
		name   string
		scores []int
		good   []bool
		p      int
		want   [][2]int
	}{
		{"card", []int{4, 4, 2, 5, 4}, []bool{true, false, false, true, true}, 2, [][2]int{{0, 2}, {4, 3}}},
		{"no meta-judge", []int{4, 4, 2, 5, 4}, nil, 0, [][2]int{{0, 2}, {1, 3}}},
		{"unscored is farthest", []int{1, -1, 4, 3}, nil, 0, [][2]int{{2, 1}, {}}[:1]},
		{"all right: none", []int{4, 4}, nil, 0, [][2]int{}},
		{"all wrong: none", []int{1, 2}, nil, 0, [][2]int{}},
	}
	for _, tt := range tests {
		got := ScorePairs(tt.scores, 4, tt.good, tt.p)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: pairs %v, want %v", tt.name, got, tt.want)
		}
	}
}
