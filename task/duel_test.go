package task

import (
	"math"
	"testing"
)

// TestDuelPreference checks by code that the duel's preference is a game
// without a Condorcet winner whose Nash equilibrium is 1/3 paper,
// scissors, well: antisymmetric, non-transitive (paper ≻ well ≻ scissors
// ≻ paper), every move beaten by some move, no move winning more than
// 1/2 against the Nash mixture, which beats rock with 2/3 and the default
// reference mixture with 0.55·2/3 + 0.45·1/2 = 0.5917.
func TestDuelPreference(t *testing.T) {
	d := &Duel{Mix: []float64{0.55, 0.15, 0.15, 0.15}}
	p := Problem{Question: "duel 1"}
	moves := d.Strategies(p)
	P := func(a, b string) float64 { return d.Prefer(p, a, b) }
	for _, a := range append(moves, "#### rok", "no answer") {
		for _, b := range append(moves, "#### rok", "no answer") {
			if s := P(a, b) + P(b, a); s != 1 {
				t.Fatalf("P(%q ≻ %q) + P(%q ≻ %q) = %v", a, b, b, a, s)
			}
		}
		if a != "#### rok" && a != "no answer" && P(a, "no answer") != 1 {
			t.Fatalf("%q does not beat a completion without a move", a)
		}
	}
	rock, paper, scissors, well := moves[0], moves[1], moves[2], moves[3]
	if P(paper, well) != 1 || P(well, scissors) != 1 || P(scissors, paper) != 1 {
		t.Fatal("paper ≻ well ≻ scissors ≻ paper does not hold")
	}
	for _, a := range moves {
		beaten := false
		for _, b := range moves {
			beaten = beaten || P(b, a) == 1
		}
		if !beaten {
			t.Fatalf("%q is a Condorcet winner", a)
		}
	}
	nash := map[string]float64{paper: 1. / 3, scissors: 1. / 3, well: 1. / 3}
	vsNash := func(a string) float64 {
		var s float64
		for b, w := range nash {
			s += w * P(a, b)
		}
		return s
	}
	for _, a := range moves {
		if v := vsNash(a); v > 0.5+1e-12 {
			t.Fatalf("%q wins %v > 1/2 against the Nash mixture", a, v)
		}
	}
	if v := 1 - vsNash(rock); math.Abs(v-2./3) > 1e-12 {
		t.Fatalf("P(Nash ≻ rock) = %v, want 2/3", v)
	}
	var vsRef float64
	for i, a := range moves {
		vsRef += d.Mix[i] * (1 - vsNash(a))
	}
	if math.Abs(vsRef-(0.55*2./3+0.45*0.5)) > 1e-12 || math.Abs(vsRef-0.591667) > 1e-6 {
		t.Fatalf("P(Nash ≻ reference) = %v, want 0.5917", vsRef)
	}
	if d.Class("x\n#### well") != "well" || d.Class("#### wel") != "" {
		t.Fatal("Class misreads a move")
	}
}
