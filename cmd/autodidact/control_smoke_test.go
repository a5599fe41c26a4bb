package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestControlTrainSmokesEveryAlgorithm: `control train --algo NAME
// --smoke` runs every algorithm (the offline ones on a small dataset they
// collect themselves) and reports a final return; --dataset with an
// online algorithm, an offline one without data and SRPO on a dense
// environment are refused. ppo_srpo runs on a sparse-success environment.
func TestControlTrainSmokesEveryAlgorithm(t *testing.T) {
	for _, algo := range controlAlgos {
		envName := "Pendulum-v1"
		if algo == "ppo_srpo" {
			envName = "DrivingSparseShort-v0"
		}
		var out bytes.Buffer
		root := newRoot(&out, &out)
		root.SetArgs([]string{"control", "train", "--algo", algo, "--env", envName, "--smoke", "--eval-episodes", "1",
			"--out", filepath.Join(t.TempDir(), algo)})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v\n%s", algo, err, out.String())
		}
		if !strings.Contains(out.String(), "final_return") {
			t.Errorf("%s: no final return in %q", algo, out.String())
		}
	}
	for _, args := range [][]string{
		{"control", "train", "--algo", "sac", "--env", "Pendulum-v1", "--dataset", "d.safetensors"},
		{"control", "train", "--algo", "cql", "--env", "Pendulum-v1", "--out", filepath.Join(t.TempDir(), "x")},
		{"control", "train", "--algo", "bogus"},
		{"control", "train", "--algo", "ppo_srpo", "--env", "Driving-v0", "--smoke", "--out", filepath.Join(t.TempDir(), "y")},
	} {
		var out bytes.Buffer
		root := newRoot(&out, &out)
		root.SetArgs(args)
		if err := root.Execute(); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
