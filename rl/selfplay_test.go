package rl

import (
	"math"
	"testing"
)

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestSPORewards: card B13's numeric examples.
func TestSPORewards(t *testing.T) {
	for _, tc := range []struct {
		name string
		J    [][]float64 // judge, first slot = row
		sym  bool
		want []float64
	}{
		// 1 ≻ 2, 1 ≻ 3, 2 ≻ 3 (P_ij = 1 - P_ji given explicitly).
		{"transitive", [][]float64{{0.5, 1, 1}, {0, 0.5, 1}, {0, 0, 0.5}}, false, []float64{1, 0.5, 0}},
		// 1 ≻ 2 ≻ 3 ≻ 1: no update on a perfectly intransitive triple.
		{"cycle", [][]float64{{0.5, 1, 0}, {0, 0.5, 1}, {1, 0, 0.5}}, false, []float64{0.5, 0.5, 0.5}},
		// A judge that prefers whatever is in the first slot with 0.8.
		{"position bias", [][]float64{{0.5, 0.8, 0.8}, {0.8, 0.5, 0.8}, {0.8, 0.8, 0.5}}, true, []float64{0.5, 0.5, 0.5}},
	} {
		P := tc.J
		if tc.sym {
			P = SymmetrizePreference(tc.J)
			for i := range P {
				for j := range P[i] {
					if !closeTo(P[i][j], 0.5, 1e-12) {
						t.Fatalf("%s: symmetrised P[%d][%d] = %v, want 0.5", tc.name, i, j, P[i][j])
					}
				}
			}
		}
		got := SPORewards(P, false)
		for i := range got {
			if !closeTo(got[i], tc.want[i], 1e-12) {
				t.Fatalf("%s: R = %v, want %v", tc.name, got, tc.want)
			}
		}
		adv := GRPOAdvantages(got, [][]int{{0, 1, 2}}, true)
		if tc.name == "cycle" {
			for _, a := range adv {
				if a != 0 {
					t.Fatalf("cycle: advantages %v, want 0", adv)
				}
			}
		}
	}
	// include_self: (sum_{j≠i} P_ij + 1/2) / N, here (2 + 0.5) / 3.
	if got := SPORewards([][]float64{{0.5, 1, 1}, {0, 0.5, 1}, {0, 0, 0.5}}, true); !closeTo(got[0], 2.5/3, 1e-12) || !closeTo(got[2], 0.5/3, 1e-12) {
		t.Fatalf("include_self: %v", got)
	}
	if got := WinRate([][]float64{{1, 0}, {0.5, 0.5}}); got != 0.5 {
		t.Fatalf("WinRate = %v, want 0.5", got)
	}
}

