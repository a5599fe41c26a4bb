package lm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scoreGap scores context+tokens as one sequence and returns the largest
// |recorded - recomputed| log-prob gap over the tokens.
func scoreGap(t *testing.T, m *Model, ctx, toks []int32, lps []float32, temp float32) float64 {
	t.Helper()
	g := &Generation{Tokens: [][]int32{toks}, LogProbs: [][]float32{lps}}
	return rescore(t, m, [][]int32{ctx}, g, temp)
}

// TestEngineTurnsBranchesAndQueues runs three kinds of work through one
// engine with fewer slots than jobs: single prompts, second turns that
// continue a finished job's context with new observation tokens, and a
// branch from the middle of another job's context. Every recorded log-prob
// must equal Score's on the whole sequence, and continuations and branches
// must reuse cached keys and values instead of recomputing the prefix.
func TestEngineTurnsBranchesAndQueues(t *testing.T) {
	m := genModel(t)
	for _, temp := range []float32{1, 0.7} {
		e, err := m.NewEngine(2, 64, SampleOptions{Temperature: temp}, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		first := []*Job{}
		for _, p := range prompts() {
			j := &Job{Context: p, MaxNew: 6}
			first = append(first, j)
			if err := e.Submit(j); err != nil {
				t.Fatal(err)
			}
		}
		obs := []int32{7, 7, 1}
		var second []*Job
		branched, turns := false, 0
		for steps := 0; e.Busy(); steps++ {
			if steps > 1000 {
				t.Fatal("engine does not finish")
			}
			for _, j := range e.Step() {
				if j.Tag == nil {
					turns++
					// Next turn: the whole earlier context, the generated ids, an observation.
					ctx := append(append(append([]int32{}, j.Context...), j.Tokens...), obs...)
					n := &Job{Context: ctx, MaxNew: 5, Tag: "turn2", Continues: j}
					second = append(second, n)
					if err := e.Submit(n); err != nil {
						t.Fatal(err)
					}
				}
				if !branched && j.Tag == "turn2" && len(j.Context) > 4 {
					branched = true
					b := &Job{Context: append(append([]int32{}, j.Context[:len(j.Context)-2]...), 9), MaxNew: 4, Tag: "branch"}
					second = append(second, b)
					if err := e.Submit(b); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		e.Release()
		reused := 0
		for _, j := range append(first, second...) {
			if len(j.Tokens) == 0 || len(j.Tokens) != len(j.LogProbs) {
				t.Fatalf("job %v: %d tokens, %d log-probs", j.Tag, len(j.Tokens), len(j.LogProbs))
			}
			if gap := scoreGap(t, m, j.Context, j.Tokens, j.LogProbs, temp); gap > 1e-6 {
				t.Fatalf("temperature %v job %v (reused %d): log-prob gap %.3g > 1e-6", temp, j.Tag, j.Reused, gap)
			}
			if j.Tag != nil {
				reused += j.Reused
			}
		}
		if !branched || turns != len(first) || len(second) != len(first)+1 {
			t.Fatalf("%d follow-up jobs, branched %v", len(second), branched)
		}
		if reused == 0 {
			t.Fatal("continuations reused no cached prefix")
		}
		t.Logf("temperature %v: %d follow-up jobs reused %d cached tokens", temp, len(second), reused)
	}
}

// TestEngineStopSequences ends a job when its tokens end with a stop
// sequence, and rejects jobs that cannot fit.
func TestEngineStopSequences(t *testing.T) {
	m := genModel(t)
	e, err := m.NewEngine(1, 32, SampleOptions{Temperature: 0}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	probe := &Job{Context: []int32{1, 2}, MaxNew: 8}
	e.Submit(probe)
	for e.Busy() {
		e.Step()
	}
	// Greedy decoding repeats itself: stop on the pair it writes at 2..3.
	seq := append([]int32{}, probe.Tokens[2:4]...)
	j := &Job{Context: []int32{1, 2}, MaxNew: 8, StopSeqs: [][]int32{seq}}
	e.Submit(j)
	for e.Busy() {
		e.Step()
	}
	if !j.Stopped || len(j.Tokens) > 4 || !endsWithAny(j.Tokens, [][]int32{seq}) {
		t.Fatalf("stop sequence %v: got %v (stopped %v) from greedy %v", seq, j.Tokens, j.Stopped, probe.Tokens)
	}
	for _, bad := range []*Job{{Context: nil, MaxNew: 1}, {Context: []int32{1}, MaxNew: 0},
		{Context: []int32{1}, MaxNew: 40}, {Context: []int32{99}, MaxNew: 1}} {
		if err := e.Submit(bad); err == nil {
			t.Errorf("job %+v must be refused", bad)
		}
	}
	if math.IsNaN(float64(j.LogProbs[0])) {
		t.Fatal("NaN log-prob")
	}
}
