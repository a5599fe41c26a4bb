package env

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type refStep struct {
	Action     float64   `json:"action"`
	State      []float64 `json:"state"`
	Obs        []float64 `json:"obs"`
	Reward     float64   `json:"reward"`
	Terminated bool      `json:"terminated"`
}

// setState puts an environment into a reference state.
func setState(t *testing.T, e Env, s []float64) {
	switch x := e.(type) {
	case *CartPole:
		x.x, x.xDot, x.theta, x.thetaDot = s[0], s[1], s[2], s[3]
	case *Pendulum:
		x.th, x.thDot = s[0], s[1]
	case *MountainCarContinuous:
		x.pos, x.vel = s[0], s[1]
	case *Acrobot:
		copy(x.s[:], s)
	default:
		t.Fatalf("no state setter for %T", e)
	}
}

// TestParityWithReferenceEquations replays 1000 transitions of each
// environment from states computed by scripts/control_reference.py
// (Gymnasium's equations with numpy's dtypes) and requires observations
// and rewards to match to 1e-6.
func TestParityWithReferenceEquations(t *testing.T) {
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]struct {
		Start []float64 `json:"start"`
		Steps []refStep `json:"steps"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CartPole-v1", "Pendulum-v1", "MountainCarContinuous-v0", "Acrobot-v1"} {
		r, ok := ref[name]
		if !ok {
			t.Fatalf("no reference trajectory for %s", name)
		}
		e := registry[name]()
		state := r.Start
		terms := 0
		for i, st := range r.Steps {
			setState(t, e, state)
			got := e.Step([]float64{st.Action})
			for j, o := range st.Obs {
				if d := math.Abs(float64(got.Obs[j]) - o); d > 1e-6*math.Max(1, math.Abs(o)) {
					t.Fatalf("%s step %d: obs[%d] = %v, reference %v", name, i, j, got.Obs[j], o)
				}
			}
			if d := math.Abs(got.Reward - st.Reward); d > 1e-6*math.Max(1, math.Abs(st.Reward)) {
				t.Fatalf("%s step %d: reward %v, reference %v", name, i, got.Reward, st.Reward)
			}
			if got.Terminated != st.Terminated {
				t.Fatalf("%s step %d: terminated %v, reference %v", name, i, got.Terminated, st.Terminated)
			}
			if st.Terminated {
				terms++
			}
			state = st.State
		}
		t.Logf("%s: 1000 transitions match (%d terminal)", name, terms)
	}
}

func TestResetIsSeededAndTimeLimitTruncates(t *testing.T) {
	for _, name := range Names() {
		e, err := Make(name)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := e.Reset(7), e.Reset(7), e.Reset(8)
		same, diff := true, false
		for i := range a {
			same = same && a[i] == b[i]
			diff = diff || a[i] != c[i]
		}
		if !same || !diff {
			t.Fatalf("%s: reset must depend on the seed only", name)
		}
		// A passive policy on Pendulum never terminates: it must truncate at 200.
		if name == "Pendulum-v1" {
			e.Reset(1)
			for i := 1; ; i++ {
				s := e.Step([]float64{0})
				if s.Terminated {
					t.Fatal("Pendulum never terminates")
				}
				if s.Truncated {
					if i != 200 {
						t.Fatalf("Pendulum truncated at %d, want 200", i)
					}
					break
				}
			}
		}
	}
	if _, err := Make("Nope-v0"); err == nil {
		t.Fatal("unknown environment must be an error")
	}
}

func TestVecAutoResetAndStats(t *testing.T) {
	v, err := NewVec("CartPole-v1", 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	v.Reset()
	acts := [][]float64{{0}, {0}, {0}, {0}} // always push left: episodes end fast
	steps := 0
	for len(v.finished) < 8 && steps < 10000 {
		v.Step(acts)
		for i := range v.Envs {
			if (v.Term[i] || v.Trunc[i]) != (v.FinalObs[i] != nil) {
				t.Fatal("FinalObs must be set exactly when an episode ends")
			}
		}
		steps++
	}
	eps := v.Drain()
	total := 0
	for _, e := range eps {
		if e.Length < 1 || e.Return != float64(e.Length) {
			t.Fatalf("CartPole episode return %v for length %d", e.Return, e.Length)
		}
		total += e.Length
	}
	if len(eps) < 8 || len(v.Drain()) != 0 {
		t.Fatalf("drained %d episodes", len(eps))
	}
	// Two vecs with the same seed behave identically.
	a, _ := NewVec("Pendulum-v1", 2, 9)
	b, _ := NewVec("Pendulum-v1", 2, 9)
	a.Reset()
	b.Reset()
	for i := 0; i < 450; i++ {
		a.Step([][]float64{{1}, {-1}})
		b.Step([][]float64{{1}, {-1}})
	}
	for i := range a.Obs {
		for j := range a.Obs[i] {
			if a.Obs[i][j] != b.Obs[i][j] {
				t.Fatal("same seed must reproduce the same trajectories")
			}
		}
	}
}

func TestNormalizers(t *testing.T) {
	r := NewRunningStat(1)
	r.Update([][]float64{{1}, {2}, {3}, {4}})
	// prior (mean 0, var 1, count 1e-4) merged with data (mean 2.5, var 1.25)
	if math.Abs(r.Mean[0]-2.5) > 1e-3 || math.Abs(r.Var[0]-1.25) > 1e-3 {
		t.Fatalf("running stat mean %v var %v", r.Mean[0], r.Var[0])
	}
	n := r.NormalizeObs([]float32{2.5 + float32(math.Sqrt(1.25))}, 10)
	if math.Abs(float64(n[0])-1) > 1e-3 {
		t.Fatalf("normalised value %v, want 1", n[0])
	}
	s := NewRewardScaler(1, 0.99)
	for i := 0; i < 100; i++ {
		s.Scale([]float64{1}, []bool{false})
	}
	if out := s.Scale([]float64{1}, []bool{true}); out[0] <= 0 || out[0] >= 1 {
		t.Fatalf("scaled reward %v should shrink a growing return", out[0])
	}
}

// BenchmarkCartPoleVec measures vectorised CartPole steps per second on one
// thread (the bar is 1M/s).
func BenchmarkCartPoleVec(b *testing.B) {
	v, _ := NewVec("CartPole-v1", 64, 1)
	v.Reset()
	acts := make([][]float64, 64)
	for i := range acts {
		acts[i] = []float64{float64(i % 2)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Step(acts)
	}
	b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "steps/s")
}

func TestDrivingGeometryAndRewards(t *testing.T) {
	d := &Driving{}
	d.Reset(3)
	if len(d.route) != RouteSegments+1 || len(d.obstacles) != 4 {
		t.Fatalf("route %d points, %d obstacles", len(d.route), len(d.obstacles))
	}
	// Points on the centreline project onto themselves, and progress along
	// the whole centreline adds up to the whole route's reward, 1.
	total := 0.0
	for s := 0.5; s < d.cum[len(d.cum)-1]; s += 0.5 {
		x, y := d.pointAt(s)
		prog, lat, _ := d.project(x, y)
		if math.Abs(prog-s) > 1e-9 || math.Abs(lat) > 1e-9 {
			t.Fatalf("projection of the centreline point at %v gives s=%v lat=%v", s, prog, lat)
		}
		gain := prog - d.progress
		d.progress = prog
		total += gain / d.cum[len(d.cum)-1]
	}
	if math.Abs(total-1) > 0.02 || math.Abs(d.RouteCompletion()-1) > 0.02 {
		t.Fatalf("driving the centreline earns %v, completion %v", total, d.RouteCompletion())
	}
	// Leaving the road terminates with an off_road infraction.
	d.Reset(3)
	for i := 0; i < 200; i++ {
		s := d.Step([]float64{1, 1}) // full left turn, full throttle
		if s.Terminated {
			if d.Infracted != "off_road" {
				t.Fatalf("infraction %q, want off_road", d.Infracted)
			}
			return
		}
	}
	t.Fatal("a car turning hard left must leave the road")
}

func TestDrivingObstacleCollision(t *testing.T) {
	d := &Driving{}
	d.Reset(5)
	ob := d.obstacles[0]
	d.x, d.y = ob[0]+1.0, ob[1] // closer than car radius + obstacle radius (1.3 m)
	if !d.collides() {
		t.Fatal("a car 1 m from an obstacle's centre collides")
	}
	d.x, d.y = ob[0]+1.5, ob[1]
	if d.collides() {
		t.Fatal("a car 1.5 m away does not collide")
	}
}

func TestNormalizationWrappers(t *testing.T) {
	base, _ := Make("Pendulum-v1")
	e := NewNormalizeReward(NewNormalizeObservation(base), 0.99)
	var sum, sumSq [3]float64
	n := 0
	var rewards []float64
	e.Reset(1)
	for i := 0; i < 4000; i++ {
		s := e.Step([]float64{math.Sin(float64(i) * 0.3)})
		for j, v := range s.Obs {
			sum[j] += float64(v)
			sumSq[j] += float64(v) * float64(v)
		}
		n++
		rewards = append(rewards, s.Reward)
		if s.Truncated {
			e.Reset(uint64(i))
		}
	}
	for j := range sum {
		mean := sum[j] / float64(n)
		std := math.Sqrt(sumSq[j]/float64(n) - mean*mean)
		if math.Abs(mean) > 0.3 || std < 0.5 || std > 1.5 {
			t.Fatalf("normalised observation %d has mean %.3f std %.3f", j, mean, std)
		}
	}
	// Raw Pendulum rewards reach -16; scaled ones stay within a few units.
	for _, r := range rewards[1000:] {
		if r > 0 || r < -10 {
			t.Fatalf("scaled reward %v out of the expected range", r)
		}
	}
}
