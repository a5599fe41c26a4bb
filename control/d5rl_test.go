package control

import (
	"math"
	"testing"
)

// The card's example: R_random -1200, R_expert -150: -400 -> 76.1905,
// -1200 -> 0, -100 -> 104.7619 (never clipped).
func TestNormalizedScoreCard(t *testing.T) {
	near(t, "-400", NormalizedScore(-400, -1200, -150), 76.1905)
	near(t, "-1200", NormalizedScore(-1200, -1200, -150), 0)
	near(t, "-100", NormalizedScore(-100, -1200, -150), 104.7619)
}

// The frozen reference returns are what MeasureReference measures.
func TestSuiteReferences(t *testing.T) {
	for _, name := range SuiteEnvs {
		got, err := MeasureReference(name, 100, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := SuiteReferences[name]
		t.Logf("%s: random %.1f, expert %.1f", name, got.Random, got.Expert)
		if math.Abs(got.Random-want.Random) > 0.05 || math.Abs(got.Expert-want.Expert) > 0.05 {
			t.Errorf("%s: measured %+v, frozen %+v", name, got, want)
		}
	}
}

// Dataset invariants: Pendulum never terminates and times out every 200
// steps; MountainCar terminates only at the flag; expert1 is one whole
// episode; mixed holds both behaviours; every kind is reproducible.
func TestSuiteDatasets(t *testing.T) {
	for _, name := range SuiteEnvs {
		for _, kind := range SuiteKinds {
			if kind == "spin" && name != "Pendulum-v1" {
				if _, err := SuiteDataset(name, kind, 1000); err == nil {
					t.Errorf("%s spin: accepted", name)
				}
				continue
			}
			d, err := SuiteDataset(name, kind, 1000)
			if err != nil {
				t.Fatalf("%s %s: %v", name, kind, err)
			}
			d2, _ := SuiteDataset(name, kind, 1000)
			var term, tout float32
			for i := range d.Term {
				term += d.Term[i]
				tout += d.Timeout[i]
				if d.Term[i] == 1 && d.Timeout[i] == 1 {
					t.Fatalf("%s %s: row %d both terminal and timeout", name, kind, i)
				}
				if d.Reward[i] != d2.Reward[i] {
					t.Fatalf("%s %s: not reproducible", name, kind)
				}
				if name == "MountainCarContinuous-v0" && d.Term[i] == 1 && d.NextObs[i*2] < 0.45 {
					t.Fatalf("%s %s: terminal at position %v", name, kind, d.NextObs[i*2])
				}
			}
			switch {
			case kind == "expert1" && (d.Episodes != 1 || term+tout != 1 || (d.Term[d.Len()-1]+d.Timeout[d.Len()-1]) != 1):
				t.Errorf("%s expert1: %d episodes, %d rows, %v ends", name, d.Episodes, d.Len(), term+tout)
			case kind != "expert1" && d.Len() != 1000:
				t.Errorf("%s %s: %d rows", name, kind, d.Len())
			case name == "Pendulum-v1" && term != 0:
				t.Errorf("%s %s: %v terminals", name, kind, term)
			case name == "Pendulum-v1" && kind != "expert1" && kind != "mixed" && tout != 5:
				t.Errorf("%s %s: %v timeouts, want 5", name, kind, tout)
			}
		}
	}
	if _, err := SuiteDataset("Pendulum-v1", "bogus", 10); err == nil {
		t.Error("unknown kind accepted")
	}
}
