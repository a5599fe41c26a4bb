package task

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func gridTask(t *testing.T, params map[string]any) *GridWalk {
	t.Helper()
	tk, err := New("gridwalk", params)
	if err != nil {
		t.Fatal(err)
	}
	return tk.(*GridWalk)
}

// Hand-worked walks on s00a10b22c01d40 (hidden order c→a→d→b).
func TestGridWalkGrade(t *testing.T) {
	g := gridTask(t, nil)
	p := Problem{Question: "s00a10b22c01d40"}
	for _, c := range []struct {
		walk  string
		order string
		want  bool
	}{
		{"U" + "DR" + "RRR" + "LLUU", "cadb", true},            // c(0,1) a(1,0) d(4,0) b(2,2)
		{"RRRRLLUU", "adb", false},                             // never enters c
		{"URDRRRLLUU", "cadb", true},                           // a via (1,1)->(1,0)
		{"UDDDDRRRRLLUU", "cadb", true},                        // D off the grid stays at (0,0)
		{"RUL", "ac", false},                                   // a first
		{"U" + "DR" + "RRR" + "LLU" + "x" + "U", "cad", false}, // stops at x
	} {
		order, _, ok := g.Visits(p.Question, c.walk)
		if !ok || order != c.order {
			t.Errorf("%s: visits %q (ok %v), want %q", c.walk, order, ok, c.order)
		}
		if got := g.Grade(p, "#### "+c.walk).Correct; got != c.want {
			t.Errorf("%s: correct %v, want %v", c.walk, got, c.want)
		}
	}
	if g.Grade(p, "UDRRRRLLUU").FormatOK {
		t.Error("a walk without the answer line counted as formatted")
	}
	// Moves past max_moves are not read.
	g.MaxMoves = 3
	if order, moves, _ := g.Visits(p.Question, "UDRRRRLLUU"); order != "ca" || moves != 3 {
		t.Errorf("max_moves 3: %q after %d moves, want \"ca\" after 3", order, moves)
	}
}

// Drawn problems have five distinct cells and their reference answer
// earns the reward; expert walks visit 2-3 cells (more only by passing
// through) and almost never earn it.
func TestGridWalkDrawAndExperts(t *testing.T) {
	g := gridTask(t, map[string]any{"solver": "expert"})
	ps, err := Generate(g, Train, 1, 200, DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	lengths, rewarded := map[int]int{}, 0
	for _, p := range ps {
		cells, ok := g.parse(p.Question)
		if !ok {
			t.Fatalf("%s: does not parse", p.Question)
		}
		seen := map[gridPos]bool{}
		for _, c := range cells {
			seen[c] = true
		}
		if len(seen) != 5 {
			t.Fatalf("%s: cells not distinct", p.Question)
		}
		if !g.Grade(p, "#### "+p.Answer).Correct {
			t.Fatalf("%s: reference %s not rewarded", p.Question, p.Answer)
		}
		if len(p.Answer) > g.MaxMoves {
			t.Fatalf("%s: reference of %d moves", p.Question, len(p.Answer))
		}
		sol := Solve(g, p, DefaultTemplate, Noise{}, r)
		if !strings.HasPrefix(sol, "#### ") {
			t.Fatalf("expert solution %q lacks the answer line", sol)
		}
		order, _, _ := g.Visits(p.Question, sol[5:])
		lengths[len(order)]++
		if g.Grade(p, sol).Correct {
			rewarded++
		}
	}
	// Passing through cells adds visits, but most expert walks stop at 2-3.
	if lengths[2]+lengths[3] < 150 || lengths[0]+lengths[1] > 0 {
		t.Fatalf("expert walks' visit counts %v: want mostly 2-3, never fewer than 2", lengths)
	}
	if rewarded > 4 {
		t.Fatalf("%d of 200 expert walks earn the sparse reward", rewarded)
	}
	t.Logf("visit counts %v, rewarded %d of 200", lengths, rewarded)
	for _, bad := range []map[string]any{{"order": "abca"}, {"size": 1}, {"min_demo": 3, "max_demo": 2}, {"max_moves": 0}, {"solver": "oracle"}} {
		if _, err := New("gridwalk", bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
