package control

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
)

// TestLogProbGradients checks the categorical and Gaussian log-prob and
// entropy gradients against central differences.
func TestLogProbGradients(t *testing.T) {
	z := []float32{0.3, -1.2, 0.8}
	p := &Policy{Discrete: 3}
	_, _, dLp, dEnt := logProb(z, []float64{2}, p)
	for v := range z {
		zp := append([]float32(nil), z...)
		zm := append([]float32(nil), z...)
		zp[v] += 1e-3
		zm[v] -= 1e-3
		lpp, ep, _, _ := logProb(zp, []float64{2}, p)
		lpm, em, _, _ := logProb(zm, []float64{2}, p)
		if math.Abs(dLp[v]-(lpp-lpm)/2e-3) > 1e-4 || math.Abs(dEnt[v]-(ep-em)/2e-3) > 1e-4 {
			t.Fatalf("categorical gradient %d: %v %v vs %v %v", v, dLp[v], dEnt[v], (lpp-lpm)/2e-3, (ep-em)/2e-3)
		}
	}
	g := &Policy{LogStd: nn.NewParam("ls", 2)}
	g.LogStd.W[0], g.LogStd.W[1] = -0.5, 0.2
	mu := []float32{0.1, -0.4}
	a := []float64{0.7, -1.0}
	_, _, dLp, dEnt = logProb(mu, a, g)
	for i := 0; i < 2; i++ {
		mp := append([]float32(nil), mu...)
		mm := append([]float32(nil), mu...)
		mp[i] += 1e-3
		mm[i] -= 1e-3
		lpp, _, _, _ := logProb(mp, a, g)
		lpm, _, _, _ := logProb(mm, a, g)
		if math.Abs(dLp[i]-(lpp-lpm)/2e-3) > 1e-3 {
			t.Fatalf("gaussian d/dmu %d: %v vs %v", i, dLp[i], (lpp-lpm)/2e-3)
		}
		old := g.LogStd.W[i]
		g.LogStd.W[i] = old + 1e-3
		lpp, ep, _, _ := logProb(mu, a, g)
		g.LogStd.W[i] = old - 1e-3
		lpm, em, _, _ := logProb(mu, a, g)
		g.LogStd.W[i] = old
		if math.Abs(dLp[2+i]-(lpp-lpm)/2e-3) > 1e-3 || math.Abs(dEnt[2+i]-(ep-em)/2e-3) > 1e-3 {
			t.Fatalf("gaussian d/dlogstd %d", i)
		}
	}
}

// TestPPOSolvesCartPole is the bar on one seed: mean greedy return
// >= 475 over 20 episodes (about 20 s here).
func TestPPOSolvesCartPole(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end training")
	}
	cfg := DefaultPPO("CartPole-v1")
	cfg.Steps = 500_000
	dir := t.TempDir()
	s, err := RunPPO(cfg, dir, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.FinalReturn < 475 {
		t.Fatalf("PPO final return %.1f on CartPole-v1, want >= 475", s.FinalReturn)
	}
	p, name, err := LoadPolicy(dir + "/policy.safetensors")
	if err != nil || name != "CartPole-v1" {
		t.Fatalf("reload: %v, %s", err, name)
	}
	rets, _ := p.Evaluate(name, 5, 77)
	if mean(rets) < 475 {
		t.Fatalf("reloaded policy returns %v", rets)
	}
}

// TestSACLearnsPendulumShort runs a short SAC (10000 steps, small nets) and
// checks that it beats the random policy's return, then that the saved
// squashed policy reloads with the same greedy actions.
func TestSACLearnsPendulumShort(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end training")
	}
	cfg := DefaultSAC("Pendulum-v1")
	cfg.Steps, cfg.LearningStart, cfg.Hidden, cfg.Batch = 10000, 1000, []int{64, 64}, 64
	dir := t.TempDir()
	s, err := RunSAC(cfg, dir, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A random policy scores about -1200 on Pendulum; a swing-up policy -150.
	t.Logf("SAC after %d steps: greedy return %.1f", cfg.Steps, s.FinalReturn)
	if s.FinalReturn < -600 {
		t.Fatalf("SAC after %d steps returns %.1f, want > -600", cfg.Steps, s.FinalReturn)
	}
	p, name, err := LoadPolicy(dir + "/policy.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	rets, _ := p.Evaluate(name, 5, 1_000_000+cfg.Seed)
	if math.Abs(mean(rets)-s.FinalReturn) > 1e-6 {
		t.Fatalf("reloaded policy returns %.3f, trained %.3f", mean(rets), s.FinalReturn)
	}
}

// TestPPOContinuousLearnsToDrive is the driving bar on one seed: PPO
// (Gaussian policy) must complete >= 90% of held-out routes on average,
// far beyond driving straight ahead.
func TestPPOContinuousLearnsToDrive(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end training")
	}
	cfg := DefaultPPO("Driving-v0")
	cfg.Steps, cfg.NumEnvs, cfg.EntCoef = 400_000, 8, 0
	pol, err := TrainPPO(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	completion := func(act func([]float32) []float64) float64 {
		e, _ := env.Make("Driving-v0")
		var sum float64
		for ep := 0; ep < 10; ep++ {
			obs := e.Reset(1_000_000_000 + uint64(ep)) // held-out route seeds
			for {
				s := e.Step(act(obs))
				obs = s.Obs
				if s.Terminated || s.Truncated {
					break
				}
			}
			sum += e.(*env.TimeLimit).Env.(*env.Driving).RouteCompletion()
		}
		return sum / 10
	}
	random := completion(func([]float32) []float64 { return []float64{0, 1} }) // full throttle, no steering
	learned := completion(pol.Act)
	t.Logf("held-out route completion: straight-ahead %.3f, PPO %.3f", random, learned)
	if learned < 0.9 || learned < random+0.3 {
		t.Fatalf("PPO completes %.3f of held-out routes (straight-ahead driving %.3f), want >= 0.90", learned, random)
	}
}
