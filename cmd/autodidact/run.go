package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/run"
)

// runOptions are the flags of `autodidact run`.
type runOptions struct {
	sets    []string
	out     string
	resume  string
	seed    int64
	seedSet bool // --seed was given
	smoke   bool
	dryRun  bool
	cache   string // --pretrain-cache
	// rollout workers (cluster.Learner)
	nats           natsFlags
	rolloutWorkers int
	rolloutShards  int
}

// newRunCmd is `autodidact run [RECIPE] [--set k=v]... [--out DIR]
// [--seed N] [--smoke] [--dry-run]` and `autodidact run --resume DIR`.
func newRunCmd() *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run [RECIPE] [flags]",
		Short: "pretrain, RL-train and evaluate a policy",
		Long: `Run a recipe: pretrain a policy on noisy solutions of its task, improve it
with RL, and evaluate it before and after. RECIPE is a built-in recipe
(see 'autodidact recipes'; default grpo) or a YAML file. The run directory
holds config.yaml, metrics.jsonl, samples.jsonl, checkpoints and
summary.json; --resume continues a killed run exactly.`,
		Example: `  autodidact run dapo --set rl.lr=5e-5 --seed 2
  autodidact run two_turn --smoke
  autodidact run grpo --set rl.steps=50 --dry-run
  autodidact run --resume runs/20261124-183000-grpo`,
		Args:              rangeArgs(0, 1, "takes at most one recipe"),
		ValidArgsFunction: completeRecipes(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			if cmd.Flags().Changed("resume") && o.resume == "" {
				return fmt.Errorf("run --resume: name the run directory")
			}
			if cmd.Flags().Changed("out") && o.out == "" {
				return fmt.Errorf("run --out: name the run directory")
			}
			recipe := ""
			if len(args) == 1 {
				if recipe = args[0]; recipe == "" {
					return fmt.Errorf("run: the recipe name is empty (see autodidact recipes)")
				}
			}
			return runRun(o, recipe, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringArrayVar(&o.sets, "set", nil, "override a recipe field, e.g. --set rl.lr=1e-5 (repeatable; the value is YAML)")
	f.StringVar(&o.out, "out", "", "run directory (default runs/<timestamp>-<recipe>)")
	f.StringVar(&o.resume, "resume", "", "continue the run in this directory (its recipe is the saved config.yaml)")
	f.Int64Var(&o.seed, "seed", 0, "shorthand for --set seed=N (a non-negative integer)")
	f.BoolVar(&o.smoke, "smoke", false, "run a tiny configuration of the recipe (seconds) to check its whole path")
	f.BoolVar(&o.dryRun, "dry-run", false, "validate the recipe with the overrides and print what they change; create nothing")
	o.nats.register(f, "sample the RL episodes on rollout workers over this NATS server (`autodidact worker --rollout RUN`)")
	f.IntVar(&o.rolloutWorkers, "rollout-workers", 0, "start N local rollout worker processes (and, without --nats, an embedded NATS server on loopback)")
	f.IntVar(&o.rolloutShards, "rollout-shards", 1, "split each RL step's sampling between this many workers (1: bit for bit the single-process run)")
	f.StringVar(&o.cache, "pretrain-cache", "", "share pretrained models through this directory: a run whose pretraining matches a cached one loads it instead (results unchanged, bit for bit)")
	c.MarkFlagDirname("out")
	c.MarkFlagDirname("resume")
	return c
}

// runRun carries out `autodidact run`.
func runRun(o runOptions, recipe string, stdout io.Writer) error {
	if o.seedSet && o.seed < 0 {
		return fmt.Errorf("run --seed %d: a seed is a non-negative integer", o.seed)
	}
	if o.resume != "" {
		if recipe != "" || len(o.sets) > 0 || o.seedSet || o.smoke || o.dryRun || o.out != "" {
			return fmt.Errorf("run --resume takes the recipe saved in the run directory; drop the recipe, --set, --seed, --smoke, --dry-run and --out")
		}
		if _, err := os.Stat(filepath.Join(o.resume, run.ConfigFile)); err != nil {
			return fmt.Errorf("run --resume %s: not a run directory (it has no %s)", o.resume, run.ConfigFile)
		}
		r, err := run.LoadRecipe(filepath.Join(o.resume, run.ConfigFile))
		if err != nil {
			return err
		}
		return runWithRollouts(o, r, o.resume, true, stdout)
	}
	if recipe == "" {
		recipe = "grpo"
	}
	r, err := resolveRecipe(recipe, o.smoke, o.sets, o.seedSet, o.seed)
	if err != nil {
		return err
	}
	if o.dryRun {
		dir := o.out
		if dir == "" {
			dir = defaultRunDir(r.Name)
		}
		return dryRun(stdout, recipe, o.smoke, r, dir)
	}
	dir := o.out
	if dir == "" {
		// A unique new directory (two runs started in the same second get
		// different ones).
		if dir, err = run.DefaultDir("runs", r.Name); err != nil {
			return err
		}
	}
	return runWithRollouts(o, r, dir, false, stdout)
}

// defaultRunDir is the name a dry run shows for the run directory of
// `autodidact run` without --out (a real run takes run.DefaultDir's, which
// adds a suffix if the name is taken).
func defaultRunDir(name string) string {
	return filepath.Join("runs", time.Now().Format("20060102-150405")+"-"+name)
}

// resolveRecipe loads a recipe and applies --smoke, --set and --seed in
// that order; Set validates the result.
func resolveRecipe(name string, smoke bool, sets []string, seedSet bool, seed int64) (*run.Recipe, error) {
	r, err := run.LoadRecipe(name)
	if err != nil {
		return nil, err
	}
	if smoke {
		if err := r.Smoke(); err != nil {
			return nil, err
		}
	}
	if seedSet {
		if seed < 0 {
			return nil, fmt.Errorf("--seed %d: a seed is a non-negative integer", seed)
		}
		sets = append(append([]string(nil), sets...), fmt.Sprintf("seed=%d", seed))
	}
	if err := r.Set(sets); err != nil {
		return nil, err
	}
	return r, nil
}

// dryRun validates r and prints how --smoke, --set and --seed changed the
// recipe named name, key by key, without touching the file system.
func dryRun(w io.Writer, name string, smoke bool, r *run.Recipe, dir string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	orig, err := run.LoadRecipe(name)
	if err != nil {
		return err
	}
	changes := recipeChanges(orig, r)
	fmt.Fprintf(w, "recipe %s is valid", r.Name)
	if smoke {
		fmt.Fprint(w, " (with --smoke)")
	}
	fmt.Fprintf(w, "; run directory %s (not created)\n", dir)
	if len(changes) == 0 {
		fmt.Fprintln(w, "no setting differs from the recipe")
		return nil
	}
	fmt.Fprintf(w, "%d setting%s differ from the recipe:\n", len(changes), plural(len(changes)))
	for _, c := range changes {
		fmt.Fprintf(w, "  %s: %s → %s\n", c.key, c.old, c.new)
	}
	return nil
}

// change is one setting that differs between two recipes.
type change struct{ key, old, new string }

// recipeChanges lists the settings (dotted keys) whose values differ
// between two resolved recipes, sorted by key; a missing value is "(unset)".
func recipeChanges(a, b *run.Recipe) []change {
	fa, fb := flattenRecipe(a.YAML()), flattenRecipe(b.YAML())
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		va, oka := fa[k]
		vb, okb := fb[k]
		if oka && okb && va == vb {
			continue
		}
		if !oka {
			va = "(unset)"
		}
		if !okb {
			vb = "(unset)"
		}
		out = append(out, change{k, va, vb})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// flattenRecipe maps a YAML document's leaves to dotted keys with their
// values in flow YAML ("rl.lr" → "0.0001", "eval.k_list" → "[1, 4]").
func flattenRecipe(doc []byte) map[string]string {
	var m map[string]any
	_ = yaml.Unmarshal(doc, &m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if mm, ok := v.(map[string]any); ok && len(mm) > 0 {
			for k, x := range mm {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, x)
			}
			return
		}
		out[prefix] = flowYAML(v)
	}
	walk("", m)
	return out
}

// flowYAML renders a value on one line.
func flowYAML(v any) string {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	setFlow(n)
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}

// setFlow gives n and every collection under it the flow style.
func setFlow(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}

// completeRecipes completes the first max positional arguments (max < 0:
// all) with the built-in recipe names and their summaries; later arguments
// get no completion. YAML files complete as files.
func completeRecipes(max int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range recipes.Names() {
			if n == "base" || !strings.HasPrefix(n, toComplete) {
				continue
			}
			out = append(out, n+"\t"+recipeOneLine(n))
		}
		return out, cobra.ShellCompDirectiveDefault
	}
}
