package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/run"
)

// safeExecute runs execute and reports a panic as a test failure.
func safeExecute(t *testing.T, args []string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("autodidact %q panicked: %v", args, p)
			code = -1
		}
	}()
	code = execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

// allCommands lists the command paths of the tree (without the root's
// name), e.g. "control train".
func allCommands() []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden {
				continue
			}
			out = append(out, cmdName(s))
			walk(s)
		}
	}
	walk(newRoot(nil, nil))
	return out
}

// TestEveryCommandKept: the command tree holds every command of the
// hand-rolled dispatcher, plus recipes and completion.
func TestEveryCommandKept(t *testing.T) {
	have := map[string]bool{}
	for _, c := range allCommands() {
		have[c] = true
	}
	for _, want := range []string{"run", "compare", "report", "show", "dash", "control", "control envs", "control train",
		"control eval", "control dataset", "bench", "bench train", "bench sample", "bench grpo", "grade", "tasks", "tasks list",
		"tasks sample", "version", "recipes", "recipes list", "recipes show", "completion", "completion bash",
		"completion zsh", "completion fish", "help"} {
		if !have[want] {
			t.Errorf("no command %q", want)
		}
	}
}

// TestHelpEverywhere: --help, -h and `help CMD` print each command's help
// to stdout and exit 0, with nothing on stderr.
func TestHelpEverywhere(t *testing.T) {
	cmds := append([]string{""}, allCommands()...)
	for _, c := range cmds {
		words := strings.Fields(c)
		for _, args := range [][]string{append(words, "--help"), append(words, "-h"), append([]string{"help"}, words...)} {
			code, out, errs := safeExecute(t, args)
			if code != exitOK || errs != "" || !strings.Contains(out, "Usage:") || !strings.Contains(out, "autodidact "+c) {
				t.Errorf("autodidact %s: exit %d, stderr %q, stdout %.120q; want its help on stdout, exit 0", strings.Join(args, " "), code, errs, out)
			}
		}
	}
}

// TestExitStatuses: 0 on success, 2 with usage for a wrong command line,
// 1 with "autodidact: ..." for other errors; --version on the root.
func TestExitStatuses(t *testing.T) {
	cases := []struct {
		args      []string
		code      int
		stdout    string // in stdout
		stderr    string // in stderr
		withUsage bool
	}{
		{nil, 0, "Usage:", "", false},
		{[]string{"--version"}, 0, "autodidact " + version, "", false},
		{[]string{"version"}, 0, "BLAS: ", "", false},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, true},
		{[]string{"rn"}, 2, "", "did you mean run", true},
		{[]string{"help", "frobnicate"}, 2, "", "unknown command", true},
		{[]string{"bench", "train", "--nope"}, 2, "", "unknown flag: --nope", true},
		{[]string{"run", "-steps", "5"}, 2, "", "--steps", true},
		{[]string{"bench", "train", "--d", "abc"}, 2, "", "invalid argument", true},
		{[]string{"control", "frobnicate"}, 2, "", "unknown command", true},
		{[]string{"control", "train", "foo"}, 2, "", "takes no arguments", true},
		{[]string{"report"}, 2, "", "name one or more run directories", true},
		{[]string{"bench"}, 2, "", "bench train", true},
		{[]string{"run", "nosuch", "--dry-run"}, 1, "", "autodidact: unknown recipe", false},
		{[]string{"tasks", "sample", "nosuch"}, 1, "", "autodidact: ", false},
		{[]string{"tasks", "sample", "add", "-n", "-1"}, 1, "", "autodidact: tasks sample: -n -1", false},
	}
	for _, c := range cases {
		code, out, errs := safeExecute(t, c.args)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) || strings.Contains(errs, "Usage:") != c.withUsage {
			t.Errorf("autodidact %s: exit %d, stdout %.100q, stderr %.300q; want exit %d, %q in stdout, %q in stderr, usage %v",
				strings.Join(c.args, " "), code, out, errs, c.code, c.stdout, c.stderr, c.withUsage)
		}
	}
}

