package run

import (
	"testing"

	"github.com/autodidact-rl/autodidact/recipes"
)

// FuzzLoadRecipe feeds arbitrary YAML documents as recipe files: loading
// must return a recipe or an error, never panic, and a loaded recipe must
// pass Validate and survive the round trip through config.yaml.
func FuzzLoadRecipe(f *testing.F) {
	for _, n := range recipes.Names() {
		data, err := recipes.Read(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "rl: {steps: 2.5}", "name: ../x", "rl: null", "task: [1, 2]", "model: {hidden_size: 1e300}",
		"eval: {k_list: [0.5]}", "roles: {critic: {model: trained}}", "siren: 3", "env: {name: two_turn, params: null}", "&a [*a]",
		"rl: {lr: .nan}", "pretrain: {noise: {rate: -0}}", "seed: -1", "threads: 1e20"} {
		f.Add([]byte(s))
	}
	base, err := recipes.Read("base")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		doc, err := parseDoc(base)
		if err != nil {
			t.Fatal(err)
		}
		r, err := parseRecipe("fuzz", doc, data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("LoadRecipe returned a recipe that fails Validate: %v", err)
		}
		r.YAML()
		r.EstimateMemory()
	})
}

// FuzzSet feeds arbitrary overrides: Set must return an error or a valid
// recipe, never panic.
func FuzzSet(f *testing.F) {
	for _, s := range append(append([]string{}, SmokeOverrides...), "rl.lr=", "rl.steps=2.9", "name=../..", "rl..lr=1", "=1", "rl=",
		"task.params={min_digits: 1, max_digits: 2}", "siren.coef=0.01", "roles.critic={model: trained}", "rl.lr=[1]", "eval.k_list=[1,1e9]",
		"rl.temperature=1e39", "env=null", "task.template.prompt='{question}'", "judge={name: model, max_new_tokens: 1000}", "a.b.c.d=1") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if len(o) > 1<<12 {
			return
		}
		r, err := LoadRecipe("grpo")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Set([]string{o}); err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Set(%q) accepted a recipe that fails Validate: %v", o, err)
		}
		r.YAML()
	})
}