// TestINPOPairLoss: card B1's numeric example. η = 0.0075, τ = 0.0025;
// log π(y_w, y_l) = (-10, -12), ref (-11, -12), π_t (-10.5, -12):
// h = 2 - 1/3·1 - 2/3·1.5 = 0.6667, L = (0.6667 - 66.667)^2 = 4356.0,
// dL/dΔ = 2(h - 66.667) = -132.
func TestINPOPairLoss(t *testing.T) {
	c := INPO{Eta: 0.0075, TauOverEta: 0.0025 / 0.0075, PairSelection: "copeland", LogpReduction: "sum"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	loss, d := c.PairLoss([2]float64{-10, -12}, [2]float64{-11, -12}, [2]float64{-10.5, -12})
	if !closeTo(loss, 4356.0, 1e-6) || !closeTo(d, -132, 1e-9) {
		t.Fatalf("loss %v, dL/dmargin %v; want 4356, -132", loss, d)
	}
}

// TestINPOPair: Copeland picks the most and the fewest wins, oriented by P.
func TestINPOPair(t *testing.T) {
	// Samples 0 ≻ 1, 0 ≻ 2, 1 ≻ 2 and 3 ties with everyone: Copeland scores
	// 0: 2.5, 1: 1.5, 2: 0.5, 3: 1.5 -> pair (0, 2).
	P := [][]float64{{0.5, 1, 1, 0.5}, {0, 0.5, 1, 0.5}, {0, 0, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}}
	c := INPO{PairSelection: "copeland"}
	if w, l, ok := c.Pair(P, SPORewards(P, false)); !ok || w != 0 || l != 2 {
		t.Fatalf("copeland pair (%d, %d, %v), want (0, 2, true)", w, l, ok)
	}
	// All tie: no pair.
	T := [][]float64{{0.5, 0.5}, {0.5, 0.5}}
	if _, _, ok := c.Pair(T, []float64{0.5, 0.5}); ok {
		t.Fatal("a tied group gave a pair")
	}
	// maxmin by reward, then oriented by P: rewards say 1 is best, but P
	// says 0 ≻ 1, so the pair is (0, 1).
	m := INPO{PairSelection: "maxmin"}
	if w, l, ok := m.Pair([][]float64{{0.5, 1}, {0, 0.5}}, []float64{0, 1}); !ok || w != 0 || l != 1 {
		t.Fatalf("maxmin pair (%d, %d, %v), want (0, 1, true)", w, l, ok)
	}
}

// rps is rock-paper-scissors: rps[i][j] = P(i ≻ j).
var rps = [][]float64{{0.5, 0, 1}, {1, 0.5, 0}, {0, 1, 0.5}}

// TestINPOTabular: card B1's tabular check. (a) Gradient descent on the
// population INPO loss over an exact softmax table reaches the closed-form
// step. (b) Iterating the closed form from a skewed start with a uniform
// reference converges to the uniform (Nash) policy of rock-paper-scissors.
func TestINPOTabular(t *testing.T) {
	ref := []float64{1. / 3, 1. / 3, 1. / 3}
	pit := []float64{0.6, 0.3, 0.1}
	eta, r := 1.0, 1.0/3
	c := INPO{Eta: eta, TauOverEta: r}
	want := INPOStep(ref, pit, rps, eta, r)
	theta := make([]float64, 3)
	for it := 0; it < 20000; it++ {
		var g [3]float64
		for y := range 3 {
			for y2 := range 3 {
				if y == y2 {
					continue
				}
				// The pair (y, y2) is drawn with weight π_t(y)π_t(y2) and
				// oriented y ≻ y2 with probability P(y ≻ y2).
				wgt := pit[y] * pit[y2] * rps[y][y2]
				if wgt == 0 {
					continue
				}
				_, d := c.PairLoss([2]float64{theta[y], theta[y2]}, [2]float64{math.Log(ref[y]), math.Log(ref[y2])},
					[2]float64{math.Log(pit[y]), math.Log(pit[y2])})
				g[y] += wgt * d
				g[y2] -= wgt * d
			}
		}
		for k := range theta {
			theta[k] -= 0.5 * g[k]
		}
	}
	z := 0.0
	for _, v := range theta {
		z += math.Exp(v)
	}
	for y := range 3 {
		if got := math.Exp(theta[y]) / z; !closeTo(got, want[y], 1e-6) {
			t.Fatalf("SGD table %v, closed form %v", theta, want)
		}
	}
	// (b) the iterates approach the Nash (uniform) policy.
	p := pit
	for range 300 {
		p = INPOStep(ref, p, rps, eta, r)
	}
	for y := range 3 {
		if !closeTo(p[y], 1./3, 1e-6) {
			t.Fatalf("after 300 iterations %v, want uniform", p)
		}
	}
}

// TestExIt: card B5's numeric examples.
func TestExIt(t *testing.T) {
	if got := ExItScore([]float64{1, 0, 1, 1}); !closeTo(got, 0.1875, 1e-12) {
		t.Fatalf("score %v, want 0.1875", got)
	}
	for _, tc := range []struct{ rNew, rPrev, want float64 }{{1, 0.5, 1}, {0, 0.5, 0}, {0.75, 0.5, 0.5}, {1, 1, 0}} {
		if got := ExItImprovement(tc.rNew, tc.rPrev); !closeTo(got, tc.want, 1e-12) {
			t.Fatalf("improvement(%v, %v) = %v, want %v", tc.rNew, tc.rPrev, got, tc.want)
		}
	}
	p, err := ExItProbs([]float64{0.25, 0}, "softmax", 1)
	if err != nil || !closeTo(p[0], 0.562, 5e-4) || !closeTo(p[1], 0.438, 5e-4) {
		t.Fatalf("softmax probs %v (%v), want [0.562 0.438]", p, err)
	}
	// rank, kappa 1: weights 1, 1/2, 1/3 by descending score.
	p, _ = ExItProbs([]float64{0.1, 0.2, 0}, "rank", 1)
	if !closeTo(p[1], 6./11, 1e-12) || !closeTo(p[0], 3./11, 1e-12) || !closeTo(p[2], 2./11, 1e-12) {
		t.Fatalf("rank probs %v", p)
	}
	if _, err := ExItProbs([]float64{1}, "best", 1); err == nil {
		t.Fatal("unknown priority accepted")
	}
	if got := ExItEvict([]float64{0.2, 0, 0.1, 0}, 2); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("evict %v, want [1 3]", got)
	}
}