// TestHostileArguments runs every command over a table of hostile
// argument lists (negative, huge, NaN, empty, unknown): none panics, and
// each exits non-zero before doing any work.
func TestHostileArguments(t *testing.T) {
	defer func(f func() float64) { memTotal = f }(memTotal)
	memTotal = func() float64 { return 16 << 30 }
	t.Chdir(t.TempDir()) // a default run directory would appear here
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	hostile := map[string][][]string{
		"run": {{"--seed", "-1"}, {"--seed", "NaN"}, {"--seed", "99999999999999999999999"}, {"--set", "rl.lr"}, {"--set", "=1"},
			{"--set", "nosuch.key=1"}, {"--set", "rl.steps=-1"}, {"--set", "rl.lr=NaN"}, {"--set", "rl.group_size=notanumber"},
			{"nosuch"}, {""}, {"grpo", "grpo"}, {"--resume", ""}, {"--resume", dir}, {"--resume", out, "grpo"}, {"--out"}},
		"recipes": {{"nosuch"}, {"show"}, {"show", "nosuch"}, {"show", ""}, {"show", "grpo", "--set", "rl.steps=abc"}, {"show", "a", "b"}},
		"compare": {{}, {"grpo"}, {"grpo", "--out", out, "--seeds", "-1"}, {"grpo", "--out", out, "--seeds", ""}, {"grpo", "--out", out, "--seeds", "NaN"},
			{"grpo", "--out", out, "--parallel", "-1"}, {"grpo", "--out", out, "--threads", "-1"}, {"grpo", "--out", out, "--threads", "99999999"},
			{"nosuch", "--out", out, "--smoke"}},
		"report": {{}, {""}, {dir}, {filepath.Join(dir, "missing")}, {"--plot-dir"}},
		"show":   {{}, {""}, {dir}, {dir, "--step", "-1"}, {dir, "-n", "-1"}, {dir, "--by", "nosuch"}, {dir, "--color", "sometimes"}, {"a", "b"}},
		"dash":   {{}, {""}, {filepath.Join(dir, "missing")}, {"--addr", "nonsense:-1", dir}},
		"control": {{"nosuch"}, {"envs", "x"}, {"train", "--steps", "-5"}, {"train", "--steps", "NaN"}, {"train", "--steps", "1e99"},
			{"train", "--steps", "9223372036854775807"}, {"train", "--algo", "nosuch"}, {"train", "--env", "nosuch"}, {"train", "--env", ""},
			{"train", "--eval-episodes", "-1"}, {"train", "--eval-episodes", "9223372036854775807"}, {"train", "--seed", "-1"}, {"train", "x"},
			{"eval"}, {"eval", ""}, {"eval", dir}, {"eval", dir, "--episodes", "-1"}, {"eval", dir, "--episodes", "9223372036854775807"},
			{"eval", "a", "b"}, {"dataset"}, {"dataset", "--out", out, "--steps", "-1"}, {"dataset", "--out", out, "--steps", "9223372036854775807"},
			{"dataset", "--out", out, "--noise", "NaN"}, {"dataset", "--out", out, "--noise", "-1"}, {"dataset", "--out", out, "--noise", "+Inf"},
			{"dataset", "--out", out, "--env", "nosuch"}, {"dataset", "--out", out, "--policy", dir}},
		"bench": {{}, {"nosuch"}, {"train", "x"}, {"train", "--batch", "-1"}, {"train", "--batch", "0"}, {"train", "--steps", "-1"},
			{"train", "--batch", "9223372036854775807"}, {"train", "--seq", "9223372036854775807"}, {"train", "--d", "9223372036854775807"},
			{"train", "--vocab", "9223372036854775807"}, {"train", "--ff", "-1"}, {"train", "--heads", "0"}, {"train", "--kv-heads", "-1"},
			{"train", "--d", "NaN"}, {"train", "--threads", "-1"}, {"train", "--d", "30", "--heads", "4"},
			{"sample", "--batch", "-1"}, {"sample", "--new", "-1"}, {"sample", "--prompt", "0"}, {"sample", "--new", "9223372036854775807"},
			{"sample", "--batch", "9223372036854775807"}, {"sample", "--layers", "9223372036854775807"}},
		"grade": {{"--format", "nosuch"}, {filepath.Join(dir, "missing")}, {"a", "b"}, {dir}},
		"tasks": {{"nosuch"}, {"sample"}, {"sample", ""}, {"sample", "nosuch"}, {"sample", "add", "-n", "-1"}, {"sample", "add", "-n", "0"},
			{"sample", "add", "-n", "9223372036854775807"}, {"sample", "add", "-n", "NaN"}, {"sample", "add", "--noise", "NaN"},
			{"sample", "add", "--noise", "-0.5"}, {"sample", "add", "--noise", "2"}, {"sample", "add", "--split", "nosuch"},
			{"sample", "add", "--noise-kinds", "nosuch"}, {"sample", "add", "--param", "nokey"}, {"sample", "add", "--param", "max_digits=-3"},
			{"sample", "add", "--param", "digits=2"}, {"list", "x"}},
		"version": {{"x"}, {"--nope"}},
		"help":    {{"nosuch"}, {"control", "nosuch"}},
	}
	common := [][]string{{"--nope"}, {"--", "--nope"}, {"-"}, {"--=x"}, {"-n=NaN"}}
	for _, name := range []string{"run", "compare", "report", "show", "dash", "control", "bench", "grade", "tasks", "version", "recipes", "help"} {
		cases := hostile[name]
		if name != "help" && name != "grade" && name != "report" && name != "show" && name != "dash" {
			cases = append(cases, common...)
		}
		for _, args := range cases {
			full := append([]string{name}, args...)
			if name == "run" {
				// Whatever recipe validation lets through must not start a run.
				full = append([]string{"run", "--dry-run"}, args...)
			}
			if name == "grade" && len(args) == 0 {
				continue
			}
			code, stdout, _ := safeExecute(t, full)
			if code == exitOK {
				t.Errorf("autodidact %q: exit 0 (stdout %.200q), want a refusal", full, stdout)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("hostile arguments created %v", entries)
	}
	if _, err := os.Stat("runs"); err == nil {
		t.Error("hostile arguments created runs/ in the working directory")
	}
}

// TestBackendErrorRefusesCommands: with a backend error every command
// but help and completion fails with it.
func TestBackendErrorRefusesCommands(t *testing.T) {
	defer func(f func() error) { backendError = f }(backendError)
	backendError = func() error {
		return errors.New(`AUTODIDACT_BLAS="bogus" is not a backend: want openblas, go or empty (unset)`)
	}
	for _, args := range [][]string{{"version"}, {"tasks"}, {"recipes"}, {"control", "envs"}} {
		if code, _, errs := safeExecute(t, args); code != exitError || !strings.Contains(errs, "want openblas, go or empty") {
			t.Errorf("autodidact %s with a bad backend: exit %d, %q", strings.Join(args, " "), code, errs)
		}
	}
	for _, args := range [][]string{{"help", "run"}, {"run", "--help"}, {"completion", "bash"}, {"__complete", "run", ""}} {
		if code, _, errs := safeExecute(t, args); code != exitOK {
			t.Errorf("autodidact %s with a bad backend: exit %d, %q; help and completion must work", strings.Join(args, " "), code, errs)
		}
	}
}

// TestRecipesList: every built-in recipe is listed with a description.
func TestRecipesList(t *testing.T) {
	for _, args := range [][]string{{"recipes"}, {"recipes", "list"}} {
		code, out, errs := safeExecute(t, args)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errs)
		}
		lines := map[string]string{}
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				lines[f[0]] = l
			}
		}
		for _, n := range recipes.Names() {
			if n == "base" {
				continue
			}
			l, ok := lines[n]
			if !ok {
				t.Errorf("%v: no line for recipe %s", args, n)
				continue
			}
			if desc := recipeOneLine(n); len(desc) < 10 || !strings.Contains(l, desc) {
				t.Errorf("recipe %s: description %q not in line %q", n, desc, l)
			}
		}
		if _, ok := lines["base"]; ok {
			t.Error("base.yaml is the defaults, not a recipe to list")
		}
	}
}

