package control

import "testing"

func TestPendulumHeuristicReturn(t *testing.T) {
	p := &funcPolicy{pendulumHeuristic}
	rets, _ := evalFunc("Pendulum-v1", p.act, 10, 5)
	t.Logf("heuristic return %.1f", mean(rets))
}
