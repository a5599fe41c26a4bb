package control

import "testing"

// The card's PRDC example: normalised dataset s = [0, 1, 2], a = [0.5,
// -0.5, 0.9], beta 2 -> X = [(0, 0.5), (2, -0.5), (4, 0.9)]; batch s =
// [0.6, 2.0], pi = [0.2, 0.8], Q = [3, -1], alpha 2.5. Keys (1.2, 0.2)
// and (4.0, 0.8) -> neighbours 1 and 2, â = [-0.5, 0.9]; L_dc = (0.49 +
// 0.01)/2 = 0.25, lambda = 2.5/2 = 1.25, L = -1.25 + 0.25 = -1.0,
// dL/dpi = [0.7, -0.1]. With beta 1 row 1's neighbour is 0 (â = 0.5).
func TestPRDCByHand(t *testing.T) {
	obs, act := []float32{0, 1, 2}, []float32{0.5, -0.5, 0.9}
	bs, pi := []float32{0.6, 2.0}, []float64{0.2, 0.8}
	for _, backend := range []string{"kdtree", "brute"} {
		ix, err := newPRDCIndex(obs, act, 1, 1, 2, backend)
		if err != nil {
			t.Fatal(err)
		}
		aHat, js := ix.targets(bs, pi, 2)
		if js[0] != 1 || js[1] != 2 {
			t.Fatalf("%s: neighbours %v, want [1 2]", backend, js)
		}
		l, dQ, dPi := prdcActorLoss([]float64{3, -1}, pi, aHat, 2.5)
		near(t, "loss", l, -1.0)
		near(t, "dQ", dQ[0], -0.625)
		near(t, "dPi0", dPi[0], 0.7)
		near(t, "dPi1", dPi[1], -0.1)
		ix1, _ := newPRDCIndex(obs, act, 1, 1, 1, backend)
		aHat1, js1 := ix1.targets(bs, pi, 2)
		if js1[0] != 0 || js1[1] != 2 || aHat1[0] != 0.5 {
			t.Fatalf("%s beta 1: neighbours %v (â %v), want [0 2]", backend, js1, aHat1)
		}
	}
	if _, err := newPRDCIndex(obs, act, 1, 1, 2, "ball"); err == nil {
		t.Fatal("unknown nn_backend accepted")
	}
}

// bcLoss by hand: pi = [0.5, -1], a = [0, 1] -> (0.25 + 4)/2 = 2.125,
// dL/dpi = [0.5, -2].
func TestBCLossByHand(t *testing.T) {
	l, d := bcLoss([]float64{0.5, -1}, []float64{0, 1})
	near(t, "loss", l, 2.125)
	near(t, "d0", d[0], 0.5)
	near(t, "d1", d[1], -2)
}
