package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/autodidact-rl/autodidact/internalrl"
	"github.com/autodidact-rl/autodidact/run"
)

// internal-rl on a smoke-sized gridwalk run: discovery lowers the frozen
// model's NLL of the expert walks, every RL step drew codes, and the
// success rates are rates.
func TestInternalRLCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	r, err := run.LoadRecipe("../../scripts/recipes/gridwalk_grpo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Smoke(); err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"pretrain.steps=200", "pretrain.lr=0.01", "rl.steps=1"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := run.Run(r, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	o := internalRLOpts{o: internalrl.DefaultOptions(), layer: -1, seqs: 64, test: 4, samples: 2, asJSON: true}
	o.o.DiscoverSteps, o.o.DiscoverLR, o.o.RLSteps, o.o.Prompts, o.o.Group = 40, 1e-2, 2, 2, 4
	var out bytes.Buffer
	if err := runInternalRL(&out, dir, o); err != nil {
		t.Fatal(err)
	}
	var rep internalRLReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	d := rep.Discovery
	if len(d) != 40 || !(d[len(d)-1].NLL < d[0].NLL) {
		t.Fatalf("discovery %d steps, NLL %.4f -> %.4f", len(d), d[0].NLL, d[len(d)-1].NLL)
	}
	if len(rep.RL) != 2 || rep.RL[0].Decisions < 1 {
		t.Fatalf("rl steps %+v: want 2, each drawing >= 1 code per rollout", rep.RL)
	}
	for _, v := range []float64{rep.Before, rep.After} {
		if v < 0 || v > 1 {
			t.Fatalf("success rate %v", v)
		}
	}
}