// TestRecipeOneLine: a method recipe is described by its plug-in's
// registered summary, others by their file's first sentence.
func TestRecipeOneLine(t *testing.T) {
	cases := []struct{ recipe, want string }{
		{"dapo", "DAPO: dynamic sampling"},
		{"siren", "SIREN: anchored nucleus entropy"},
		{"rloo", "RLOO: each sample's baseline is the mean reward of the other samples of its group"},
		{"dr_grpo", "Dr.GRPO"},
		{"psr", "PSR (positive sample reinforcement): train on correct samples only (A = +1)"},
	}
	for _, c := range cases {
		if got := recipeOneLine(c.recipe); !strings.HasPrefix(got, c.want) || strings.Contains(got, "card") || len([]rune(got)) > 90 {
			t.Errorf("recipeOneLine(%s) = %q, want it to start %q, at most 90 runes, no card reference", c.recipe, got, c.want)
		}
	}
}

// TestRecipesShow: the resolved YAML of every recipe has a comment on every
// knob, parses back to the recipe, and --set applies.
func TestRecipesShow(t *testing.T) {
	for _, n := range recipes.Names() {
		if n == "base" {
			continue
		}
		code, out, errs := safeExecute(t, []string{"recipes", "show", n})
		if code != 0 {
			t.Fatalf("recipes show %s: %d %s", n, code, errs)
		}
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(out), &node); err != nil {
			t.Fatalf("recipes show %s: not YAML: %v\n%s", n, err, out)
		}
		r, _ := run.LoadRecipe(n)
		var got, want map[string]any
		yaml.Unmarshal([]byte(out), &got)
		yaml.Unmarshal(r.YAML(), &want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("recipes show %s does not parse back to the recipe", n)
		}
		var check func(n *yaml.Node, prefix string)
		check = func(m *yaml.Node, prefix string) {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				key := strings.TrimPrefix(prefix+"."+k.Value, ".")
				if k.LineComment == "" && k.HeadComment == "" && v.LineComment == "" {
					t.Errorf("recipes show %s: knob %s has no comment", n, key)
				}
				if v.Kind == yaml.MappingNode {
					check(v, key)
				}
			}
		}
		check(node.Content[0], "")
	}
	code, out, _ := safeExecute(t, []string{"recipes", "show", "--set", "rl.lr=5e-5", "grpo", "--set", "eval.k_list=[1,4]"})
	if code != 0 || !strings.Contains(out, "lr: 5e-05") || !strings.Contains(out, "k_list: [1, 4]") {
		t.Errorf("recipes show with --set: %d\n%s", code, out)
	}
}

