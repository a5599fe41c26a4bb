package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/run"
)

// `autodidact steer` on a real tiny run (grpo on chain): the calibration
// finds pairs, the dev grid holds the unsteered point and every layer x
// alpha, the test points are on the run's held-out set, and bad flags or
// a multi-turn run are refused with a message.
func TestSteerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	r, err := run.LoadRecipe("grpo")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"task.name=chain", "task.params={min_ops: 1, max_ops: 2}"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Smoke(); err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"pretrain.steps=1000", "pretrain.lr=0.01", "rl.steps=2"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := run.Run(r, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	o := steerOpts{layers: "all", alphas: "1,-2", norm: "mean", scope: "generated", calib: 64, dev: 8, test: 8, samples: 16,
		temperature: 1, tol: 0.5, seed: 1, asJSON: true}
	var out bytes.Buffer
	if err := runSteer(&out, []string{dir, dir}, o); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Runs []struct {
			Result struct {
				Calibration struct{ Pairs int }
				Dev         []struct{ Alpha float64 }
				TestBase    struct {
					PassAt1 float64 `json:"pass@1"`
				} `json:"test_base"`
			}
		}
		Paired map[string]struct{ N int }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(got.Runs) != 2 || got.Runs[0].Result.Calibration.Pairs == 0 || len(got.Runs[0].Result.Dev) != 1+1*2 || got.Paired["delta_len"].N != 2 {
		t.Fatalf("unexpected study:\n%s", out.String())
	}
	o.asJSON = false
	out.Reset()
	if err := runSteer(&out, []string{dir}, o); err != nil || !strings.Contains(out.String(), "<- chosen") || !strings.Contains(out.String(), "test: unsteered") {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for name, bad := range map[string]steerOpts{
		"alphas": {layers: "all", alphas: "1,x", norm: "none", scope: "generated", calib: 4, dev: 4, test: 4, samples: 1},
		"layer":  {layers: "7", alphas: "1", norm: "none", scope: "generated", calib: 4, dev: 4, test: 4, samples: 1},
		"norm":   {layers: "all", alphas: "1", norm: "l2", scope: "generated", calib: 4, dev: 4, test: 4, samples: 1},
		"calib":  {layers: "all", alphas: "1", norm: "none", scope: "generated", calib: 0, dev: 4, test: 4, samples: 1},
	} {
		if err := runSteer(io.Discard, []string{dir}, bad); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}
