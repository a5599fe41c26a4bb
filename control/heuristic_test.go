package control

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pendulumHeuristic swings up by energy pumping and balances with PD.
func pendulumHeuristic(obs []float32, _ *rand.Rand) []float64 {
	c, s, w := float64(obs[0]), float64(obs[1]), float64(obs[2])
	th := math.Atan2(s, c)
	if c > 0.85 {
		return []float64{math.Max(-2, math.Min(2, -10*th-2*w))}
	}
	e := w*w/6 + 5*c - 5 // 0 upright at rest (g = 10)
	u := 2.0
	if e*w > 0 {
		u = -2
	}
	return []float64{u}
}

func TestPendulumHeuristicReturn(t *testing.T) {
	p := &funcPolicy{pendulumHeuristic}
	rets, _ := evalFunc("Pendulum-v1", p.act, 10, 5)
	t.Logf("heuristic return %.1f", mean(rets))
}
