package rl

import (
	"math"
	"testing"
)

// The card's ReST-MCTS* tree: root → A (→ A1 correct leaf, → A2 wrong
// leaf), root → B (wrong leaf).
func TestReSTTargets(t *testing.T) {
	//            root A  A1 A2 B
	parent := []int{-1, 0, 1, 1, 0}
	kind := []int{Inner, Inner, CorrectLeaf, WrongLeaf, WrongLeaf}
	v, m, reach, has := ReSTTargets(parent, kind)
	wantM := []float64{3, 2, 1, 2, 3}
	wantV := []float64{0, 0.5, 1.0, 0.25, 0}
	wantReach := []bool{true, true, true, false, false}
	for i := range parent {
		if m[i] != wantM[i] || math.Abs(v[i]-wantV[i]) > 1e-12 || reach[i] != wantReach[i] || !has[i] {
			t.Fatalf("node %d: m %v v %v reach %v has %v; want m %v v %v reach %v", i, m[i], v[i], reach[i], has[i], wantM[i], wantV[i], wantReach[i])
		}
	}
	// No correct leaf: no targets.
	_, _, _, has = ReSTTargets([]int{-1, 0, 0}, []int{Inner, WrongLeaf, WrongLeaf})
	for i, h := range has {
		if h {
			t.Fatalf("node %d has a target in a tree without a correct leaf", i)
		}
	}
}

func TestUCT(t *testing.T) {
	cases := []struct {
		value, visits, parent, c, f, want float64
	}{
		{2.0 / 4, 4, 16, 0.25, 1, 0.70814}, // card C4: value 2, visits 4
		{1.0 / 3, 3, 16, 0.25, 1, 0.57367}, // value 1, visits 3
		{0.5, 2, 8, 0.7, 2, 0.5 + 0.7*math.Sqrt(2*math.Log(8)/2)},
	}
	for _, c := range cases {
		if got := UCT(c.value, c.visits, c.parent, c.c, c.f); math.Abs(got-c.want) > 5e-6 {
			t.Fatalf("UCT(%v, %v, %v) = %.6f, want %.5f", c.value, c.visits, c.parent, got, c.want)
		}
	}
	if !math.IsInf(UCT(0, 0, 4, 1, 2), 1) {
		t.Fatal("an unvisited node must score +Inf")
	}
}

func TestInTPieces(t *testing.T) {
	steps := []string{"s1", "s2", "s3", "s4"}
	for _, c := range []struct {
		loc  int
		want string
	}{{3, "s1;s2;X"}, {1, "X"}, {5, "s1;s2;s3;s4;X"}} {
		got, err := GuidedAttempt(steps, c.loc, "X", ";")
		if err != nil || got != c.want {
			t.Fatalf("location %d: got %q, %v; want %q", c.loc, got, err, c.want)
		}
	}
	if _, err := GuidedAttempt(steps, 0, "X", ";"); err == nil {
		t.Fatal("location 0 must be refused")
	}
	if !Leaks("c2:4+3+1=8;=825", "=825") || Leaks("c1:5+6+1=12", "=825") {
		t.Fatal("leak filter")
	}
	one := make([]float64, 32)
	one[7] = 1
	if !KeepGuided(one, 1) || KeepGuided(make([]float64, 32), 1) {
		t.Fatal("correctness filter: one success of 32 keeps, none drops")
	}
	sum, mean := NLL([]float64{-0.1, -0.2, -0.3})
	if math.Abs(sum-0.6) > 1e-12 || math.Abs(mean-0.2) > 1e-12 {
		t.Fatalf("NLL sum %v mean %v, want 0.6 and 0.2", sum, mean)
	}
}

func TestAgentRPairsAndSplice(t *testing.T) {
	c := AgentR{Alpha: 0.5, Beta: 0.5}
	got := c.Pairs([]float64{1.0, 0.0, 1.0}, nil)
	if len(got) != 2 || got[0] != [2]int{0, 1} || got[1] != [2]int{2, 1} {
		t.Fatalf("pairs %v, want [(0,1) (2,1)] (the card's (1,2), (3,2) 1-based)", got)
	}
	// The card's splice: high [A1, A2g, A3g], low [A1, A2b, A3b], the model
	// judges A1 good and A2b bad (cut at index 1).
	high, low := []string{"A1", "A2g", "A3g"}, []string{"A1", "A2b", "A3b"}
	steps, trained, kept := Splice(high, low, 1, "R")
	want := []string{"A1", "A2b", "R", "A2g", "A3g"}
	wantTr := []bool{false, false, true, true, true}
	for i := range want {
		if i >= len(steps) || steps[i] != want[i] || trained[i] != wantTr[i] {
			t.Fatalf("splice %v %v, want %v %v", steps, trained, want, wantTr)
		}
	}
	if kept != 1 || len(steps) != len(want) {
		t.Fatalf("kept %d (want 1), %d steps", kept, len(steps))
	}
	// No step judged bad: direct revision after the whole low path, undo 2.
	steps, _, kept = Splice(high, low, -1, "R")
	if kept != 2 || len(steps) != 6 || steps[3] != "R" || steps[4] != "A2g" {
		t.Fatalf("direct revision %v kept %d", steps, kept)
	}
	// A cut inside the shared prefix moves to the branch point.
	if _, _, kept = Splice(high, low, 0, "R"); kept != 1 {
		t.Fatalf("cut before the branch: kept %d, want 1", kept)
	}
	if (AgentR{RevisionAction: "undo_k"}).RevisionText(2) != "undo 2" || (AgentR{RevisionAction: "wait"}).RevisionText(2) != "wait" {
		t.Fatal("revision text")
	}
}
