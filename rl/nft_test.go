package rl

import (
	"math"
	"testing"
)

// The card's example: a group of 4 with verdicts [1,0,0,0], r = 0.25.
func TestNFTCardExample(t *testing.T) {
	n := DefaultNFT()
	r := n.Rate(0.25)
	cases := []struct {
		name       string
		normalize  int
		R          float64
		correct    bool
		loss, grad float64
	}{
		{"on-policy correct, normalize 1", 1, 1, true, 0, -0.75},
		{"on-policy wrong, normalize 1", 1, 1, false, 0, 0.25},
		{"on-policy correct, normalize 2", 2, 1, true, 0, -1.7321},
		{"on-policy wrong, normalize 2", 2, 1, false, 0, 0.5774},
		{"wrong R=1.2: proxy 0.9333 floored to 1", 1, 1.2, false, 0, 0.3},
		{"wrong R=0.8: proxy 1.0667", 1, 0.8, false, -0.0484, 0.1875},
		{"correct R=1.2", 1, 1.2, true, -0.1367, -0.75},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n.Normalize = c.normalize
			l, g := n.Loss(math.Log(c.R), r, c.correct)
			if math.Abs(l-c.loss) > 1e-4 || math.Abs(g-c.grad) > 1e-4 {
				t.Fatalf("loss, grad = %.4f, %.4f; want %.4f, %.4f", l, g, c.loss, c.grad)
			}
		})
	}
	// Without the floor the R=1.2 gradient is r R / ((1-r) proxy) * (1-r) = 0.3214.
	n.Normalize, n.ClampNegative = 1, 0
	if _, g := n.Loss(math.Log(1.2), r, false); math.Abs(g-0.3214) > 1e-4 {
		t.Fatalf("unfloored gradient %.4f, want 0.3214", g)
	}
}

// On policy, NFT with normalize 2 is GRPO with the population standard
// deviation: d l / d log pi = -A for every token (claim (i) of the card).
func TestNFTOnPolicyIsGRPO(t *testing.T) {
	n := DefaultNFT()
	n.Normalize = 2
	for _, verdicts := range [][]float64{{1, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0, 1}, {0, 1, 1, 1, 1}} {
		var mean float64
		for _, v := range verdicts {
			mean += v
		}
		mean /= float64(len(verdicts))
		std := math.Sqrt(mean * (1 - mean)) // population std of 0/1 rewards
		r := n.Rate(mean)
		for _, v := range verdicts {
			A := (v - mean) / std
			_, g := n.Loss(0, r, v == 1)
			if math.Abs(g+A) > 1e-12 {
				t.Fatalf("verdicts %v, reward %v: gradient %v, want -A = %v", verdicts, v, g, -A)
			}
		}
	}
}

// Finite differences of the loss against its derivative, off policy, in
// the unclamped region of both branches and for RFT (neg_weight 0).
func TestNFTGradientFiniteDifference(t *testing.T) {
	for _, norm := range []int{0, 1, 2} {
		for _, negW := range []float64{1, 0} {
			n := DefaultNFT()
			n.Normalize, n.NegWeight, n.ClampNegative = norm, negW, 0
			for _, r := range []float64{0.1, 0.5, 0.9} {
				for _, delta := range []float64{-0.7, -0.1, 0.05} {
					for _, correct := range []bool{true, false} {
						if !correct && 1-r*math.Exp(delta) <= 0 {
							continue
						}
						const h = 1e-6
						lp, _ := n.Loss(delta+h, r, correct)
						lm, _ := n.Loss(delta-h, r, correct)
						_, g := n.Loss(delta, r, correct)
						if fd := (lp - lm) / (2 * h); math.Abs(fd-g) > 1e-6*math.Max(1, math.Abs(g)) {
							t.Fatalf("norm %d negW %v r %v delta %v correct %v: grad %v, finite difference %v", norm, negW, r, delta, correct, g, fd)
						}
					}
				}
			}
		}
	}
}

func TestNFTValidate(t *testing.T) {
	bad := []func(*NFT){
		func(n *NFT) { n.RatioType = "tok" },
		func(n *NFT) { n.Normalize = 3 },
		func(n *NFT) { n.RateLo = 0 },
		func(n *NFT) { n.RateHi = 1 },
		func(n *NFT) { n.NegWeight = -1 },
		func(n *NFT) { n.RatioLogMax = 0 },
	}
	for i, f := range bad {
		n := DefaultNFT()
		f(&n)
		if n.Validate() == nil {
			t.Errorf("case %d: %+v validated", i, n)
		}
	}
	if err := DefaultNFT().Validate(); err != nil {
		t.Fatal(err)
	}
}