// TestRunDryRun: --dry-run validates and prints what the overrides
// changed, creating no directory; a bad override fails.
func TestRunDryRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errs := safeExecute(t, []string{"run", "--dry-run", "grpo", "--set", "rl.steps=7", "--seed", "3", "--set", "eval.k_list=[1,4]", "--out", dir})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"recipe grpo is valid", "rl.steps: 100 → 7", "seed: 1 → 3", "eval.k_list: [1, 2, 4, 8] → [1, 4]", dir + " (not created)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("--dry-run created the run directory")
	}
	code, out, _ = safeExecute(t, []string{"run", "two_turn", "--smoke", "--dry-run", "--out", dir})
	if code != 0 || !strings.Contains(out, "(with --smoke)") || !strings.Contains(out, "pretrain.steps: ") {
		t.Errorf("--smoke --dry-run: %d\n%s", code, out)
	}
	code, out, _ = safeExecute(t, []string{"run", "--dry-run", "--out", dir})
	if code != 0 || !strings.Contains(out, "no setting differs") {
		t.Errorf("plain --dry-run: %d\n%s", code, out)
	}
	if code, _, errs := safeExecute(t, []string{"run", "--dry-run", "--set", "rl.nosuch=1", "--out", dir}); code != exitError || !strings.Contains(errs, "nosuch") {
		t.Errorf("bad override with --dry-run: exit %d %s", code, errs)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("--dry-run created the run directory")
	}
}

