package rl

import (
	"slices"
	"testing"
)

func srpoDefaults() SRPO {
	return SRPO{Eps: 0.5, MinSamples: 2, Steepness: 10, Offset: 0.5, FailScale: 0.6, GroupKey: "problem"}
}

// Card B4: one success at the origin (one point: no DBSCAN cluster, the
// centre is the mean) and failures at distances 1, 2, 3 → n = 0, 0.5, 1 →
// 0.6 σ(10 (0.5 − n)) = 0.59598, 0.30000, 0.00402; the success keeps 1.
// Failures at one distance all get 0.6 σ(0) = 0.3.
func TestSRPOCard(t *testing.T) {
	c := srpoDefaults()
	r := c.Rewards([]bool{true, false, false, false}, [][]float64{{0, 0}, {1, 0}, {0, 2}, {-3, 0}})
	for i, want := range []float64{1, 0.59598, 0.30000, 0.00402} {
		near(t, "reward", r[i], want, 5e-6)
	}
	r = c.Rewards([]bool{false, true, false}, [][]float64{{0, 1}, {0, 0}, {1, 0}})
	near(t, "equal distances", r[0], 0.3, 1e-12)
	near(t, "equal distances", r[2], 0.3, 1e-12)
	// No success or no failure: 1 and 0 stay; an all-zero embedding gets 0.
	if r := c.Rewards([]bool{false, false}, [][]float64{{1}, {2}}); r[0] != 0 || r[1] != 0 {
		t.Errorf("no success: %v", r)
	}
	if r := c.Rewards([]bool{true, false, false}, [][]float64{{1}, {0}, {3}}); r[1] != 0 {
		t.Errorf("zero embedding rewarded %v", r[1])
	}
}

// Two tight clusters of successes (standardised, eps 0.5) give two
// centres: a failure next to either is rewarded like the nearest; an
// isolated success is noise and does not pull a centre.
func TestSRPOClusters(t *testing.T) {
	pts := [][]float64{{0, 0}, {0.1, 0}, {5, 5}, {5.1, 5}, {20, -20}}
	if got := DBSCAN(pts, 0.5, 2); !slices.Equal(got, []int{0, 0, 1, 1, -1}) {
		t.Fatalf("DBSCAN labels %v", got)
	}
	// A chain: 0 - 0.4 - 0.8 are density-connected at eps 0.5.
	if got := DBSCAN([][]float64{{0}, {0.4}, {0.8}, {3}}, 0.5, 2); !slices.Equal(got, []int{0, 0, 0, -1}) {
		t.Fatalf("chain labels %v", got)
	}
	c := srpoDefaults()
	c.Eps = 0.1 // in standardised units the pairs are 0.01 apart, the clusters ~1.4
	succ := [][]float64{{0, 0}, {0.1, 0}, {5, 5}, {5.1, 5}}
	ce := c.centres(succ)
	if len(ce) != 2 {
		t.Fatalf("centres %v", ce)
	}
	near(t, "centre", ce[0][0], 0.05, 1e-12)
	near(t, "centre", ce[1][0], 5.05, 1e-12)
	emb := append(succ, []float64{5.05, 6}, []float64{0.05, 1}, []float64{2.5, 2.5})
	r := c.Rewards([]bool{true, true, true, true, false, false, false}, emb)
	near(t, "both failures next to a centre", r[4], r[5], 1e-12)
	if !(r[4] > r[6]) {
		t.Errorf("the failure between the clusters (%v) should get less than the ones next to them (%v)", r[6], r[4])
	}
	bad := srpoDefaults()
	bad.GroupKey = "task"
	if bad.Validate() == nil {
		t.Error("group_key task accepted")
	}
}
