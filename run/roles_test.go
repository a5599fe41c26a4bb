package run

import (
	"math"
	"testing"

	"github.com/autodidact-rl/autodidact/episode"
)

// TestRoleAdvantages: a critic played by the policy gets GRPO advantages
// from its own rewards while the policy's tokens keep the episode's. One
// group of two episodes, episode rewards (1, 1) (policy advantage 0),
// critic rewards (1, 0): A = (1 - 0.5) / std_unbiased(1, 0) = +-0.7071.
func TestRoleAdvantages(t *testing.T) {
	r, err := LoadRecipe("two_turn")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]string{"env.params={feedback: critic}", "roles={critic: {model: policy, temperature: 1, max_new_tokens: 8}}", "rl.group_size=2"}); err != nil {
		t.Fatal(err)
	}
	ru := &runner{r: r}
	mk := func(critic float64) sample {
		ep := &episode.Episode{Reward: 1, Correct: true, RoleRewards: map[string]float64{"critic": critic},
			Segments: []episode.Segment{{Role: "prompt", IDs: []int32{1, 2}}, {Role: "policy", IDs: []int32{3, 4}, Trainable: true},
				{Role: "observation", IDs: []int32{5}}, {Role: "critic", IDs: []int32{6, 7, 8}, Trainable: true},
				{Role: "policy", IDs: []int32{9}, Trainable: true}}}
		pos, lp := ep.Trainable()
		return sample{ep: ep, ids: ep.IDs(), pos: pos, gen: ep.Generated(), oldLogp: lp, reward: 1, correct: true}
	}
	xs := []sample{mk(1), mk(0)}
	a, err := ru.advantages(xs)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{0, 0, 0.7071, 0.7071, 0.7071, 0}, {0, 0, -0.7071, -0.7071, -0.7071, 0}}
	for i := range want {
		for k := range want[i] {
			if math.Abs(a.tok[i][k]-want[i][k]) > 1e-4 {
				t.Fatalf("sample %d token advantages %v, want %v", i, a.tok[i], want[i])
			}
		}
	}
}