// TestCompletion: completion scripts exist for the usual shells, and
// recipe names complete for run, compare and recipes show.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if code, out, _ := safeExecute(t, []string{"completion", sh}); code != 0 || !strings.Contains(out, "autodidact") {
			t.Errorf("completion %s: exit %d", sh, code)
		}
	}
	cases := []struct {
		args []string
		want string
		not  string
	}{
		{[]string{"run", "gr"}, "grpo\t", "dapo"},
		{[]string{"run", ""}, "two_turn_critic\t", "base\t"},
		{[]string{"compare", "grpo", "da"}, "dapo\t", "grpo\t"},
		{[]string{"recipes", "show", "si"}, "siren\t", ""},
		{[]string{"tasks", "sample", "ad"}, "add", ""},
		{[]string{"control", "train", "--env", ""}, "CartPole-v1", ""},
		{[]string{"help", "con"}, "control", ""},
	}
	for _, c := range cases {
		code, out, _ := safeExecute(t, append([]string{cobra.ShellCompRequestCmd}, c.args...))
		if code != 0 || !strings.Contains(out, c.want) || (c.not != "" && strings.Contains(out, c.not)) {
			t.Errorf("complete %q: exit %d\n%s\nwant %q, not %q", c.args, code, out, c.want, c.not)
		}
	}
}

// TestMemoryEstimates: the benchmark's estimate is within a small factor
// of what the default shapes are known to take (peak RSS 279 MiB for
// train, 173 MiB for sample on the reference machine), and a machine of
// unknown size is not checked.
func TestMemoryEstimates(t *testing.T) {
	for _, c := range []struct {
		kind  string
		batch int
		rss   float64
	}{{"train", 16, 279 << 20}, {"sample", 64, 173 << 20}} {
		var o benchOptions
		o.shape.D, o.shape.Layers, o.shape.Heads, o.shape.FF, o.shape.Vocab, o.shape.Seq = 256, 4, 8, 688, 64, 128
		o.shape.Batch, o.shape.Prompt, o.shape.New = c.batch, 16, 112
		est := benchMemory(c.kind, o.shape)
		if est < c.rss/3 || est > c.rss*3 {
			t.Errorf("bench %s: estimate %s, measured %s", c.kind, bytesString(est), bytesString(c.rss))
		}
	}
	defer func(f func() float64) { memTotal = f }(memTotal)
	memTotal = func() float64 { return 0 }
	if err := checkMemory("x", "y", 1e30); err != nil {
		t.Errorf("unknown machine size: %v", err)
	}
	memTotal = func() float64 { return 1 << 30 }
	if err := checkMemory("x", "y", 1<<29); err != nil {
		t.Errorf("half the machine refused: %v", err)
	}
	if err := checkMemory("bench train", "this shape", 1<<40); err == nil || !strings.Contains(err.Error(), "1.0 TiB") || !strings.Contains(err.Error(), "1.0 GiB") {
		t.Errorf("a terabyte on a gigabyte machine: %v", err)
	}
}

// TestEveryKnobDocumented: every loop knob and every method knob of every
// built-in recipe has its own comment for `recipes show` (only task and
// environment parameters and roles fall back to a generic line), so a new
// knob needs one.
func TestEveryKnobDocumented(t *testing.T) {
	for _, n := range recipes.Names() {
		r, err := run.LoadRecipe(n)
		if err != nil {
			t.Fatal(err)
		}
		for key := range flattenRecipe(r.YAML()) {
			if strings.HasPrefix(key, "task.params.") || strings.HasPrefix(key, "env.params.") || strings.HasPrefix(key, "roles.") {
				continue
			}
			if _, ok := knobComments[key]; !ok {
				t.Errorf("recipe %s: knob %s has no entry in knobComments", n, key)
			}
		}
	}
}

// TestBenchCPUProfile: --cpuprofile writes a pprof profile (gzip magic) of
// the run; a path that cannot be created is an error naming the flag.
func TestBenchCPUProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpu.pb")
	tiny := []string{"bench", "train", "--d", "16", "--layers", "1", "--heads", "2", "--ff", "32", "--vocab", "16",
		"--seq", "8", "--batch", "2", "--steps", "1", "--threads", "1"}
	code, out, errs := safeExecute(t, append(tiny, "--cpuprofile", p))
	if code != 0 || !strings.Contains(out, "tokens/s=") {
		t.Fatalf("bench --cpuprofile: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	b, err := os.ReadFile(p)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile %s: %d bytes, err %v; want a gzip-compressed pprof profile", p, len(b), err)
	}
	code, _, errs = safeExecute(t, append(tiny, "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pb")))
	if code != 1 || !strings.Contains(errs, "--cpuprofile") {
		t.Errorf("unwritable --cpuprofile: exit %d, stderr %q; want exit 1 naming --cpuprofile", code, errs)
	}
}
