package task

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Process traces (RLSP's demonstrations) still grade correct, carry dead
// ends with the backtrack marker on about dead_ends of the solutions, end
// their reasoning with a "?target=target" check, and leave the answer the
// direct solver writes; direct traces have no markers.
func TestCountdownProcessTraces(t *testing.T) {
	proc, err := New("countdown", map[string]any{"trace": "process", "dead_ends": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := New("countdown", nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Generate(proc, Train, 3, 200, DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	withBack := 0
	for i, p := range ps {
		sol := Solve(proc, p, DefaultTemplate, Noise{}, rand.New(rand.NewPCG(uint64(i), 1)))
		if !proc.Grade(p, sol).Correct {
			t.Fatalf("process solution graded wrong:\n%s\n%s", p.Prompt, sol)
		}
		lines := strings.Split(sol, "\n")
		if v := lines[len(lines)-2]; v != VerifyMarker+p.Answer+"="+p.Answer {
			t.Fatalf("last step %q is not the check of %s", v, p.Answer)
		}
		if strings.Contains(sol, "\n"+BacktrackMarker) || strings.HasPrefix(sol, BacktrackMarker) {
			withBack++
		}
		d := Solve(direct, p, DefaultTemplate, Noise{}, rand.New(rand.NewPCG(uint64(i), 1)))
		if strings.ContainsAny(d, BacktrackMarker+VerifyMarker) {
			t.Fatalf("direct trace has markers:\n%s", d)
		}
		if lines[len(lines)-1] != d[strings.LastIndex(d, "\n")+1:] {
			t.Fatalf("answers differ: %q vs %q", lines[len(lines)-1], d)
		}
	}
	if withBack < 70 || withBack > 130 {
		t.Errorf("%d of 200 solutions backtrack, want about 100", withBack)
	}
	for _, bad := range []map[string]any{{"trace": "dfs"}, {"dead_ends": 1.5}, {"max_dead_ends": 0}} {
		if _, err := New("countdown", bad); err == nil {
			t.Errorf("params %v accepted", bad)
		}
	}
}
