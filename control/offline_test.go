package control

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/autodidact-rl/autodidact/control/env"
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

// Expectile by hand, tau 0.7, u = [2, -1]: 0.7*4 = 2.8, 0.3*1 = 0.3,
// mean 1.55; dL/du = 2 w u / 2 = [1.4, -0.3].
func TestExpectileLossByHand(t *testing.T) {
	l, d := expectileLoss([]float64{2, -1}, 0.7)
	near(t, "loss", l, 1.55)
	near(t, "du0", d[0], 1.4)
	near(t, "du1", d[1], -0.3)
}

// IQL actor by hand, beta 3: A = [0.5, -1, 2] -> w = [e^1.5, e^-3,
// min(e^6, 100)] = [4.481689, 0.049787, 100]; logp = [-1, -2, -0.5] ->
// L = (4.481689 + 0.099574 + 50)/3 = 18.193754.
func TestIQLActorLossByHand(t *testing.T) {
	l, w := iqlActorLoss([]float64{0.5, -1, 2}, []float64{-1, -2, -0.5}, 3, 100)
	near(t, "loss", l, 18.193754)
	near(t, "w0", w[0], 4.481689)
	near(t, "w1", w[1], 0.049787)
	near(t, "w2", w[2], 100)
}

// gaussLogProb's gradients match finite differences, and its value the
// normal density: mu 0, log std -1.5, a 0.5 -> -0.5 (0.5/e^-1.5)^2 + 1.5 - log(2 pi)/2.
func TestGaussLogProb(t *testing.T) {
	lp, _, _ := gaussLogProb([]float32{0}, []float32{-1.5}, []float64{0.5}, 1, 1)
	sd := math.Exp(-1.5)
	near(t, "logp", lp[0], -0.5*(0.5/sd)*(0.5/sd)+1.5-0.5*math.Log(2*math.Pi))
	mu, ls := []float32{0.3, -0.4}, []float32{0.2, -0.7}
	a := []float64{0.1, -0.6}
	lp0, dMu, dLs := gaussLogProb(mu, ls, a, 1, 2)
	fdCheck := func(what string, x []float32, d []float64) {
		for k := range x {
			old := x[k]
			x[k] += 1e-3
			lp1, _, _ := gaussLogProb(mu, ls, a, 1, 2)
			h := float64(x[k] - old)
			x[k] = old
			if g := (lp1[0] - lp0[0]) / h; math.Abs(g-d[k]) > 2e-2*math.Max(1, math.Abs(g)) {
				t.Errorf("d logp/d %s[%d] = %v, finite difference %v", what, k, d[k], g)
			}
		}
	}
	fdCheck("mu", mu, dMu)
	fdCheck("logStd", ls, dLs)
}

func TestSmokeIQL(t *testing.T) {
	dir := t.TempDir()
	s, err := RunIQL(SmokeIQL("Pendulum-v1"), dir, 1, nil)
	checkRun(t, s, err, dir)
}

// CQL penalty by hand, one row, c = [1, 2], Q(s,a) = 1.5, w 5, T 1:
// logsumexp = log(e + e^2) = 2.313262, P = 5 (2.313262 - 1.5) = 4.066308;
// dP/dc = 5 softmax = [5/(1+e), 5e/(1+e)] = [1.344707, 3.655293], dP/dQ(s,a) = -5.
func TestCQLPenaltyByHand(t *testing.T) {
	p, dData, dC := cqlPenalty([]float64{1.5}, [][]float64{{1, 2}}, 5, 1)
	near(t, "penalty", p, 4.066308)
	near(t, "dData", dData[0], -5)
	near(t, "dC0", dC[0][0], 1.344707)
	near(t, "dC1", dC[0][1], 3.655293)
}

func TestSmokeCQL(t *testing.T) {
	dir := t.TempDir()
	s, err := RunCQL(SmokeCQL("Pendulum-v1"), dir, 1, nil)
	checkRun(t, s, err, dir)
}

// Normalised score: R_random -1200, R_expert -150: -675 is halfway (50),
// -150 is 100, -1200 is 0.
func TestNormalizedScore(t *testing.T) {
	near(t, "half", NormalizedScore(-675, -1200, -150), 50)
	near(t, "expert", NormalizedScore(-150, -1200, -150), 100)
	near(t, "random", NormalizedScore(-1200, -1200, -150), 0)
	r, err := RandomReturns("Pendulum-v1", 5, 1)
	if err != nil || r > -700 || r < -1800 {
		t.Fatalf("random Pendulum return %v (%v); want about -1200", r, err)
	}
}

func TestRunBaselineSmoke(t *testing.T) {
	for _, algo := range BaselineAlgos {
		if _, ok := suiteAlgos[algo]; ok {
			continue // TestSuiteAlgosSmoke
		}
		dir := t.TempDir()
		s, err := RunBaseline(BaselineOptions{Algo: algo, Env: "Pendulum-v1", Smoke: true}, dir, 1, nil)
		checkRun(t, s, err, dir)
		if s.Algo != algo {
			t.Fatalf("summary algo %s", s.Algo)
		}
	}
	if _, err := RunBaseline(BaselineOptions{Algo: "iql", Env: "Pendulum-v1"}, t.TempDir(), 1, nil); err == nil {
		t.Fatal("an offline run without a dataset must be refused")
	}
	if _, err := RunBaseline(BaselineOptions{Algo: "td3", Env: "CartPole-v1", Smoke: true}, t.TempDir(), 1, nil); err == nil {
		t.Fatal("td3 on a discrete env must be refused")
	}
}

type funcPolicy struct {
	f func([]float32, *rand.Rand) []float64
}

func (p *funcPolicy) act(obs []float32) []float64 { return p.f(obs, nil) }

func evalFunc(envName string, act func([]float32) []float64, episodes int, seed uint64) ([]float64, error) {
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	var rets []float64
	for ep := 0; ep < episodes; ep++ {
		obs := e.Reset(seed*7919 + uint64(ep))
		var ret float64
		for {
			s := e.Step(act(obs))
			ret += s.Reward
			obs = s.Obs
			if s.Terminated || s.Truncated {
				break
			}
		}
		rets = append(rets, ret)
	}
	return rets, nil
}
