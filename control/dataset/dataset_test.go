package dataset

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control/env"
)

func TestCollectSaveLoad(t *testing.T) {
	for _, name := range []string{"CartPole-v1", "Pendulum-v1"} {
		e, _ := env.Make(name)
		d, err := Collect(name, "random", RandomPolicy(e.ActionSpace()), 1500, 0.1, 3)
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != 1500 || d.Episodes == 0 {
			t.Fatalf("%s: %d transitions, %d episodes", name, d.Len(), d.Episodes)
		}
		// Terminals and timeouts are separate: Pendulum only times out.
		var term, tout float32
		for i := range d.Term {
			term += d.Term[i]
			tout += d.Timeout[i]
		}
		if name == "Pendulum-v1" && (term != 0 || tout != 7) {
			t.Fatalf("Pendulum: %v terminals, %v timeouts; want 0 and 7", term, tout)
		}
		if name == "CartPole-v1" && term == 0 {
			t.Fatal("random CartPole must terminate")
		}
		// next_observations[i] == observations[i+1] within an episode.
		for i := 0; i+1 < d.Len(); i++ {
			if d.Term[i] == 0 && d.Timeout[i] == 0 {
				for j := 0; j < d.ObsDim; j++ {
					if d.NextObs[i*d.ObsDim+j] != d.Obs[(i+1)*d.ObsDim+j] {
						t.Fatalf("%s: transition %d does not chain", name, i)
					}
				}
			}
		}
		path := filepath.Join(t.TempDir(), "d.safetensors")
		if err := d.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if back.Len() != d.Len() || back.Env != name || back.Episodes != d.Episodes || back.Obs[100] != d.Obs[100] {
			t.Fatalf("%s: round trip lost data", name)
		}
	}
}

func TestLoadRejectsInconsistentFiles(t *testing.T) {
	dir := t.TempDir()
	good := []checkpoint.Tensor{
		{Name: "observations", Shape: []int{2, 1}, Data: []float32{1, 2}},
		{Name: "actions", Shape: []int{2, 1}, Data: []float32{0, 1}},
		{Name: "rewards", Shape: []int{2}, Data: []float32{1, 1}},
		{Name: "next_observations", Shape: []int{2, 1}, Data: []float32{2, 3}},
		{Name: "terminals", Shape: []int{2}, Data: []float32{0, 1}},
		{Name: "timeouts", Shape: []int{2}, Data: []float32{0, 0}},
	}
	meta := map[string]string{"format": Format}
	for _, tc := range []struct {
		name   string
		mutate func([]checkpoint.Tensor) []checkpoint.Tensor
		meta   map[string]string
		want   string
	}{
		{"missing field", func(ts []checkpoint.Tensor) []checkpoint.Tensor { return ts[:5] }, meta, "timeouts is missing"},
		{"row mismatch", func(ts []checkpoint.Tensor) []checkpoint.Tensor {
			ts[2] = checkpoint.Tensor{Name: "rewards", Shape: []int{3}, Data: []float32{1, 1, 1}}
			return ts
		}, meta, "rewards has 3 rows"},
		{"bad flag", func(ts []checkpoint.Tensor) []checkpoint.Tensor {
			ts[4] = checkpoint.Tensor{Name: "terminals", Shape: []int{2}, Data: []float32{0, 0.5}}
			return ts
		}, meta, "terminals[1]"},
		{"wrong format", func(ts []checkpoint.Tensor) []checkpoint.Tensor { return ts }, map[string]string{"format": "x"}, "format"},
	} {
		ts := append([]checkpoint.Tensor(nil), good...)
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
		if err := checkpoint.WriteSafetensors(path, tc.mutate(ts), tc.meta); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
