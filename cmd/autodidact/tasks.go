package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/task"
)

// newTasksCmd is `autodidact tasks [list]` (the tasks) and `autodidact
// tasks sample NAME -n 5` (problems with reference or noisy solutions).
func newTasksCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "tasks [list|sample NAME]",
		Short: "list tasks, or print problems with solutions",
		Args:  noCommandArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return listTasks(cmd.OutOrStdout()) },
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "list the tasks with their descriptions",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return listTasks(cmd.OutOrStdout()) },
	}, newTasksSampleCmd())
	return c
}

// listTasks prints each task with its description.
func listTasks(w io.Writer) error {
	for _, name := range task.Names() {
		t, err := task.New(name, nil)
		if err != nil { // a task that needs parameters (dataset: a file)
			fmt.Fprintf(w, "%-10s %s\n", name, task.Describe(name))
			continue
		}
		fmt.Fprintf(w, "%-10s %s\n", name, t.Description())
	}
	return nil
}

// tasksSampleOptions are the flags of `tasks sample`.
type tasksSampleOptions struct {
	n      int
	seed   uint64
	split  string
	noise  float64
	kinds  string
	params paramFlags
}

// maxTaskProblems bounds `tasks sample -n`: it prints every problem.
const maxTaskProblems = 10_000_000

// newTasksSampleCmd is `tasks sample NAME [-n 5] [--seed N] [--split
// train|test] [--noise R] [--param k=v]...`.
func newTasksSampleCmd() *cobra.Command {
	var o tasksSampleOptions
	c := &cobra.Command{
		Use:   "sample NAME [flags]",
		Short: "print problems of a task with reference or noisy solutions",
		Example: `  autodidact tasks sample countdown -n 3
  autodidact tasks sample add -n 5 --param max_digits=5 --noise 0.5`,
		Args: rangeArgs(1, 1, "name one task (see autodidact tasks)"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return task.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return tasksSample(args[0], o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.IntVarP(&o.n, "n", "n", 5, "number of problems")
	f.Uint64Var(&o.seed, "seed", 1, "seed")
	f.StringVar(&o.split, "split", "train", "train or test")
	f.Float64Var(&o.noise, "noise", 0, "error rate of the noisy solver (0: reference solutions)")
	f.StringVar(&o.kinds, "noise-kinds", "", "comma-separated error kinds: "+strings.Join(task.NoiseKinds, ","))
	f.Var(&o.params, "param", "task parameter key=value (repeatable), e.g. --param max_digits=5")
	c.RegisterFlagCompletionFunc("split", cobra.FixedCompletions([]string{"train", "test"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// tasksSample carries out `tasks sample`.
func tasksSample(name string, o tasksSampleOptions, stdout io.Writer) error {
	const cmd = "tasks sample"
	if o.n < 1 || o.n > maxTaskProblems {
		return fmt.Errorf("%s: -n %d: want 1 to %d problems", cmd, o.n, maxTaskProblems)
	}
	if err := finiteIn(cmd, "noise", o.noise, 0, 1); err != nil {
		return err
	}
	// A problem with its prompt, question and answer strings.
	if err := checkMemory(cmd, fmt.Sprintf("-n %d", o.n), float64(o.n)*1024); err != nil {
		return err
	}
	t, err := task.New(name, o.params.m)
	if err != nil {
		return err
	}
	s := task.Train
	switch o.split {
	case "train":
	case "test":
		s = task.Test
	default:
		return fmt.Errorf("tasks sample: split %q: want train or test", o.split)
	}
	nz := task.Noise{Rate: o.noise}
	if o.kinds != "" {
		nz.Kinds = strings.Split(o.kinds, ",")
	}
	if err := nz.Validate(); err != nil {
		return err
	}
	ps, err := task.Generate(t, s, o.seed, o.n, task.DefaultTemplate)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(o.seed, 99))
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for i, p := range ps {
		sol := task.Solve(t, p, task.DefaultTemplate, nz, r)
		rw := t.Grade(p, sol)
		fmt.Fprintf(w, "--- %s %s #%d (difficulty %d, answer %s, solution correct: %v)\n%s%s\n", name, s, i+1, p.Difficulty, p.Answer, rw.Correct, p.Prompt, sol)
	}
	return nil
}

// paramFlags collects repeated key=value flags; values that parse as
// numbers or booleans become those.
type paramFlags struct{ m map[string]any }

func (p *paramFlags) String() string { return fmt.Sprint(p.m) }

// Type names the flag's value in help.
func (p *paramFlags) Type() string { return "key=value" }

func (p *paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	if p.m == nil {
		p.m = map[string]any{}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		p.m[k] = f
	} else if b, err := strconv.ParseBool(v); err == nil {
		p.m[k] = b
	} else if strings.Contains(v, ",") {
		p.m[k] = strings.Split(v, ",")
	} else {
		p.m[k] = v
	}
	return nil
}
