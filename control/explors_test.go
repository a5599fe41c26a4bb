package control

import (
	"math"
	"testing"
)

// Card B17: the bonus with λ = B_max = 1 is 1 at N = 0 and 0.5 at N = 3;
// φ's step with π(·|s) = [0.5, 0.5], a = 0, Ḡ − V = 1, η_φ = 0.01 adds
// [0.0025, −0.0025].
func TestExploRSCard(t *testing.T) {
	if b := ExplorationBonus(1, 1, 0); b != 1 {
		t.Errorf("bonus at N=0: %v", b)
	}
	if b := ExplorationBonus(1, 1, 3); math.Abs(b-0.5) > 1e-15 {
		t.Errorf("bonus at N=3: %v", b)
	}
	phi := []float64{0, 0}
	PhiStep(phi, []float64{0.5, 0.5}, 0, 1, 0.01)
	if math.Abs(phi[0]-0.0025) > 1e-15 || math.Abs(phi[1]+0.0025) > 1e-15 {
		t.Errorf("phi = %v, want [0.0025 -0.0025]", phi)
	}
}

// Card B17's invariance example: one state, two actions, γ = 0, δ = 0.1:
// feasible iff R̂(s, a*) − R̂(s, a') ≥ 0.1; the most informative design
// within |R̂| ≤ 1 is R̂(a*) = 1, R̂(a') = −1 (gap 2).
func TestEXPRDOneState(t *testing.T) {
	env, err := NewLockChain(1, 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultExploRS("exprd")
	cfg.Gamma, cfg.Delta, cfg.Budget = 0, 0.1, 1
	R, support, err := DesignEXPRD(env, env.Key, cfg)
	if err != nil {
		t.Fatal(err)
	}
	star := env.Key[0]
	if len(support) != 1 || math.Abs(R[0][star]-1) > 1e-9 || math.Abs(R[0][1-star]+1) > 1e-9 {
		t.Errorf("design %v on %v, want +1 for action %d and -1 for the other", R, support, star)
	}
	// δ above the achievable gap 2 · R_max is infeasible.
	cfg.Delta = 2.5
	if _, _, err := DesignEXPRD(env, env.Key, cfg); err == nil {
		t.Error("margin 2.5 with |R| <= 1 accepted")
	}
}

// On a 6-lock chain the designed reward keeps the key optimal with the
// margin at every state (checked by policy evaluation) and is non-zero
// on at most the budget's states.
func TestRewardDesignChain(t *testing.T) {
	env, err := NewLockChain(6, 3, 40, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultExploRS("exprd")
	cfg.Episodes = 300
	R, support, err := DesignEXPRD(env, env.Key, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(support) > cfg.Budget {
		t.Fatalf("support %v over budget %d", support, cfg.Budget)
	}
	V := make([]float64, env.N+1)
	for s := env.N - 1; s >= 0; s-- {
		V[s] = R[s][env.Key[s]] + cfg.Gamma*V[s+1]
	}
	for s := 0; s < env.N; s++ {
		nonzero := false
		for a := 0; a < env.A; a++ {
			nonzero = nonzero || R[s][a] != 0
			if a == env.Key[s] {
				continue
			}
			gap := (R[s][env.Key[s]] + cfg.Gamma*V[s+1]) - (R[s][a] + cfg.Gamma*V[0])
			if gap < cfg.Delta-1e-9 {
				t.Errorf("state %d action %d: Q gap %v < delta %v", s, a, gap, cfg.Delta)
			}
		}
		in := false
		for _, x := range support {
			in = in || x == s
		}
		if nonzero && !in {
			t.Errorf("state %d has reward off the support %v", s, support)
		}
	}
	// Learning speed on a 10-lock chain: the mean success rate over 600
	// episodes, 8 seeds (key and learner). The sparse reward almost never
	// opens the lock; the count bonus and ExploRS do.
	auc := map[string]float64{}
	for _, mode := range []string{"none", "bonus", "explors"} {
		for seed := uint64(1); seed <= 8; seed++ {
			lock, _ := NewLockChain(10, 3, 80, seed)
			c := DefaultExploRS(mode)
			c.Episodes, c.Baseline = 600, true
			res, err := TrainTabular(lock, c, seed)
			if err != nil {
				t.Fatal(err)
			}
			auc[mode] += res.SuccessRate(0, c.Episodes) / 8
		}
	}
	t.Logf("success rate over training: %v", auc)
	if !(auc["bonus"] > auc["none"]+0.2 && auc["explors"] > auc["none"]+0.1) {
		t.Errorf("shaping did not speed learning up: %v", auc)
	}
	if _, err := TrainTabular(env, DefaultExploRS("magic"), 1); err == nil {
		t.Error("mode magic accepted")
	}
}
