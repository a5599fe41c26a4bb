package env

import (
	"math"
	"testing"
)

// TestCaRLCardExamples: the card's numbers.
func TestCaRLCardExamples(t *testing.T) {
	f := SpeedingFactor(6+1.115, 6, 2.23)
	if math.Abs(f-0.5) > 1e-12 {
		t.Fatalf("speeding by 1.115 m/s: factor %v, want 0.5", f)
	}
	for _, tc := range []struct {
		dRC       float64
		factors   []float64
		collision bool
		want      float64
	}{
		{0.5, []float64{f, 0.5}, false, 0.125},
		{0.5, []float64{f, 0.5, 0}, false, 0}, // outside the route's lanes
		{0.2, nil, true, -0.8},
	} {
		if got := CaRLStepReward(tc.dRC, tc.factors, tc.collision, 1); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("CaRLStepReward(%v, %v, %v) = %v, want %v", tc.dRC, tc.factors, tc.collision, got, tc.want)
		}
	}
	if SpeedingFactor(5, 6, 2.23) != 1 || SpeedingFactor(9, 6, 2.23) != 0 {
		t.Error("speeding factor: 1 below the limit, 0 far above it")
	}
}

// TestDrivingCaRLReward: on the same route and actions, the CaRL reward
// is 100 x the simple reward times the factors: equal while slow, on the
// centre and clear of obstacles, smaller once speeding, and a collision
// ends the episode with the -1 hint.
func TestDrivingCaRLReward(t *testing.T) {
	simple, _ := Make("Driving-v0")
	carl, _ := Make("DrivingCaRL-v0")
	const seed = 7
	simple.Reset(seed)
	carl.Reset(seed)
	var sawEqual, sawPenalty bool
	for i := 0; i < 400; i++ {
		a := []float64{0, 1} // full throttle, no steering: speeds up, then hits something or leaves the road
		s, c := simple.Step(a), carl.Step(a)
		if s.Terminated != c.Terminated {
			t.Fatalf("step %d: termination differs", i)
		}
		d := carl.(*TimeLimit).Env.(*Driving)
		if c.Terminated {
			want := 100 * s.Reward
			if d.Infracted == "collision" {
				if c.Reward > want-1+1e-9 {
					t.Fatalf("collision step reward %v, want at most %v - 1", c.Reward, want)
				}
			}
			break
		}
		switch {
		case c.Reward > 100*s.Reward+1e-9:
			t.Fatalf("step %d: CaRL reward %v above 100 x simple %v", i, c.Reward, s.Reward)
		case d.v <= 6 && d.sinceTTC < 0 && d.offCentre <= 30 && s.Reward > 0:
			if math.Abs(c.Reward-100*s.Reward) > 1e-9 {
				t.Fatalf("step %d: no infraction yet CaRL %v != 100 x %v", i, c.Reward, s.Reward)
			}
			sawEqual = true
		case s.Reward > 0 && c.Reward < 100*s.Reward-1e-9:
			sawPenalty = true
		}
	}
	if !sawEqual || !sawPenalty {
		t.Fatalf("episode showed equal steps %v, penalised steps %v; want both", sawEqual, sawPenalty)
	}
}
