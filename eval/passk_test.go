package eval

import (
	"math"
	"testing"
)

// Card 0b's numeric test.
func TestPassAtKCard(t *testing.T) {
	for _, tc := range []struct {
		n, c, k int
		want    float64
	}{{5, 2, 1, 0.4}, {5, 2, 2, 0.7}, {5, 4, 2, 1}, {5, 0, 3, 0}, {5, 5, 5, 1}} {
		if got := PassAtK(tc.n, tc.c, tc.k); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("pass@%d(n=%d,c=%d) = %v, want %v", tc.k, tc.n, tc.c, got, tc.want)
		}
	}
	// The estimator equals the exact average over all k-subsets.
	n, c, k := 7, 3, 3
	var hit, tot float64
	for mask := 0; mask < 1<<n; mask++ {
		bits, anyCorrect := 0, false
		for i := 0; i < n; i++ {
			if mask>>i&1 == 1 {
				bits++
				anyCorrect = anyCorrect || i < c
			}
		}
		if bits == k {
			tot++
			if anyCorrect {
				hit++
			}
		}
	}
	if got := PassAtK(n, c, k); math.Abs(got-hit/tot) > 1e-12 {
		t.Errorf("pass@3 = %v, enumeration gives %v", got, hit/tot)
	}
}

func TestMajorityCard(t *testing.T) {
	v := func(a string, ok bool) Vote { return Vote{a, ok} }
	if got := Majority([]Vote{v("7", true), v("7", true), v("9", false)}, TieFractional); got != 1 {
		t.Errorf("[7,7,9] = %v, want 1", got)
	}
	if got := Majority([]Vote{v("7", true), v("9", false), v("", false)}, TieFractional); got != 0.5 {
		t.Errorf("[7,9,None] = %v, want 0.5", got)
	}
	if got := Majority([]Vote{v("9", false), v("7", true)}, TieFirstSeen); got != 0 {
		t.Errorf("first-seen tie = %v, want 0", got)
	}
	// maj@2 of [7,7,9] by enumeration: subsets {7,7}:1, {7,9}x2: 0.5 -> 2/3.
	if got := MajAtK([]Vote{v("7", true), v("7", true), v("9", false)}, 2, 1000, TieFractional, 1); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("maj@2 = %v, want 2/3", got)
	}
}
