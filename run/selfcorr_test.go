package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// decodeDigits maps token i < 10 to the digit i and 10 to a newline.
func decodeDigits(ids []int32) string {
	var s []byte
	for _, id := range ids {
		if id == 10 {
			s = append(s, '\n')
		} else {
			s = append(s, byte('0'+id))
		}
	}
	return string(s)
}

// TestLineTree: two traces share their first line; the tree's counts, the
// ReST-MCTS* targets of its nodes (by hand: m = 4, 3, 2, 1 down the correct
// path, the wrong leaf copies m = 3 from its parent) and the selection's
// exhaustion rule.
func TestLineTree(t *testing.T) {
	if got := splitSteps([]int32{1, 10, 2, 10, 3}, decodeDigits); len(got) != 3 || got[1] != [2]int{2, 4} || got[2] != [2]int{4, 5} {
		t.Fatalf("splitSteps %v", got)
	}
	tr := newLineTree(task.Problem{}, []int32{7, 7})
	tr.insert(0, 0, 2, []int32{1, 10, 2, 10, 3}, 1, true, decodeDigits)
	tr.insert(0, 1, 2, []int32{1, 10, 4}, 0, false, decodeDigits)
	// nodes: 0 root, 1 "1\n", 2 "2\n", 3 "3" (right), 4 "4" (wrong)
	if len(tr.nodes) != 5 || tr.nodes[1].visits != 2 || tr.nodes[0].reward != 1 || tr.nodes[4].parent != 1 {
		t.Fatalf("tree %+v", tr.nodes)
	}
	if tr.nodes[2].at != 2+3 || tr.nodes[4].sample != 1 || tr.nodes[4].at != 2+2 {
		t.Fatalf("value positions: node 2 at %d, node 4 sample %d at %d", tr.nodes[2].at, tr.nodes[4].sample, tr.nodes[4].at)
	}
	if tr.traces[1].from != 0 || len(tr.traces[1].path) != 2 || tr.traces[1].spans[1] != [2]int{2, 3} {
		t.Fatalf("trace %+v", tr.traces[1])
	}
	parent, kind := tr.kinds()
	v, m, _, has := rl.ReSTTargets(parent, kind)
	wantM := []float64{4, 3, 2, 1, 3}
	wantV := []float64{0, 1.0 / 3, 1.0/3 + (2.0/3)/2, 1, 1.0/3 - (2.0/3)/3}
	for i := range wantV {
		if !has[i] || m[i] != wantM[i] || math.Abs(v[i]-wantV[i]) > 1e-12 {
			t.Fatalf("node %d: m %v v %v, want %v %v", i, m[i], v[i], wantM[i], wantV[i])
		}
	}
	// branch 2: the root has one child, so it is expanded.
	score := func(n, p int) float64 { return tr.nodes[n].reward / tr.nodes[n].visits }
	if got := tr.selectNode(2, score); got != 0 || tr.nodes[0].pending != 1 {
		t.Fatalf("branch 2 selects %d (pending %v), want the root", got, tr.nodes[0].pending)
	}
	tr.endRound()
	// branch 1: node 1 has two children, "4" is done (terminal) and "2\n"
	// has only a terminal child, so everything below the root is done and
	// the root is expanded again.
	if got := tr.selectNode(1, score); got != 0 || !tr.nodes[1].done || !tr.nodes[2].done {
		t.Fatalf("branch 1 selects %d; done %v %v", got, tr.nodes[1].done, tr.nodes[2].done)
	}
	if got := roundSizes(5, 2); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("roundSizes(5, 2) = %v", got)
	}
}
