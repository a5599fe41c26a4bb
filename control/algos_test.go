package control

import (
	"os"
	"path/filepath"
	"testing"
)

// Every registered algorithm runs its smoke configuration through
// RunBaseline; the actor-network ones leave a loadable policy, ARSQ its
// two networks; --set overrides reach the config and unknown names are
// refused.
func TestSuiteAlgosSmoke(t *testing.T) {
	for name := range suiteAlgos {
		dir := t.TempDir()
		s, err := RunBaseline(BaselineOptions{Algo: name, Env: "Pendulum-v1", Smoke: true, Set: map[string]string{"log_every": "50"}}, dir, 1, nil)
		if name == "arsq" {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "arsq.safetensors")); err != nil || s.Algo != "arsq" || len(s.EvalReturns) != 1 {
				t.Fatalf("arsq: %v, summary %+v", err, s)
			}
			continue
		}
		checkRun(t, s, err, dir)
		if s.Algo != name {
			t.Fatalf("summary algo %s, want %s", s.Algo, name)
		}
	}
	if _, err := RunBaseline(BaselineOptions{Algo: "prdc", Env: "Pendulum-v1", Smoke: true, Set: map[string]string{"bogus": "1"}}, t.TempDir(), 1, nil); err == nil {
		t.Fatal("an unknown --set name was accepted")
	}
	if _, err := RunBaseline(BaselineOptions{Algo: "recoil", Env: "Pendulum-v1"}, t.TempDir(), 1, nil); err == nil {
		t.Fatal("recoil without data was accepted")
	}
}

// ApplySet by hand: numbers, lists and bare strings.
func TestApplySet(t *testing.T) {
	c := DefaultFDVL("")
	if err := ApplySet(&c, map[string]string{"temp": "0.7", "hidden": "[8,8]", "f": "total-variation"}); err != nil {
		t.Fatal(err)
	}
	if c.Temp != 0.7 || len(c.Hidden) != 2 || c.Hidden[0] != 8 || c.F != "total-variation" {
		t.Fatalf("got %+v", c)
	}
	if err := ApplySet(&c, map[string]string{"temp": "hot"}); err == nil {
		t.Fatal("a string for a number was accepted")
	}
}
