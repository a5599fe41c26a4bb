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
	for _, name := range Names() {
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
