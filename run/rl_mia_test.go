package run

import (
	"testing"

	"github.com/autodidact-rl/autodidact/task"
)

// The members of an rl_mia run are its pool, every step draws only from
// it, and the non-members are distinct problems outside it; without the
// section the members are the loop's own per-step draws.
func TestMembershipSplit(t *testing.T) {
	r, err := LoadRecipe("rl_mia")
	if err != nil {
		t.Fatal(err)
	}
	r.Methods["rl_mia"].(*RLMIAConfig).Members = 5
	mem, non, err := MembershipSplit(r, 20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) != 5 || len(non) != 20 {
		t.Fatalf("%d members, %d non-members; want 5 and 20", len(mem), len(non))
	}
	in := map[string]bool{}
	for _, p := range mem {
		in[p.Prompt] = true
	}
	for _, p := range non {
		if in[p.Prompt] {
			t.Fatalf("non-member %q is a member", p.Prompt)
		}
		in[p.Prompt] = true
	}
	if len(in) != 25 {
		t.Errorf("%d distinct problems, want 25", len(in))
	}
	ru := &runner{r: r}
	if ru.task, err = task.New(r.Task.Name, r.Task.Params); err != nil {
		t.Fatal(err)
	}
	m := &rlMIAMethod{c: RLMIAConfig{Members: 5}}
	pool := map[string]bool{}
	for _, p := range mem {
		pool[p.Prompt] = true
	}
	seen := map[string]bool{}
	for st := 0; st < 4; st++ {
		ps, err := m.problems(ru, st, 16)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if !pool[p.Prompt] {
				t.Fatalf("step %d drew %q outside the pool", st, p.Prompt)
			}
			seen[p.Prompt] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("64 draws covered %d of the 5 members", len(seen))
	}

	g, err := LoadRecipe("grpo")
	if err != nil {
		t.Fatal(err)
	}
	g.RL.Steps, g.RL.PromptsPerStep = 3, 4
	mem, non, err = MembershipSplit(g, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) == 0 || len(mem) > 12 || len(non) != 8 {
		t.Errorf("grpo: %d members (want 1..12), %d non-members", len(mem), len(non))
	}
	if s, err := LoadRecipe("self"); err == nil {
		if _, _, err := MembershipSplit(s, 8, 0); err == nil {
			t.Error("self: members unknown, want an error")
		}
	}
}
