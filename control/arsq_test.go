package control

import (
	"math"
	"testing"
)

// The card's coarse-to-fine examples (levels 3, bins 5): 0.3 -> [3, 1,
// 1], decoded 0.304; -0.95 -> [0, 0, 3], -0.944; 1.0 -> [4, 4, 4], 0.992.
func TestC2FEncodeByHand(t *testing.T) {
	for _, c := range []struct {
		a    float64
		bins []int
		dec  float64
	}{{0.3, []int{3, 1, 1}, 0.304}, {-0.95, []int{0, 0, 3}, -0.944}, {1.0, []int{4, 4, 4}, 0.992}} {
		got := c2fEncode(c.a, 3, 5)
		for l := range got {
			if got[l] != c.bins[l] {
				t.Fatalf("encode(%v) = %v, want %v", c.a, got, c.bins)
			}
		}
		near(t, "decode", c2fDecode(got, 5), c.dec)
	}
}

// Soft advantages by hand, alpha 0.5, f = [1, 0]: lse = 0.5 log(e^2 +
// 1) = 1.063464; A = [-0.063464, -1.063464]; pi = softmax(f/0.5) =
// [0.880797, 0.119203]. The loss with V = 2, one sub-decision, chosen 0,
// y = 1: Q = 1.936536, L = 0.936536^2 = 0.877100, dL/dV = 1.873072, dL/df =
// 1.873072 [1 - 0.880797, -0.119203] = [0.223274, -0.223274].
func TestARSQLossByHand(t *testing.T) {
	adv, pi := softAdvantage([]float64{1, 0}, 0.5)
	near(t, "A0", adv[0], -0.063464)
	near(t, "A1", adv[1], -1.063464)
	near(t, "pi0", pi[0], 0.880797)
	l, q, dV, dF := arsqLoss(2, [][]float64{{1, 0}}, []int{0}, 1, 0.5)
	near(t, "Q", q, 1.936536)
	near(t, "L", l, 0.877100)
	near(t, "dV", dV, 1.873072)
	near(t, "dF0", dF[0][0], 0.223274)
	near(t, "dF1", dF[0][1], -0.223274)
}

// The card's 2-D one-step bandit (bins {L, R} per dimension, one level):
// (R,R) r = 1 x2, (R,L) -1 x4, (L,R) -1 x4, (L,L) 0.1 x10. Trained on
// these rows (gamma 0), the auto-regressive network's greedy action is
// (R, R) (exact conditional values: V(a1=R) = 1.0, V(a1=L) = 0.100002);
// the factorised ablation's is (L, L) (per-dimension least squares:
// Q(R) = -0.333333 < Q(L) = -0.214286 in both dimensions).
func TestARSQBandit(t *testing.T) {
	box := boxSpec{od: 1, ad: 2, low: []float64{-1, -1}, high: []float64{1, 1}, scale: []float64{1, 1}, bias: []float64{0, 0}}
	var rows batch
	add := func(a1, a2, r float64, times int) {
		for i := 0; i < times; i++ {
			rows.obs = append(rows.obs, 0)
			rows.next = append(rows.next, 0)
			rows.act = append(rows.act, a1, a2)
			rows.rew = append(rows.rew, r)
			rows.nd = append(rows.nd, 0)
		}
	}
	const L, R = -0.5, 0.5
	add(R, R, 1, 2)
	add(R, L, -1, 4)
	add(L, R, -1, 4)
	add(L, L, 0.1, 10)
	for _, ar := range []bool{true, false} {
		cfg := DefaultARSQ("", "")
		cfg.Levels, cfg.Bins, cfg.Alpha, cfg.Autoregressive, cfg.Hidden, cfg.LR = 1, 2, 0.1, ar, []int{32, 32}, 3e-3
		n, err := newARSQNets(box, cfg, len(rows.rew), rngFor(5))
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		for step := 0; step < 1500; step++ {
			loss, _ = n.update(rows, 0, 0.02, cfg.LR)
		}
		a := n.act([]float32{0}, true, nil)
		want := L
		if ar {
			want = R
		}
		if math.Abs(a[0]-want) > 1e-9 || math.Abs(a[1]-want) > 1e-9 {
			t.Errorf("autoregressive %v: greedy action %v, want (%v, %v); final loss %.4f", ar, a, want, want, loss)
		}
	}
}
