package control

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestResumeIsExact: a run stopped between two checkpoints (after
// metrics were written past the last one) and resumed ends with the same
// metrics.jsonl, policy and evaluation returns, byte for byte, as the run
// never interrupted; also when stopped before its first checkpoint, and
// for PPO with observation and reward normalisation.
func TestResumeIsExact(t *testing.T) {
	sac := DefaultSAC("Pendulum-v1")
	sac.Steps, sac.LearningStart, sac.Hidden, sac.Batch, sac.CheckpointEvery = 1200, 300, []int{32, 32}, 32, 400
	td3 := SmokeTD3("Pendulum-v1")
	td3.LogEvery = 100
	ppo := DefaultPPO("CartPole-v1")
	ppo.NumEnvs, ppo.RolloutLen, ppo.Steps, ppo.CheckpointEvery = 4, 32, 128*12, 5
	ppoNorm := DefaultPPO("Pendulum-v1")
	ppoNorm.NumEnvs, ppoNorm.RolloutLen, ppoNorm.Steps, ppoNorm.CheckpointEvery = 2, 64, 128*12, 5
	ppoNorm.NormObs, ppoNorm.NormReward = true, true
	for _, tc := range []struct {
		name   string
		stopAt int
		run    func(o runOpts) (*Summary, error)
	}{
		{"sac", 1100, func(o runOpts) (*Summary, error) { return runSAC(sac, o, 2, nil) }},
		{"sac-before-first-checkpoint", 350, func(o runOpts) (*Summary, error) { return runSAC(sac, o, 2, nil) }},
		{"td3", 550, func(o runOpts) (*Summary, error) { return runTD3(td3, o, 2, nil) }},
		{"ppo", 8, func(o runOpts) (*Summary, error) { return runPPO(ppo, o, 2, nil) }},
		{"ppo-norm", 7, func(o runOpts) (*Summary, error) { return runPPO(ppoNorm, o, 2, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, cut := t.TempDir(), t.TempDir()
			want, err := tc.run(runOpts{dir: whole})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tc.run(runOpts{dir: cut, stopAt: tc.stopAt}); !errors.Is(err, errStopped) {
				t.Fatalf("stopped run: got %v", err)
			}
			if _, err := os.Stat(filepath.Join(cut, "summary.json")); err == nil {
				t.Fatal("a stopped run wrote summary.json")
			}
			got, err := Resume(cut, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.FinalReturn != want.FinalReturn || len(got.EvalReturns) != len(want.EvalReturns) {
				t.Fatalf("resumed final return %v, uninterrupted %v", got.FinalReturn, want.FinalReturn)
			}
			for _, f := range []string{"metrics.jsonl", "policy.safetensors", "config.json"} {
				a, _ := os.ReadFile(filepath.Join(whole, f))
				b, _ := os.ReadFile(filepath.Join(cut, f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Fatalf("%s differs after resume (%d vs %d bytes):\n%s\n---\n%s", f, len(a), len(b), a, b)
				}
			}
			if _, err := Resume(cut, 2, nil); err == nil {
				t.Fatal("resuming a finished run was accepted")
			}
		})
	}
}
