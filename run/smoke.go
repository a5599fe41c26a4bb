package run

// SmokeOverrides shrink any recipe to a configuration that runs end to end
// in seconds: a one-layer model, short stages, a few problems. `autodidact
// run RECIPE --smoke` applies them before the user's --set overrides, so a
// user can check a recipe's whole path before a long run; CI smokes every
// recipe with them.
var SmokeOverrides = []string{
	"threads=2", "model.hidden_size=32", "model.intermediate_size=64", "model.num_hidden_layers=1",
	"model.num_attention_heads=2", "model.num_key_value_heads=2",
	"pretrain.steps=30", "pretrain.batch=16", "rl.steps=6", "rl.prompts_per_step=4", "rl.group_size=4",
	"rl.max_new_tokens=32", "eval.problems=8", "eval.samples=4", "eval.k_list=[1,4]", "eval.every=3",
	"eval.max_new_tokens=32", "checkpoint_every=2",
}

// smokeAdd shrinks the default task's numbers; other tasks keep theirs.
const smokeAdd = "task.params={min_digits: 1, max_digits: 2}"

// Smoke shrinks the recipe in place with SmokeOverrides and the smoke
// overrides of each of its methods (e.g. SELF's smaller pool).
func (r *Recipe) Smoke() error {
	sets := append([]string{}, SmokeOverrides...)
	if r.Task.Name == "add" {
		sets = append(sets, smokeAdd)
	}
	for _, n := range r.methodNames() {
		sets = append(sets, methodSpecs[n].smoke...)
	}
	return r.Set(sets)
}