// TestSPC: card D2's numeric examples (a)-(c).
func TestSPC(t *testing.T) {
	c := SPC{ClipEps: 0.2, SFTCoef: 0.15}
	// (a) token log-probs [-0.5, -1.5] (mean -1.0), reference [-1.0, -1.4]
	// (mean -1.2): ρ = exp(0.2) = 1.2214.
	lbar, lref := (-0.5-1.5)/2, (-1.0-1.4)/2
	if l, d := c.SPCSample(1, lbar, lref); !closeTo(l, -1.2, 1e-12) || d != 0 {
		t.Fatalf("R=+1: loss %v grad %v, want -1.2 (clipped, no gradient)", l, d)
	}
	if l, d := c.SPCSample(-1, lbar, lref); !closeTo(l, 1.2214, 1e-4) || !closeTo(d, 1.2214, 1e-4) {
		t.Fatalf("R=-1: loss %v grad %v, want 1.2214 unclipped", l, d)
	}
	// (b) a won game (ρ = 1.2214 → -1.2), a lost game (ρ = 0.7 → 0.8) and
	// an SFT record with l̄ = -0.8: L = (-1.2 + 0.8)/2 + 0.15·0.8 = -0.08.
	recs := []SPCRecord{{R: 1, Lbar: lbar, LbarRef: lref}, {R: -1, Lbar: math.Log(0.7), LbarRef: 0}, {SFT: true, Lbar: -0.8}}
	loss, d := c.SPCLoss(recs)
	if !closeTo(loss, -0.08, 1e-9) {
		t.Fatalf("batch loss %v, want -0.08", loss)
	}
	// lost game, ρ = 0.7 < 0.8: the clipped term -R·0.8 = 0.8 is the max,
	// so the loss is clipped (no gradient); SFT: -0.15/1.
	if d[0] != 0 || d[1] != 0 || !closeTo(d[2], -0.15, 1e-12) {
		t.Fatalf("gradients %v", d)
	}
	// (c) the game's rewards.
	for _, tc := range []struct {
		verdict     string
		wrong       bool
		critic, gen float64
	}{{"-", true, 1, -1}, {"+", true, -1, 1}, {"x", true, -1, 1}, {"+", false, 1, 0}, {"-", false, -1, 0}} {
		if cr, g := SPCGame(tc.verdict, tc.wrong, -1); cr != tc.critic || g != tc.gen {
			t.Fatalf("verdict %q on wrong=%v: critic %v generator %v, want %v %v", tc.verdict, tc.wrong, cr, g, tc.critic, tc.gen)
		}
	}
}
