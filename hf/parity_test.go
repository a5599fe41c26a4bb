package hf

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
)

type reference struct {
	Architecture string `json:"architecture"`
	DType        string `json:"dtype"`
	Sequences    []struct {
		IDs      []int32   `json:"ids"`
		LogProbs []float64 `json:"logprobs"`
	} `json:"sequences"`
}

// parityDirs are the model directories written by scripts/hf_reference.py.
func parityDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*/reference.json")
	if err != nil || len(dirs) < 8 {
		t.Fatalf("want 8 reference directories under testdata (scripts/hf_reference.py), got %d (%v)", len(dirs), err)
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

func readReference(t *testing.T, dir string) reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLogProbsMatchFloat64Reference loads each Hugging Face directory (F32
// and BF16 files) and compares Score's log-probs with the independent
// float64 implementation of the transformers equations.
func TestLogProbsMatchFloat64Reference(t *testing.T) {
	for _, dir := range parityDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ref := readReference(t, dir)
			m, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for _, s := range ref.Sequences {
				lp, err := LogProbs(m, s.IDs)
				if err != nil {
					t.Fatal(err)
				}
				if len(lp) != len(s.LogProbs) {
					t.Fatalf("%d log-probs, want %d", len(lp), len(s.LogProbs))
				}
				for i, want := range s.LogProbs {
					worst = math.Max(worst, math.Abs(float64(lp[i])-want))
				}
			}
			t.Logf("%s %s: max |logp - float64 reference| = %.3g", ref.Architecture, ref.DType, worst)
			if worst > 2e-4 || math.IsNaN(worst) {
				t.Fatalf("max log-prob error %.3g exceeds 2e-4", worst)
			}
		})
	}
}

// TestGenerationMatchesScoreOnLoadedModels samples from each loaded model
// and rescores the samples: recorded and recomputed log-probs must agree.
func TestGenerationMatchesScoreOnLoadedModels(t *testing.T) {
	for _, dir := range parityDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			prompts := [][]int32{{1, 2, 3}, {250}, {7, 8, 9, 10, 11, 12, 13}}
			for _, temp := range []float32{1, 0.7} {
				g, err := m.Generate(prompts, lm.SampleOptions{Temperature: temp, MaxNew: 24}, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				gap := 0.0
				for i, p := range prompts {
					seq := append(append([]int32(nil), p...), g.Tokens[i]...)
					s, err := m.Score(&lm.Batch{Rows: 1, Len: len(seq), Tokens: seq, Temperature: temp})
					if err != nil {
						t.Fatal(err)
					}
					for j, lp := range g.LogProbs[i] {
						gap = math.Max(gap, math.Abs(float64(lp-s.LogProbs[len(p)+j])))
					}
				}
				if gap > 1e-6 {
					t.Fatalf("temperature %v: generation's log-probs differ from Score's by %.3g > 1e-6", temp, gap)
				}
			}
		})
	}
}
