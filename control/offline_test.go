package control

import (
	"math"
	"path/filepath"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

// TD3+BC by hand: q = [1, -3], pi = [0.5, -1], a = [0, 1], alpha 2.5:
// mean|q| = 2, lambda = 1.25, -lambda mean q = 1.25, mse = (0.25+4)/2 =
// 2.125, L = 3.375; dL/dq = -0.625 each; dL/dpi = 2(pi-a)/2 = [0.5, -2].
func TestTD3BCActorLossByHand(t *testing.T) {
	l, dQ, dPi := td3bcActorLoss([]float64{1, -3}, []float64{0.5, -1}, []float64{0, 1}, 2.5)
	near(t, "loss", l, 3.375)
	near(t, "dQ0", dQ[0], -0.625)
	near(t, "dQ1", dQ[1], -0.625)
	near(t, "dPi0", dPi[0], 0.5)
	near(t, "dPi1", dPi[1], -2)
}

// The folded normaliser: actor(raw) after fold == actor((raw-mu)/sigma) before.
func TestObsNormFold(t *testing.T) {
	box, _ := boxOf("Pendulum-v1")
	a, _ := newDetActor("actor", box, []int{8}, 4, rngFor(1))
	obs := []float32{1, 0, 3, -1, 0.5, -2, 0.2, 0.9, 7, 0, 0, 0}
	norm := newObsNorm(obs, 3)
	x := append([]float32(nil), obs...)
	norm.apply(x)
	before := a.act(x, 4)
	norm.fold(a.net)
	after := a.act(obs, 4)
	for i := range before {
		near(t, "folded action", after[i], before[i])
	}
}

func checkRun(t *testing.T, s *Summary, err error, dir string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	p, envName, err := LoadPolicy(filepath.Join(dir, "policy.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Act([]float32{1, 0, 0})
	if envName != "Pendulum-v1" || len(a) != 1 || a[0] < -2 || a[0] > 2 || math.IsNaN(a[0]) {
		t.Fatalf("loaded policy: env %s action %v", envName, a)
	}
	if math.IsNaN(s.FinalReturn) || s.FinalReturn > 0 || s.FinalReturn < -2000 {
		t.Fatalf("final return %v", s.FinalReturn)
	}
}

func TestSmokeTD3(t *testing.T) {
	dir := t.TempDir()
	s, err := RunTD3(SmokeTD3("Pendulum-v1"), dir, 1, nil)
	checkRun(t, s, err, dir)
}

func TestSmokeTD3BC(t *testing.T) {
	dir := t.TempDir()
	s, err := RunTD3BC(SmokeTD3BC("Pendulum-v1"), dir, 1, nil)
	checkRun(t, s, err, dir)
}
